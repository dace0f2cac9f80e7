//! TCP: [`TcpListener`], [`TcpStream`] and the halves of a split stream.
mod listener;
mod split;
mod split_owned;
mod stream;
#[cfg(feature = "tokio-io")]
mod tokio_io;

pub use self::listener::TcpListener;
pub use self::split::{ReadHalf, WriteHalf};
pub use self::split_owned::{OwnedReadHalf, OwnedWriteHalf, ReuniteError};
pub use self::stream::TcpStream;
