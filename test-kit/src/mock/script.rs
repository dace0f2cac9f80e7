//! The script a [`MockIo`](super::MockIo) plays, and its state.
//!
//! Everything lives in one mutex ([`State`]), taken by the stream's reads and writes and by
//! the [`Handle`](super::Handle) (a peer, possibly another thread or a loom thread). A read
//! or write that blocks stores its waker *under the same lock* in which it found the lane
//! blocked, and the handle takes that waker under the lock in which it unblocks the lane:
//! a release racing a read is either seen by the read or wakes it, never lost. Wakers are
//! woken after the lock is released.
use super::Action;
use std::collections::VecDeque;
use std::io;
use std::task::{Poll, Waker};

/// One step of a lane.
#[derive(Debug)]
pub(crate) enum Step {
    /// Bytes for one read (what a read's buffer cannot hold stays for the next read).
    Data(Vec<u8>),
    /// Blocks the lane until gate number `id` is released; `would_block` returns
    /// `Err(WouldBlock)` instead of `Pending` meanwhile.
    Gate { id: u64, would_block: bool },
    /// Every read from here on returns `Ok(0)`.
    Eof,
    /// Every operation from here on fails with this kind.
    Error(io::ErrorKind),
    /// From here on, each write accepts at most this many bytes.
    Limit(usize),
    /// The next write returns `Ok(0)`.
    Zero,
}

/// One direction of the stream.
#[derive(Debug, Default)]
pub(crate) struct Lane {
    steps: VecDeque<Step>,
    waker: Option<Waker>,
    /// Calls to `poll_read` (read lane) or `poll_write` (write lane).
    pub(crate) calls: u64,
}

/// The whole mock: both lanes, the gates, what was written.
#[derive(Debug, Default)]
pub(crate) struct State {
    pub(crate) read: Lane,
    pub(crate) write: Lane,
    /// Gates are numbered in script order; gate `id` is open iff `id < released`.
    next_gate: u64,
    released: u64,
    write_limit: Option<usize>,
    pub(crate) written: Vec<u8>,
    pub(crate) closed: bool,
}

/// What a blocked lane returns.
enum Blocked {
    Pending,
    WouldBlock,
}

impl State {
    /// Appends `action` to its lane; returns the waker to wake (a read or write waiting on
    /// that lane's end).
    pub(crate) fn push(&mut self, action: Action) -> Option<Waker> {
        let (lane, step) = match action {
            // Nothing to read: only wakes a waiting read (a spurious wake, on purpose).
            Action::Read(bytes) if bytes.is_empty() => return self.read.waker.take(),
            Action::Read(bytes) => (Dir::Read, Step::Data(bytes)),
            Action::ReadPending => (Dir::Read, self.gate(false)),
            Action::ReadWouldBlock => (Dir::Read, self.gate(true)),
            Action::ReadEof => (Dir::Read, Step::Eof),
            Action::ReadError(kind) => (Dir::Read, Step::Error(kind)),
            Action::WriteLimit(n) => (Dir::Write, Step::Limit(n.max(1))),
            Action::WriteZero => (Dir::Write, Step::Zero),
            Action::WritePending => (Dir::Write, self.gate(false)),
            Action::WriteWouldBlock => (Dir::Write, self.gate(true)),
            Action::WriteError(kind) => (Dir::Write, Step::Error(kind)),
        };
        let lane = self.lane(lane);
        lane.steps.push_back(step);
        lane.waker.take()
    }

    fn gate(&mut self, would_block: bool) -> Step {
        let id = self.next_gate;
        self.next_gate += 1;
        Step::Gate { id, would_block }
    }

    fn lane(&mut self, dir: Dir) -> &mut Lane {
        match dir {
            Dir::Read => &mut self.read,
            Dir::Write => &mut self.write,
        }
    }

    /// Opens the next closed gate; returns whether there was one, and the waker of the lane
    /// it blocked.
    pub(crate) fn release(&mut self) -> (bool, Option<Waker>) {
        if self.released == self.next_gate {
            return (false, None);
        }
        let id = self.released;
        self.released += 1;
        let mut waker = None;
        for dir in [Dir::Read, Dir::Write] {
            let lane = self.lane(dir);
            if lane
                .steps
                .iter()
                .any(|s| matches!(s, Step::Gate { id: g, .. } if *g == id))
            {
                waker = lane.waker.take();
            }
        }
        (true, waker)
    }

    /// Skips the open gates and write limits at the front of a lane.
    fn settle(&mut self, dir: Dir) {
        let released = self.released;
        loop {
            let front = self.lane(dir).steps.front();
            match front {
                Some(Step::Gate { id, .. }) if *id < released => {}
                Some(Step::Limit(n)) => self.write_limit = Some(*n),
                _ => return,
            }
            self.lane(dir).steps.pop_front();
        }
    }

    /// A read into `dst`: `Ready(Ok(n))`, `Pending` (the waker stored), or an error.
    pub(crate) fn read(&mut self, waker: &Waker, dst: &mut [u8]) -> Poll<io::Result<usize>> {
        self.read.calls += 1;
        self.settle(Dir::Read);
        let blocked = match self.read.steps.front_mut() {
            Some(Step::Data(bytes)) => {
                let n = bytes.len().min(dst.len());
                dst[..n].copy_from_slice(&bytes[..n]);
                bytes.drain(..n);
                if bytes.is_empty() {
                    self.read.steps.pop_front();
                }
                return Poll::Ready(Ok(n));
            }
            Some(Step::Eof) => return Poll::Ready(Ok(0)),
            Some(Step::Error(kind)) => return Poll::Ready(Err((*kind).into())),
            Some(Step::Gate { would_block, .. }) => blocked(*would_block),
            // An exhausted script is an idle socket: wait for the handle to push more.
            None => Blocked::Pending,
            Some(Step::Limit(_) | Step::Zero) => unreachable!("write steps are never read"),
        };
        self.block(Dir::Read, waker, blocked)
    }

    /// A write of `src`: `Ready(Ok(n))` with the bytes accepted, `Pending`, or an error.
    pub(crate) fn write(&mut self, waker: &Waker, src: &[u8]) -> Poll<io::Result<usize>> {
        self.write.calls += 1;
        self.settle(Dir::Write);
        let blocked = match self.write.steps.front() {
            Some(Step::Zero) => {
                self.write.steps.pop_front();
                return Poll::Ready(Ok(0));
            }
            Some(Step::Error(kind)) => return Poll::Ready(Err((*kind).into())),
            Some(Step::Gate { would_block, .. }) => blocked(*would_block),
            None => {
                let n = src.len().min(self.write_limit.unwrap_or(usize::MAX));
                self.written.extend_from_slice(&src[..n]);
                return Poll::Ready(Ok(n));
            }
            Some(Step::Data(_) | Step::Eof | Step::Limit(_)) => {
                unreachable!("read steps are never written; limits are settled")
            }
        };
        self.block(Dir::Write, waker, blocked)
    }

    /// A flush or close: fails if the write lane has failed, else succeeds at once.
    pub(crate) fn flush(&mut self) -> io::Result<()> {
        self.settle(Dir::Write);
        match self.write.steps.front() {
            Some(Step::Error(kind)) => Err((*kind).into()),
            _ => Ok(()),
        }
    }

    fn block(&mut self, dir: Dir, waker: &Waker, how: Blocked) -> Poll<io::Result<usize>> {
        let lane = self.lane(dir);
        match &lane.waker {
            Some(w) if w.will_wake(waker) => {}
            _ => lane.waker = Some(waker.clone()),
        }
        match how {
            Blocked::Pending => Poll::Pending,
            Blocked::WouldBlock => Poll::Ready(Err(io::ErrorKind::WouldBlock.into())),
        }
    }
}

fn blocked(would_block: bool) -> Blocked {
    if would_block {
        Blocked::WouldBlock
    } else {
        Blocked::Pending
    }
}

#[derive(Clone, Copy)]
enum Dir {
    Read,
    Write,
}
