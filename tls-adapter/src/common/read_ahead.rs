//! Read-ahead: one transport read feeds rustls several times, for bulk transfers.
//!
//! rustls asks its reader for about 4 KiB per `read_tls` (its deframer grows by that much
//! per read), so a stream that hands rustls the transport directly makes one `recv` per
//! 4 KiB: four or more per full-size record. With read-ahead enabled
//! (`TlsStream::set_read_ahead`), once a connection shows it moves bulk data (a direct read
//! that filled rustls's request) the stream reads the transport into a buffer of its own,
//! [`CAPACITY`] bytes at a time, and feeds rustls from memory.
//!
//! It is off by default because of `into_inner`: rustls refuses input while it holds 16 KiB
//! of unread plaintext, so bytes read ahead cannot always be handed back to the connection.
//! `into_parts` returns them instead.
//!
//! # Invariants
//! - The buffer exists only while the connection moves bulk data: it is allocated when a
//!   direct read fills rustls's request (read-ahead enabled), and freed once drained after a
//!   refill that brought less than [`BULK_READ`] bytes (the flow went quiet) or after
//!   read-ahead was disabled. A connection carrying small requests never holds one.
//! - Bytes leave the buffer only into rustls, in order, or to the caller of `into_parts`.
//!   The stream feeds rustls nothing once it saw a close_notify (`ReadState::Closed`),
//!   exactly as without read-ahead: bytes behind a close_notify stay here, unprocessed.
//! - `Pending` still comes only from the transport: a non-empty buffer never waits.

/// Bytes per transport read once read-ahead is on: four full-size TLS records (64 KiB of
/// plaintext, what one write of `copy_bidirectional`'s bulk buffer carries).
pub(crate) const CAPACITY: usize = 4 * (16 * 1024 + 256);

/// A direct read of at least this many bytes means a bulk flow (rustls asks for about
/// this much per read); a refill smaller than this, once drained, ends read-ahead.
pub(crate) const BULK_READ: usize = 4096;

/// The buffer and the part of it not yet given to rustls (`buf[start..end]`).
#[derive(Debug, Default)]
pub(crate) struct ReadAhead {
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// The last refill brought less than `BULK_READ`: free the buffer once drained.
    quiet: bool,
    /// Read-ahead may start (`TlsStream::set_read_ahead`).
    enabled: bool,
}

impl ReadAhead {
    /// Allows read-ahead to start, or stops it once the buffer is drained.
    pub(crate) fn set_enabled(&mut self, enabled: bool) {
        self.enabled = enabled;
        if !enabled && self.buffered().is_empty() {
            self.buf = Vec::new();
        }
    }

    /// Read-ahead is on (a buffer exists).
    pub(crate) fn is_on(&self) -> bool {
        !self.buf.is_empty()
    }

    /// Bytes waiting for rustls.
    pub(crate) fn buffered(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// Turns read-ahead on after a direct read of `n` bytes, if that read means bulk.
    pub(crate) fn after_direct_read(&mut self, n: usize) {
        if self.enabled && n >= BULK_READ && !self.is_on() {
            self.buf = vec![0; CAPACITY];
        }
    }

    /// Where the next transport read goes. Only called with nothing buffered.
    pub(crate) fn spare(&mut self) -> &mut [u8] {
        debug_assert!(self.buffered().is_empty());
        &mut self.buf[..]
    }

    /// A transport read put `n` bytes into `spare()`.
    pub(crate) fn filled(&mut self, n: usize) {
        self.start = 0;
        self.end = n;
        self.quiet = n < BULK_READ;
    }

    /// rustls took `n` of the buffered bytes. A drained buffer is freed if the flow went
    /// quiet or read-ahead was disabled.
    pub(crate) fn consume(&mut self, n: usize) {
        self.start += n;
        debug_assert!(self.start <= self.end);
        if self.start == self.end && (self.quiet || !self.enabled) {
            self.buf = Vec::new();
            (self.start, self.end) = (0, 0);
        }
    }

    /// Takes the buffered bytes out, leaving the buffer empty.
    pub(crate) fn take(&mut self) -> Vec<u8> {
        let rest = self.buffered().to_vec();
        self.consume(rest.len());
        rest
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enabled() -> ReadAhead {
        let mut ra = ReadAhead::default();
        ra.set_enabled(true);
        ra
    }

    #[test]
    fn off_by_default_and_small_reads_never_allocate() {
        let mut ra = ReadAhead::default();
        ra.after_direct_read(BULK_READ);
        assert!(!ra.is_on(), "started without being enabled");
        let mut ra = enabled();
        ra.after_direct_read(BULK_READ - 1);
        assert!(!ra.is_on());
    }

    #[test]
    fn disabling_keeps_buffered_bytes_until_drained_or_taken() {
        let mut ra = enabled();
        ra.after_direct_read(BULK_READ);
        ra.spare()[..4].copy_from_slice(b"abcd");
        ra.filled(CAPACITY);
        ra.consume(CAPACITY - 4);
        ra.set_enabled(false);
        assert!(ra.is_on(), "buffered bytes dropped");
        ra.consume(1);
        assert_eq!(ra.take().len(), 3);
        assert!(!ra.is_on());
    }

    #[test]
    fn bulk_turns_on_and_a_quiet_drained_refill_turns_off() {
        let mut ra = enabled();
        ra.after_direct_read(BULK_READ);
        assert!(ra.is_on());
        assert_eq!(ra.spare().len(), CAPACITY);
        ra.spare()[..3].copy_from_slice(b"abc");
        ra.filled(3);
        assert_eq!(ra.buffered(), b"abc");
        ra.consume(2);
        assert_eq!(ra.buffered(), b"c");
        assert!(ra.is_on(), "freed before drained");
        ra.consume(1);
        assert!(!ra.is_on(), "a drained quiet buffer is freed");
    }

    #[test]
    fn a_busy_drained_buffer_stays() {
        let mut ra = enabled();
        ra.after_direct_read(BULK_READ);
        ra.filled(CAPACITY);
        ra.consume(CAPACITY);
        assert!(ra.is_on());
        assert!(ra.buffered().is_empty());
    }
}
