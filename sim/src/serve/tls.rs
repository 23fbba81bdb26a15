//! TLS for any endpoint: a rustls server configuration (ring provider) from PEM files, or from a
//! self-signed certificate made at start and written as PEM so that clients can trust it.

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// Why a TLS configuration could not be built.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read the certificate {path}: {reason}")]
    Certificate { path: String, reason: String },
    #[error("cannot read the private key {path}: {reason}")]
    Key { path: String, reason: String },
    #[error("cannot make a self-signed certificate: {0}")]
    Generate(String),
    #[error("cannot write the certificate file: {0}")]
    Write(#[from] io::Error),
    #[error("the certificate and key are not usable together: {0}")]
    Config(String),
}

/// A server configuration and, for a self-signed one, its certificate in PEM.
pub struct ServerTls {
    /// What the listener serves with.
    pub config: Arc<ServerConfig>,
    /// The self-signed certificate in PEM (for clients to trust); `None` for certificates from files.
    pub self_signed_pem: Option<String>,
}

/// A self-signed certificate for `names` (DNS names or IP addresses, e.g. `localhost`, `127.0.0.1`).
pub fn self_signed(names: &[&str]) -> Result<ServerTls, TlsError> {
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let certified = rcgen::generate_simple_self_signed(names).map_err(|e| TlsError::Generate(e.to_string()))?;
    let pem = certified.cert.pem();
    let key =
        PrivateKeyDer::try_from(certified.signing_key.serialize_der()).map_err(|e| TlsError::Generate(e.into()))?;
    let config = server_config(vec![certified.cert.der().clone()], key)?;
    Ok(ServerTls {
        config,
        self_signed_pem: Some(pem),
    })
}

/// A configuration from a PEM certificate chain and a PEM private key.
pub fn from_pem_files(cert: &Path, key: &Path) -> Result<ServerTls, TlsError> {
    let cert_error = |reason: String| TlsError::Certificate {
        path: cert.display().to_string(),
        reason,
    };
    let chain = CertificateDer::pem_file_iter(cert)
        .map_err(|e| cert_error(e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| cert_error(e.to_string()))?;
    if chain.is_empty() {
        return Err(cert_error("no CERTIFICATE block found".into()));
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| TlsError::Key {
        path: key.display().to_string(),
        reason: e.to_string(),
    })?;
    Ok(ServerTls {
        config: server_config(chain, key)?,
        self_signed_pem: None,
    })
}

fn server_config(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<Arc<ServerConfig>, TlsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Config(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| TlsError::Config(e.to_string()))?;
    Ok(Arc::new(config))
}

/// A PEM file in the temporary directory, removed when dropped.
#[derive(Debug)]
pub struct PemFile {
    path: PathBuf,
}

impl PemFile {
    /// Writes `pem` to a new file whose name starts with `prefix`.
    pub fn write(prefix: &str, pem: &str) -> Result<PemFile, TlsError> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("{prefix}-{}-{n}.pem", std::process::id()));
        let mut file = OpenOptions::new().write(true).create_new(true).open(&path)?;
        file.write_all(pem.as_bytes())?;
        Ok(PemFile { path })
    }

    /// Where the file is.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for PemFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_self_signed_certificate_round_trips_through_pem_files() {
        let made = self_signed(&["localhost", "127.0.0.1"]).unwrap();
        let pem = made.self_signed_pem.unwrap();
        assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));
        let file = PemFile::write("understudy-tls-test", &pem).unwrap();
        let path = file.path().to_path_buf();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), pem);
        // A certificate file is not a key.
        assert!(matches!(from_pem_files(&path, &path), Err(TlsError::Key { .. })));
        drop(file);
        assert!(!path.exists());
    }

    #[test]
    fn missing_files_are_reported_by_path() {
        let error = from_pem_files(Path::new("/nonexistent/cert.pem"), Path::new("/nonexistent/key.pem"))
            .err()
            .unwrap();
        assert!(error.to_string().contains("/nonexistent/cert.pem"), "{error}");
    }
}
