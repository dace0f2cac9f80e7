//! `PollEvented`: a mio source together with its registration, deregistered on drop.
//!
//! The order on drop is the invariant: deregister the source from the reactor, close the
//! file descriptor, then free the registration's slab slot (and any waker a cancelled
//! operation left in it). So an fd number the kernel reuses for a new socket is never still
//! registered under the old token, and dropping a socket (with or without operations
//! pending on it) leaks neither an fd nor a slab slot.
use crate::registration::Registration;
use std::fmt;
use std::io;
use std::ops::Deref;

pub(crate) struct PollEvented<E: mio::event::Source> {
    /// `None` only during drop or after [`into_inner`](Self::into_inner).
    io: Option<E>,
    registration: Registration,
}

impl<E: mio::event::Source> PollEvented<E> {
    /// Registers `io` with the current runtime's reactor.
    pub(crate) fn new(mut io: E, interest: mio::Interest) -> io::Result<PollEvented<E>> {
        let registration = Registration::new(&mut io, interest)?;
        Ok(PollEvented {
            io: Some(io),
            registration,
        })
    }

    pub(crate) fn registration(&self) -> &Registration {
        &self.registration
    }

    /// Deregisters and returns the source.
    pub(crate) fn into_inner(mut self) -> io::Result<E> {
        let mut io = self.io.take().expect("source present until drop");
        self.registration.deregister(&mut io)?;
        Ok(io)
    }
}

impl<E: mio::event::Source> Deref for PollEvented<E> {
    type Target = E;
    fn deref(&self) -> &E {
        self.io.as_ref().expect("source present until drop")
    }
}

impl<E: mio::event::Source> Drop for PollEvented<E> {
    fn drop(&mut self) {
        if let Some(mut io) = self.io.take() {
            // Failure means the fd is already gone from epoll (e.g. the driver was dropped
            // with the runtime); closing it below is all that is left to do.
            let _ = self.registration.deregister(&mut io);
            drop(io);
        }
    }
}

impl<E: mio::event::Source + fmt::Debug> fmt::Debug for PollEvented<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PollEvented")
            .field("io", &self.io)
            .field("registration", &self.registration)
            .finish()
    }
}
