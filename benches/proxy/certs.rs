//! Certificates made at run time (rcgen, ECDSA P-256): a CA and a `localhost` leaf it
//! issued, written as PEM files into a temporary folder (removed on drop) for the two
//! proxies, and a client config that trusts the CA.
//!
//! The client config turns resumption off (`Resumption::disabled()`), so every connection
//! the client opens is a full handshake, on both proxies.
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use rustls::pki_types::CertificateDer;
use rustls::{ClientConfig, RootCertStore};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// A folder removed (with its content) on drop.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> std::io::Result<TempDir> {
        static N: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "wakeful-bench-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        Ok(TempDir(dir))
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The PEM files both proxies load, and the client's config.
#[derive(Debug)]
pub struct Certs {
    _dir: TempDir,
    /// Leaf, then CA.
    pub chain: PathBuf,
    pub key: PathBuf,
    pub client: Arc<ClientConfig>,
}

impl Certs {
    pub fn generate() -> Result<Certs, String> {
        let err = |e: &dyn std::fmt::Display| format!("cannot make the test certificates: {e}");
        let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(|e| err(&e))?;
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "wakeful proxy bench CA");
        let ca_key = KeyPair::generate().map_err(|e| err(&e))?;
        let issuer = CertifiedIssuer::self_signed(ca, ca_key).map_err(|e| err(&e))?;
        let key = KeyPair::generate().map_err(|e| err(&e))?;
        let leaf = CertificateParams::new(vec!["localhost".to_string()])
            .map_err(|e| err(&e))?
            .signed_by(&key, &issuer)
            .map_err(|e| err(&e))?;

        let dir = TempDir::new("certs").map_err(|e| err(&e))?;
        let chain = dir.path("chain.pem");
        let key_path = dir.path("key.pem");
        std::fs::write(&chain, format!("{}{}", leaf.pem(), issuer.pem())).map_err(|e| err(&e))?;
        std::fs::write(&key_path, key.serialize_pem()).map_err(|e| err(&e))?;

        let mut roots = RootCertStore::empty();
        roots
            .add(CertificateDer::from(issuer.der().to_vec()))
            .map_err(|e| err(&e))?;
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut client = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| err(&e))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        client.resumption = rustls::client::Resumption::disabled();
        Ok(Certs {
            _dir: dir,
            chain,
            key: key_path,
            client: Arc::new(client),
        })
    }
}
