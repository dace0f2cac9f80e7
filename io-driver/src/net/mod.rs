//! Networking: TCP and UDP sockets driven by the runtime's reactor.
//!
//! Every socket registers with the reactor of the runtime it is created in (so create them
//! inside `block_on` or a task), deregisters when dropped, and reports the bytes it moves
//! as progress for the task moving them. Errors are `std::io::Error`, always.
mod addr;
pub mod tcp;
mod udp;

pub use self::addr::{lookup_host, ToSocketAddrs};
pub use self::tcp::{TcpListener, TcpStream};
pub use self::udp::UdpSocket;
