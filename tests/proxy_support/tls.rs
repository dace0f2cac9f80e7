//! Certificates made at test time (rcgen: a CA and a `localhost` leaf, written as PEM
//! files) and blocking rustls clients on std sockets.
use super::{take_tls, TempDir};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};
use std::io::{self, Read};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// A test CA, a `localhost` leaf it issued (written as PEM files), and a client config
/// trusting the CA.
pub struct Certs {
    pub dir: TempDir,
    pub cert: PathBuf,
    pub key: PathBuf,
    pub client: Arc<ClientConfig>,
}

impl Certs {
    pub fn new() -> Certs {
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(rcgen::DnType::CommonName, "wakeful proxy test CA");
        let issuer = CertifiedIssuer::self_signed(ca, KeyPair::generate().unwrap()).unwrap();
        let key = KeyPair::generate().unwrap();
        let leaf = CertificateParams::new(vec!["localhost".to_string()])
            .unwrap()
            .signed_by(&key, &issuer)
            .unwrap();
        let dir = TempDir::new("proxy-certs");
        let cert = dir.path("chain.pem");
        let key_path = dir.path("key.pem");
        std::fs::write(&cert, format!("{}{}", leaf.pem(), issuer.pem())).unwrap();
        std::fs::write(&key_path, key.serialize_pem()).unwrap();
        let mut roots = RootCertStore::empty();
        roots
            .add(CertificateDer::from(issuer.der().to_vec()))
            .unwrap();
        let client = ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
        Certs {
            dir,
            cert,
            key: key_path,
            client: Arc::new(client),
        }
    }
}

pub fn localhost() -> ServerName<'static> {
    ServerName::try_from("localhost").unwrap()
}

/// A blocking TLS client (rustls on a std socket), handshake done.
pub type TlsStream = StreamOwned<ClientConnection, TcpStream>;

pub fn tls_connect(addr: SocketAddr, certs: &Certs) -> TlsStream {
    let tcp = TcpStream::connect(addr).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut conn = ClientConnection::new(certs.client.clone(), localhost()).unwrap();
    let mut tcp = tcp;
    while conn.is_handshaking() {
        conn.complete_io(&mut tcp).unwrap();
    }
    StreamOwned::new(conn, tcp)
}

/// Reads until EOF: `Ok(bytes)` if a close_notify ended it, `Err` otherwise (with the bytes
/// read so far in the message's context).
pub fn read_to_close_notify(s: &mut TlsStream) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    s.read_to_end(&mut out)?;
    Ok(out)
}

/// The ClientHello a rustls client sends first.
pub fn client_hello(certs: &Certs) -> Vec<u8> {
    let mut conn = ClientConnection::new(certs.client.clone(), localhost()).unwrap();
    take_tls(&mut conn)
}

/// Reads until the peer closes (EOF or a reset); the bytes read. Panics if the socket's
/// read timeout expires first: the peer kept the connection open.
pub fn drain_until_closed(tcp: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tcp.read(&mut buf) {
            Ok(0) => return out,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                panic!(
                    "the proxy kept the connection open ({} bytes read)",
                    out.len()
                )
            }
            Err(_) => return out,
        }
    }
}
