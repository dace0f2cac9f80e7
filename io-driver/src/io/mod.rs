//! I/O helpers: [`copy_bidirectional`], and the futures-io traits every wakeful stream
//! implements.
mod copy_bidirectional;

pub use self::copy_bidirectional::{copy_bidirectional, copy_bidirectional_with_sizes};
pub use futures_io::{AsyncRead, AsyncWrite};
