//! The demo's certificate: self-signed for `localhost` (rcgen, ECDSA P-256), in memory
//! only, and the client config that trusts it.
use std::sync::Arc;
use wakeful::tls::rustls::{self, ClientConfig, RootCertStore, ServerConfig};

pub(crate) struct DemoTls {
    pub(crate) server: Arc<ServerConfig>,
    pub(crate) client: Arc<ClientConfig>,
}

pub(crate) fn generate() -> Result<DemoTls, Box<dyn std::error::Error>> {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()])?;
    let der = certified.cert.der().clone();
    let server = ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![der.clone()], certified.signing_key.into())?;
    let mut roots = RootCertStore::empty();
    roots.add(der)?;
    let client = ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(DemoTls {
        server: Arc::new(server),
        client: Arc::new(client),
    })
}

/// The name the certificate is for.
pub(crate) fn server_name() -> rustls::pki_types::ServerName<'static> {
    rustls::pki_types::ServerName::try_from("localhost").expect("a valid DNS name")
}
