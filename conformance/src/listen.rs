//! A listening target's socket: the address the checker binds for a device that dials in (`listen://` or,
//! with TLS, `listen+tls://`), its certificate (given files, or a self-signed one written to a temporary
//! file and announced with its SHA-256 fingerprint), and the stream each accepted connection becomes.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_util::either::Either;
use understudy_sim::serve::tls::{self, PemFile, ServerTls};

use crate::error::{Error, Result};

/// The scheme of a listening target's address: `listen://127.0.0.1:9000`.
pub const LISTEN_SCHEME: &str = "listen://";
/// The scheme of a listening target that serves TLS: `listen+tls://0.0.0.0:9443`.
pub const LISTEN_TLS_SCHEME: &str = "listen+tls://";
/// How long a TLS handshake with a device that connected may take.
const HANDSHAKE_WAIT: Duration = Duration::from_secs(10);

/// A connection a device made to the checker: plain TCP, or TLS over it.
pub type Incoming = Either<TcpStream, tokio_rustls::server::TlsStream<TcpStream>>;

/// Who made an accepted connection, for messages.
pub fn peer_of(stream: &Incoming) -> String {
    let tcp = match stream {
        Either::Left(tcp) => tcp,
        Either::Right(tls) => tls.get_ref().0,
    };
    peer_name(tcp)
}

fn peer_name(tcp: &TcpStream) -> String {
    tcp.peer_addr()
        .map_or_else(|_| "a device".to_string(), |a| a.to_string())
}

/// The address of a listening target URL and whether it serves TLS; `None` for a URL the checker dials.
pub fn listen_address(url: &str) -> Option<(&str, bool)> {
    url.strip_prefix(LISTEN_TLS_SCHEME)
        .map(|addr| (addr, true))
        .or_else(|| url.strip_prefix(LISTEN_SCHEME).map(|addr| (addr, false)))
}

/// The certificate a `listen+tls://` target serves: a PEM chain and key, or (both `None`) a self-signed one.
#[derive(Clone, Debug, Default)]
pub struct ListenIdentity {
    /// The PEM certificate chain (`--listen-cert`).
    pub cert: Option<PathBuf>,
    /// The PEM private key (`--listen-key`).
    pub key: Option<PathBuf>,
}

/// TLS on a listening socket: the acceptor and a line saying which certificate it presents.
struct ListenTls {
    acceptor: TlsAcceptor,
    certificate: String,
    /// The self-signed certificate's file, removed at the end of the run.
    file: Option<PemFile>,
}

/// A bound listening socket, with TLS when its URL asks for it.
pub struct ListenSocket {
    listener: TcpListener,
    addr: SocketAddr,
    tls: Option<ListenTls>,
}

impl std::fmt::Debug for ListenSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ListenSocket")
            .field("addr", &self.addr)
            .field("tls", &self.tls.as_ref().map(|t| &t.certificate))
            .finish()
    }
}

impl ListenSocket {
    /// Binds `wanted`, serving TLS with `identity` when `tls` is set.
    pub async fn bind(wanted: SocketAddr, tls: bool, identity: &ListenIdentity) -> Result<ListenSocket> {
        let listen_error = |source| Error::Listen {
            addr: wanted.to_string(),
            source,
        };
        let listener = TcpListener::bind(wanted).await.map_err(listen_error)?;
        let addr = listener.local_addr().map_err(listen_error)?;
        let tls = if tls { Some(listen_tls(addr, identity)?) } else { None };
        Ok(ListenSocket { listener, addr, tls })
    }

    /// The address it is bound to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Whether connections are TLS.
    pub fn is_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// `plain` (`ws`, `http`) or its TLS form (`wss`, `https`), as this socket serves.
    pub fn scheme(&self, plain: &'static str) -> String {
        if self.is_tls() {
            format!("{plain}s")
        } else {
            plain.to_string()
        }
    }

    /// Which certificate it presents, for the report (`None` without TLS).
    pub fn certificate(&self) -> Option<&str> {
        self.tls.as_ref().map(|t| t.certificate.as_str())
    }

    /// The self-signed certificate's PEM file, for the device to trust (`None` with given files or no TLS).
    pub fn certificate_file(&self) -> Option<&Path> {
        self.tls.as_ref().and_then(|t| t.file.as_ref()).map(PemFile::path)
    }

    /// The next TCP connection (the TLS handshake is [`Self::handshake`], to run apart from the accept loop).
    pub async fn accept(&self) -> std::io::Result<TcpStream> {
        let (tcp, _) = self.listener.accept().await?;
        let _ = tcp.set_nodelay(true);
        Ok(tcp)
    }

    /// Completes TLS on an accepted connection when the socket serves it (bounded), else passes it through.
    pub fn handshaker(&self) -> Handshaker {
        Handshaker(self.tls.as_ref().map(|t| t.acceptor.clone()))
    }
}

/// Turns an accepted TCP connection into an [`Incoming`] one (TLS when the listening socket serves it).
#[derive(Clone)]
pub struct Handshaker(Option<TlsAcceptor>);

impl Handshaker {
    /// The connection, after the TLS handshake if there is one.
    pub async fn handshake(&self, tcp: TcpStream) -> Result<Incoming> {
        let Some(acceptor) = &self.0 else {
            return Ok(Either::Left(tcp));
        };
        let peer = peer_name(&tcp);
        match tokio::time::timeout(HANDSHAKE_WAIT, acceptor.accept(tcp)).await {
            Ok(Ok(tls)) => Ok(Either::Right(tls)),
            Ok(Err(error)) => Err(Error::Wire(format!("the TLS handshake with {peer} failed: {error}"))),
            Err(_) => Err(Error::Wire(format!("the TLS handshake with {peer} timed out"))),
        }
    }
}

/// The TLS acceptor for a socket bound to `addr`: the identity's files, or a self-signed certificate for
/// `localhost`, `127.0.0.1` and the bound IP (written to a file, announced on stderr with its fingerprint).
fn listen_tls(addr: SocketAddr, identity: &ListenIdentity) -> Result<ListenTls> {
    let tls_error = |e: tls::TlsError| Error::Tls(e.to_string());
    let (made, file, certificate) = match (&identity.cert, &identity.key) {
        (Some(cert), Some(key)) => {
            let made = tls::from_pem_files(cert, key).map_err(tls_error)?;
            let fingerprint = fingerprint_of_file(cert)?;
            let line = format!("the certificate {} (SHA-256 {fingerprint})", cert.display());
            (made, None, line)
        }
        (None, None) => {
            let ip = addr.ip().to_string();
            let mut names = vec!["localhost", "127.0.0.1"];
            if !addr.ip().is_unspecified() && !names.contains(&ip.as_str()) {
                names.push(&ip);
            }
            let made = tls::self_signed(&names).map_err(tls_error)?;
            let pem = made.self_signed_pem.clone().unwrap_or_default();
            let file = PemFile::write("understudy-check-listen", &pem).map_err(tls_error)?;
            let fingerprint = fingerprint_of_pem(pem.as_bytes())?;
            let line = format!(
                "a self-signed certificate for {} in {} (SHA-256 {fingerprint})",
                names.join(", "),
                file.path().display()
            );
            eprintln!("understudy-check: {addr} serves TLS with {line}: the device must trust it");
            (made, Some(file), line)
        }
        _ => {
            return Err(Error::Tls(
                "--listen-cert and --listen-key go together (neither: a self-signed certificate)".into(),
            ));
        }
    };
    let ServerTls { config, .. } = made;
    Ok(ListenTls {
        acceptor: TlsAcceptor::from(config),
        certificate,
        file,
    })
}

fn fingerprint_of_file(path: &Path) -> Result<String> {
    let pem = std::fs::read(path).map_err(|e| Error::Tls(format!("cannot read {}: {e}", path.display())))?;
    fingerprint_of_pem(&pem)
}

/// The SHA-256 fingerprint of the first certificate in `pem`, as colon-separated upper-case hex.
fn fingerprint_of_pem(pem: &[u8]) -> Result<String> {
    let der = CertificateDer::from_pem_slice(pem).map_err(|e| Error::Tls(format!("no certificate in the PEM: {e}")))?;
    Ok(fingerprint(&der))
}

/// The SHA-256 fingerprint of a DER certificate, as colon-separated upper-case hex (as `openssl x509
/// -fingerprint -sha256` prints it).
pub fn fingerprint(der: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, der);
    digest
        .as_ref()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOOPBACK_ANY: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 0);

    #[test]
    fn listening_urls_are_told_from_dialled_ones() {
        assert_eq!(
            listen_address("listen://127.0.0.1:9000"),
            Some(("127.0.0.1:9000", false))
        );
        assert_eq!(
            listen_address("listen+tls://0.0.0.0:9443"),
            Some(("0.0.0.0:9443", true))
        );
        assert_eq!(listen_address("ws://127.0.0.1:9000/"), None);
    }

    #[test]
    fn the_fingerprint_is_sha256_in_openssl_form() {
        // SHA-256 of the empty input.
        assert!(
            fingerprint(b"").starts_with("E3:B0:C4:42:98:FC:1C:14"),
            "{}",
            fingerprint(b"")
        );
        assert_eq!(fingerprint(b"").len(), 32 * 3 - 1);
    }

    #[tokio::test]
    async fn a_tls_socket_without_files_makes_a_self_signed_certificate_and_half_an_identity_is_refused() {
        let socket = ListenSocket::bind(LOOPBACK_ANY, true, &ListenIdentity::default())
            .await
            .unwrap();
        assert_eq!(
            (socket.scheme("http"), socket.scheme("ws")),
            ("https".into(), "wss".into())
        );
        let line = socket.certificate().unwrap().to_string();
        assert!(line.contains("self-signed") && line.contains("SHA-256"), "{line}");
        let half = ListenIdentity {
            cert: Some("/nonexistent.pem".into()),
            key: None,
        };
        let error = ListenSocket::bind(LOOPBACK_ANY, true, &half).await.unwrap_err();
        assert!(error.to_string().contains("go together"), "{error}");
        let plain = ListenSocket::bind(LOOPBACK_ANY, false, &half).await.unwrap();
        assert!(plain.certificate_file().is_none());
        assert_eq!((plain.scheme("ws"), plain.certificate()), ("ws".to_string(), None));
    }
}

#[cfg(test)]
mod handshake_tests {
    use super::*;
    use crate::client::{Transport, Trust};

    #[tokio::test]
    async fn a_device_trusting_the_announced_file_completes_the_handshake_and_one_that_does_not_fails() {
        let any_loopback = SocketAddr::from(([127, 0, 0, 1], 0));
        let socket = ListenSocket::bind(any_loopback, true, &ListenIdentity::default())
            .await
            .unwrap();
        let authority = socket.addr().to_string();
        let file = socket.certificate_file().unwrap().to_path_buf();
        let trusting = Transport::tls(&Trust::PemFiles(vec![file])).unwrap();
        let (client, server) = tokio::join!(trusting.open(&authority, Some("127.0.0.1")), async {
            socket.handshaker().handshake(socket.accept().await.unwrap()).await
        });
        assert!(client.is_ok() && matches!(server, Ok(Either::Right(_))));

        let system = Transport::tls(&Trust::System).unwrap();
        let (client, server) = tokio::join!(system.open(&authority, Some("127.0.0.1")), async {
            socket.handshaker().handshake(socket.accept().await.unwrap()).await
        });
        assert!(client.is_err(), "an unknown self-signed certificate is not trusted");
        let error = server.err().unwrap().to_string();
        assert!(error.contains("TLS handshake with 127.0.0.1"), "{error}");
    }
}
