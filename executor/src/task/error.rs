//! The error a `JoinHandle` resolves to when its task did not return a value.
use super::TaskId;
use std::any::Any;
use std::fmt;

/// Why a task produced no output: it was cancelled (aborted, or the runtime shut down), or
/// its future panicked.
///
/// `Send + Sync` (as tokio's is), so it converts into `Box<dyn Error + Send + Sync>`.
pub struct JoinError {
    id: TaskId,
    repr: Repr,
}

enum Repr {
    Cancelled,
    Panic {
        payload: SyncPayload,
        /// The payload's message, read once when the error was created.
        message: Option<Box<str>>,
    },
}

/// A panic payload that no `&self` method can reach: it is only ever moved out by value
/// (`into_inner`). Sharing `&SyncPayload` between threads therefore shares nothing, which
/// is what makes the `Sync` impl below sound for any `Send` payload.
struct SyncPayload(Box<dyn Any + Send + 'static>);

// SAFETY: no method of `SyncPayload` takes `&self`; the payload is reachable only through
// `into_inner(self)`, which requires ownership. A `&SyncPayload` grants no access at all.
unsafe impl Sync for SyncPayload {}

impl SyncPayload {
    fn into_inner(self) -> Box<dyn Any + Send + 'static> {
        self.0
    }
}

impl JoinError {
    pub(crate) fn cancelled(id: TaskId) -> JoinError {
        JoinError {
            id,
            repr: Repr::Cancelled,
        }
    }

    pub(crate) fn panic(id: TaskId, payload: Box<dyn Any + Send + 'static>) -> JoinError {
        let message = payload
            .downcast_ref::<&'static str>()
            .map(|s| Box::from(*s))
            .or_else(|| {
                payload
                    .downcast_ref::<String>()
                    .map(|s| Box::from(s.as_str()))
            });
        JoinError {
            id,
            repr: Repr::Panic {
                payload: SyncPayload(payload),
                message,
            },
        }
    }

    /// True if the task was aborted or dropped by runtime shutdown.
    pub fn is_cancelled(&self) -> bool {
        matches!(self.repr, Repr::Cancelled)
    }

    /// True if the task's future panicked.
    pub fn is_panic(&self) -> bool {
        matches!(self.repr, Repr::Panic { .. })
    }

    /// The panic payload, for `std::panic::resume_unwind`.
    ///
    /// # Panics
    /// If the error is not a panic (check [`is_panic`](Self::is_panic) first, or use
    /// [`try_into_panic`](Self::try_into_panic)).
    #[track_caller]
    pub fn into_panic(self) -> Box<dyn Any + Send + 'static> {
        self.try_into_panic()
            .expect("`JoinError::into_panic` called on a cancelled task's error")
    }

    /// The panic payload, or the error back if the task was cancelled.
    pub fn try_into_panic(self) -> Result<Box<dyn Any + Send + 'static>, JoinError> {
        match self.repr {
            Repr::Panic { payload, .. } => Ok(payload.into_inner()),
            Repr::Cancelled => Err(self),
        }
    }

    /// The id of the task that failed.
    pub fn id(&self) -> TaskId {
        self.id
    }
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Cancelled => write!(f, "task {} was cancelled", self.id),
            Repr::Panic {
                message: Some(msg), ..
            } => write!(f, "task {} panicked with message {msg:?}", self.id),
            Repr::Panic { message: None, .. } => write!(f, "task {} panicked", self.id),
        }
    }
}

impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Cancelled => write!(f, "JoinError::Cancelled({})", self.id),
            Repr::Panic {
                message: Some(msg), ..
            } => write!(f, "JoinError::Panic({}, {msg:?})", self.id),
            Repr::Panic { message: None, .. } => write!(f, "JoinError::Panic({}, ..)", self.id),
        }
    }
}

impl std::error::Error for JoinError {}

impl From<JoinError> for std::io::Error {
    fn from(e: JoinError) -> std::io::Error {
        std::io::Error::other(e.to_string())
    }
}
