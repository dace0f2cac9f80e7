//! `Ready`: the readiness bits of one I/O resource, and which of them each direction of
//! I/O waits for.
use std::fmt;
use std::ops;

/// A set of readiness bits (the low 16 bits of the readiness word in
/// [`ScheduledIo`](crate::scheduled_io::ScheduledIo)).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ready(usize);

impl Ready {
    pub(crate) const EMPTY: Ready = Ready(0);
    /// A read would not block (data, a pending connection, or EOF).
    pub(crate) const READABLE: Ready = Ready(0b0_0001);
    /// A write would not block.
    pub(crate) const WRITABLE: Ready = Ready(0b0_0010);
    /// The peer will send nothing more (FIN or hang-up). Final: never cleared.
    pub(crate) const READ_CLOSED: Ready = Ready(0b0_0100);
    /// Nothing more can be written (hang-up). Final: never cleared.
    pub(crate) const WRITE_CLOSED: Ready = Ready(0b0_1000);
    /// The socket has a pending error (`SO_ERROR`): the next operation returns it.
    pub(crate) const ERROR: Ready = Ready(0b1_0000);
    /// Every bit a reader is woken for: an error is returned by the read itself.
    pub(crate) const READ_INTEREST: Ready =
        Ready(Self::READABLE.0 | Self::READ_CLOSED.0 | Self::ERROR.0);
    /// Every bit a writer is woken for.
    pub(crate) const WRITE_INTEREST: Ready =
        Ready(Self::WRITABLE.0 | Self::WRITE_CLOSED.0 | Self::ERROR.0);
    /// The bits that are never cleared once set.
    pub(crate) const ALL_CLOSED: Ready = Ready(Self::READ_CLOSED.0 | Self::WRITE_CLOSED.0);
    /// Every readiness bit.
    pub(crate) const MASK: usize = 0b1_1111;

    /// The readiness a mio event reports.
    pub(crate) fn from_mio(event: &mio::event::Event) -> Ready {
        let mut ready = Ready::EMPTY;
        if event.is_readable() {
            ready = ready | Ready::READABLE;
        }
        if event.is_writable() {
            ready = ready | Ready::WRITABLE;
        }
        if event.is_read_closed() {
            ready = ready | Ready::READ_CLOSED;
        }
        if event.is_write_closed() {
            ready = ready | Ready::WRITE_CLOSED;
        }
        if event.is_error() {
            ready = ready | Ready::ERROR;
        }
        ready
    }

    pub(crate) const fn from_usize(bits: usize) -> Ready {
        Ready(bits & Self::MASK)
    }

    pub(crate) const fn as_usize(self) -> usize {
        self.0
    }

    pub(crate) const fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub(crate) const fn intersects(self, other: Ready) -> bool {
        self.0 & other.0 != 0
    }

    pub(crate) const fn contains(self, other: Ready) -> bool {
        self.0 & other.0 == other.0
    }
}

impl ops::BitOr for Ready {
    type Output = Ready;
    fn bitor(self, rhs: Ready) -> Ready {
        Ready(self.0 | rhs.0)
    }
}

impl ops::BitAnd for Ready {
    type Output = Ready;
    fn bitand(self, rhs: Ready) -> Ready {
        Ready(self.0 & rhs.0)
    }
}

impl ops::Sub for Ready {
    type Output = Ready;
    /// The bits of `self` not in `rhs`.
    fn sub(self, rhs: Ready) -> Ready {
        Ready(self.0 & !rhs.0)
    }
}

impl fmt::Debug for Ready {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = [
            (Ready::READABLE, "READABLE"),
            (Ready::WRITABLE, "WRITABLE"),
            (Ready::READ_CLOSED, "READ_CLOSED"),
            (Ready::WRITE_CLOSED, "WRITE_CLOSED"),
            (Ready::ERROR, "ERROR"),
        ];
        let mut set = f.debug_set();
        for (bit, name) in names {
            if self.contains(bit) {
                set.entry(&format_args!("{name}"));
            }
        }
        set.finish()
    }
}

/// Which side of a resource an operation uses: each has its own waker slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    Read,
    Write,
}

impl Direction {
    /// The readiness bits that let an operation of this direction proceed.
    pub(crate) const fn mask(self) -> Ready {
        match self {
            Direction::Read => Ready::READ_INTEREST,
            Direction::Write => Ready::WRITE_INTEREST,
        }
    }
}
