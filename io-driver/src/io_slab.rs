//! `IoSlab`: the registered resources of one driver, addressed by mio tokens.
//!
//! # Tokens
//! A token is a slab index (low half of the word) plus a generation (high half), taken from
//! a counter bumped by every registration. A resource's slot is freed when it deregisters
//! and may be reused at once, while an event for the old resource can still be in the batch
//! the reactor is dispatching: the generation check makes such a stale token miss, so it
//! never sets readiness on the new resource (that would only be a spurious event, but a
//! miss costs nothing). A false match needs the same slot to be reused after exactly a
//! multiple of 2^32 registrations (2^16 on 32-bit targets) within one dispatch.
//!
//! The token of the driver's own `mio::Waker` ([`WAKER_TOKEN`]) has every index bit set, an
//! index the slab never hands out.
use crate::scheduled_io::ScheduledIo;
use slab::Slab;
use std::io;
use std::sync::Arc;

const INDEX_BITS: u32 = usize::BITS / 2;
const INDEX_MASK: usize = (1 << INDEX_BITS) - 1;
/// Largest number of resources registered at once (one index is the waker's).
const MAX_INDEX: usize = INDEX_MASK - 1;

/// The token of the driver's `mio::Waker`.
pub(crate) const WAKER_TOKEN: mio::Token = mio::Token(usize::MAX);

#[derive(Debug, Default)]
pub(crate) struct IoSlab {
    entries: Slab<Entry>,
    next_generation: usize,
}

#[derive(Debug)]
struct Entry {
    generation: usize,
    io: Arc<ScheduledIo>,
}

impl IoSlab {
    /// Adds a resource; returns its token.
    pub(crate) fn insert(&mut self, io: Arc<ScheduledIo>) -> io::Result<mio::Token> {
        let entry = self.entries.vacant_entry();
        let index = entry.key();
        if index > MAX_INDEX {
            return Err(io::Error::other(
                "too many I/O resources registered with the wakeful driver",
            ));
        }
        let generation = self.next_generation;
        self.next_generation = (generation + 1) & (usize::MAX >> INDEX_BITS);
        entry.insert(Entry { generation, io });
        Ok(mio::Token(generation << INDEX_BITS | index))
    }

    /// The resource of `token`, unless it has been removed (and its slot maybe reused).
    pub(crate) fn get(&self, token: mio::Token) -> Option<&Arc<ScheduledIo>> {
        let (index, generation) = (token.0 & INDEX_MASK, token.0 >> INDEX_BITS);
        self.entries
            .get(index)
            .filter(|e| e.generation == generation)
            .map(|e| &e.io)
    }

    /// Removes the resource of `token`, if it is still there.
    pub(crate) fn remove(&mut self, token: mio::Token) -> Option<Arc<ScheduledIo>> {
        self.get(token)?;
        Some(self.entries.remove(token.0 & INDEX_MASK).io)
    }

    /// Removes every resource (driver shutdown).
    pub(crate) fn drain(&mut self) -> Vec<Arc<ScheduledIo>> {
        self.entries.drain().map(|e| e.io).collect()
    }

    #[cfg(all(test, not(loom)))]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn stale_token_misses_reused_slot() {
        let mut slab = IoSlab::default();
        let a = slab.insert(Arc::new(ScheduledIo::new())).unwrap();
        assert!(slab.get(a).is_some());
        assert!(slab.remove(a).is_some());
        let b = slab.insert(Arc::new(ScheduledIo::new())).unwrap();
        assert_eq!(a.0 & INDEX_MASK, b.0 & INDEX_MASK, "slot reused");
        assert_ne!(a, b);
        assert!(
            slab.get(a).is_none(),
            "a stale token must not reach the new resource"
        );
        assert!(slab.remove(a).is_none());
        assert!(slab.get(b).is_some());
        assert_ne!(b, WAKER_TOKEN);
        assert!(slab.get(WAKER_TOKEN).is_none());
        assert_eq!(slab.len(), 1);
        assert_eq!(slab.drain().len(), 1);
        assert_eq!(slab.len(), 0);
    }
}
