//! Opening and closing one client connection, the same way in every workload.
//!
//! Close contract: the client sends close_notify and a FIN (`shutdown`), then reads until
//! the proxy's close_notify. Through the proxy that is: client EOF → upstream FIN → echo
//! ends → upstream FIN → proxy close_notify + FIN. So a connection counts only once the
//! proxy has done all its work for it, and a byte arriving after the close (or a TCP EOF
//! without close_notify, which tokio-rustls reports as `UnexpectedEof`) is an error.
use rustls::pki_types::ServerName;
use std::io;
use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

pub type Conn = TlsStream<TcpStream>;

/// TCP connect (`TCP_NODELAY`) and a full TLS handshake for `localhost`.
pub async fn connect(addr: SocketAddr, tls: &TlsConnector) -> io::Result<Conn> {
    let tcp = TcpStream::connect(addr).await?;
    tcp.set_nodelay(true)?;
    let name = ServerName::try_from("localhost").map_err(io::Error::other)?;
    tls.connect(name, tcp).await
}

/// close_notify + FIN, then the proxy's close; nothing may come in between.
pub async fn close(mut conn: Conn) -> io::Result<()> {
    conn.shutdown().await?;
    let mut rest = Vec::new();
    conn.read_to_end(&mut rest).await?;
    if rest.is_empty() {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "{} unexpected bytes after close_notify",
            rest.len()
        )))
    }
}
