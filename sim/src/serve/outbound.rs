//! Outbound connections for devices that dial out: a TCP connect bounded in time, then TLS verified against
//! the system's roots or a given PEM file, behind one stream type that HTTP and WebSocket clients share.

use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, RootCertStore};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// How long a TCP connect plus the TLS handshake may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Why an outbound connection could not be made.
#[derive(Debug, thiserror::Error)]
pub enum DialError {
    #[error("cannot read the CA file {path}: {reason}")]
    Ca { path: String, reason: String },
    #[error("no trusted root certificates were found on this system (give a CA file)")]
    NoRoots,
    #[error("cannot set up TLS: {0}")]
    Tls(String),
    #[error("cannot connect to {0}: {1}")]
    Connect(String, io::Error),
    #[error("connecting to {0} timed out")]
    TimedOut(String),
    #[error("{0} is not a TLS server name")]
    ServerName(String),
    #[error("TLS handshake with {0} failed: {1}")]
    Handshake(String, io::Error),
}

/// Which certificates a TLS server must chain to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trust {
    /// The system's roots (`SSL_CERT_FILE` and `SSL_CERT_DIR` are honoured).
    System,
    /// The certificates in this PEM file, and no others.
    Pem(PathBuf),
}

/// Opens plain or TLS connections to one kind of server.
#[derive(Clone)]
pub struct Dialer {
    tls: Option<tokio_rustls::TlsConnector>,
}

impl std::fmt::Debug for Dialer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.tls.is_some() {
            "Dialer(tls)"
        } else {
            "Dialer(plain)"
        })
    }
}

impl Dialer {
    /// Plain TCP.
    pub fn plain() -> Self {
        Dialer { tls: None }
    }

    /// TLS over TCP, verifying the server's certificate (there is no way to turn that off).
    pub fn tls(trust: &Trust) -> Result<Self, DialError> {
        let roots = match trust {
            Trust::System => {
                let mut roots = RootCertStore::empty();
                let (added, _) = roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
                if added == 0 {
                    return Err(DialError::NoRoots);
                }
                roots
            }
            Trust::Pem(path) => pem_roots(path)?,
        };
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| DialError::Tls(e.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Dialer {
            tls: Some(tokio_rustls::TlsConnector::from(Arc::new(config))),
        })
    }

    /// Connects to `host:port` (TLS checked against `host`), within [`CONNECT_TIMEOUT`].
    pub async fn open(&self, host: &str, port: u16) -> Result<Stream, DialError> {
        let authority = format!("{host}:{port}");
        let connect = async {
            // An IPv6 literal is written `[::1]` in URLs; the socket wants it bare.
            let bare = host.trim_start_matches('[').trim_end_matches(']');
            let tcp = TcpStream::connect((bare, port))
                .await
                .map_err(|e| DialError::Connect(authority.clone(), e))?;
            let _ = tcp.set_nodelay(true);
            match &self.tls {
                None => Ok(Stream::Plain(tcp)),
                Some(connector) => {
                    let name =
                        ServerName::try_from(bare.to_owned()).map_err(|_| DialError::ServerName(host.to_owned()))?;
                    let tls = connector
                        .connect(name, tcp)
                        .await
                        .map_err(|e| DialError::Handshake(authority.clone(), e))?;
                    Ok(Stream::Tls(Box::new(tls)))
                }
            }
        };
        tokio::time::timeout(CONNECT_TIMEOUT, connect)
            .await
            .map_err(|_| DialError::TimedOut(authority.clone()))?
    }
}

fn pem_roots(path: &Path) -> Result<RootCertStore, DialError> {
    let error = |reason: String| DialError::Ca {
        path: path.display().to_string(),
        reason,
    };
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(path).map_err(|e| error(e.to_string()))? {
        let cert = cert.map_err(|e| error(e.to_string()))?;
        roots.add(cert).map_err(|e| error(e.to_string()))?;
    }
    if roots.is_empty() {
        return Err(error("it holds no certificate".into()));
    }
    Ok(roots)
}

/// A connection to a server, plain or TLS.
pub enum Stream {
    /// Plain TCP.
    Plain(TcpStream),
    /// TLS over TCP.
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl AsyncRead for Stream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}
