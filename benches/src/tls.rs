//! TLS for the wss benches: one self-signed certificate written to PEM files (for the simulator and the bare
//! acceptor alike), a client configuration trusting it, wss connects, and a bare tokio-rustls broadcast server.

use std::sync::Arc;

use rustls::ClientConfig;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast;
use tokio::task::JoinHandle;
use tokio_rustls::{TlsAcceptor, TlsConnector};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Utf8Bytes;
use understudy_sim::serve::session::websocket_config;
use understudy_sim::serve::tls::{self as sim_tls, PemFile};

use crate::Error;

/// A self-signed certificate for `127.0.0.1` and `localhost`, as PEM files (removed when dropped).
pub struct CertFiles {
    pub cert: PemFile,
    pub key: PemFile,
    /// The certificate, for clients to trust.
    pub der: CertificateDer<'static>,
}

/// Makes a certificate.
pub fn cert_files() -> Result<CertFiles, Error> {
    let made = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string(), "localhost".to_string()])
        .map_err(|e| Error::Tls(e.to_string()))?;
    let cert = PemFile::write("bench-cert", &made.cert.pem()).map_err(|e| Error::Tls(e.to_string()))?;
    let key = PemFile::write("bench-key", &made.signing_key.serialize_pem()).map_err(|e| Error::Tls(e.to_string()))?;
    Ok(CertFiles {
        cert,
        key,
        der: made.cert.der().clone(),
    })
}

/// A client configuration that trusts `cert` only.
pub fn client_config(cert: &CertificateDer<'static>) -> Result<Arc<ClientConfig>, Error> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.clone()).map_err(|e| Error::Tls(e.to_string()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// The TLS stream a wss client speaks WebSocket over.
pub type TlsStream = tokio_rustls::client::TlsStream<TcpStream>;

/// Connects to `url` (`wss://127.0.0.1:PORT/...`): TCP, the TLS handshake for 127.0.0.1, the upgrade.
pub async fn connect_wss(url: &str, config: &Arc<ClientConfig>) -> Result<WebSocketStream<TlsStream>, Error> {
    let rest = url
        .strip_prefix("wss://")
        .ok_or(Error::Tls(format!("not a wss URL: {url}")))?;
    let tls = tls_connect(rest.split('/').next().unwrap_or(rest), config).await?;
    let (ws, _) = tokio_tungstenite::client_async_with_config(url, tls, Some(websocket_config())).await?;
    Ok(ws)
}

/// TCP to `authority` (`127.0.0.1:PORT`, Nagle off), then the TLS handshake for 127.0.0.1.
pub async fn tls_connect(authority: &str, config: &Arc<ClientConfig>) -> Result<TlsStream, Error> {
    let tcp = TcpStream::connect(authority).await?;
    tcp.set_nodelay(true)?;
    let name = ServerName::try_from("127.0.0.1").map_err(|e| Error::Tls(e.to_string()))?;
    Ok(TlsConnector::from(config.clone()).connect(name, tcp).await?)
}

/// A bare wss broadcast server on 127.0.0.1 (tokio-rustls in front of [`crate::bare_broadcast::serve`]),
/// with the certificate in `files`; stops accepting when dropped.
pub struct BareTlsBroadcast {
    url: String,
    accept: JoinHandle<()>,
}

impl BareTlsBroadcast {
    /// Binds a free port. Must be called inside a tokio runtime.
    pub async fn start(files: &CertFiles) -> Result<BareTlsBroadcast, Error> {
        let config = sim_tls::from_pem_files(files.cert.path(), files.key.path())
            .map_err(|e| Error::Tls(e.to_string()))?
            .config;
        let acceptor = TlsAcceptor::from(config);
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let url = format!("wss://{}/", listener.local_addr()?);
        let (sender, _) = broadcast::channel::<Utf8Bytes>(64);
        let accept = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    continue;
                };
                let (acceptor, sender) = (acceptor.clone(), sender.clone());
                tokio::spawn(async move {
                    let _ = stream.set_nodelay(true);
                    if let Ok(tls) = acceptor.accept(stream).await {
                        crate::bare_broadcast::serve(tls, sender).await;
                    }
                });
            }
        });
        Ok(BareTlsBroadcast { url, accept })
    }

    /// The URL clients connect to.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for BareTlsBroadcast {
    fn drop(&mut self) {
        self.accept.abort();
    }
}
