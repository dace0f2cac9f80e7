//! A TLS-terminating TCP proxy on wakeful + unmodified tokio-rustls: the "after" of
//! `docs/porting-from-tokio.md` (`tokio_tls_proxy.rs` is the "before").
//!
//! cargo run --example wakeful_tls_proxy -- LISTEN UPSTREAM CERT.pem KEY.pem
use std::net::SocketAddr;
use std::sync::Arc;
use tokio_rustls::rustls::pki_types::{pem::PemObject, CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::TlsAcceptor;
use wakeful::net::{TcpListener, TcpStream};

/// Accepts TLS connections on `listener` and copies each, decrypted, to and from `upstream`.
pub async fn serve(listener: TcpListener, upstream: SocketAddr, acceptor: TlsAcceptor) {
    loop {
        let (client, peer) = match listener.accept().await {
            Ok(conn) => conn,
            Err(e) => {
                eprintln!("accept: {e}");
                continue;
            }
        };
        let acceptor = acceptor.clone();
        let conn = async move {
            if let Err(e) = proxy(client, upstream, acceptor).await {
                eprintln!("{peer}: {e}");
            }
        };
        let _ = wakeful::task::Builder::new()
            .name(&format!("conn {peer}"))
            .spawn(conn);
    }
}

async fn proxy(
    client: TcpStream,
    upstream: SocketAddr,
    acceptor: TlsAcceptor,
) -> std::io::Result<()> {
    let mut tls = acceptor.accept(client).await?;
    let mut server = TcpStream::connect(upstream).await?;
    tokio::io::copy_bidirectional(&mut tls, &mut server).await?;
    Ok(())
}

/// The server config from a PEM certificate chain and key.
pub fn server_config(cert_pem: &[u8], key_pem: &[u8]) -> std::io::Result<Arc<ServerConfig>> {
    let certs = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(std::io::Error::other)?;
    let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(std::io::Error::other)?;
    let config = ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(std::io::Error::other)?;
    Ok(Arc::new(config))
}

#[allow(
    dead_code,
    reason = "the tests include this file for `serve` and `server_config`"
)]
#[wakeful::main]
async fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, listen, upstream, cert, key] = &args[..] else {
        eprintln!("usage: wakeful_tls_proxy LISTEN UPSTREAM CERT.pem KEY.pem");
        std::process::exit(2);
    };
    let config = server_config(&std::fs::read(cert)?, &std::fs::read(key)?)?;
    let listener = TcpListener::bind(listen).await?;
    let upstream: SocketAddr = upstream.parse().map_err(std::io::Error::other)?;
    serve(listener, upstream, TlsAcceptor::from(config)).await;
    Ok(())
}
