//! How a `reset` fault resets a connection: the stream under the WebSocket sets a zero linger, so that
//! dropping it sends a TCP RST instead of a FIN. Streams without a socket (test pipes) just close.

use tokio::io::DuplexStream;
use tokio::net::TcpStream;

use crate::serve::outbound::Stream;
use crate::serve::rewind::Rewind;

/// A stream that can be made to end with a TCP reset when it is dropped.
pub trait Abort {
    /// Arms the reset: the next drop of the stream resets the connection.
    fn abort(&self);
}

impl Abort for TcpStream {
    fn abort(&self) {
        if let Err(error) = self.set_zero_linger() {
            tracing::debug!(%error, "cannot arm a reset");
        }
    }
}

impl Abort for tokio_rustls::server::TlsStream<TcpStream> {
    fn abort(&self) {
        self.get_ref().0.abort();
    }
}

impl Abort for Stream {
    fn abort(&self) {
        match self {
            Stream::Plain(tcp) => tcp.abort(),
            Stream::Tls(tls) => tls.get_ref().0.abort(),
        }
    }
}

impl<S: Abort> Abort for Rewind<S> {
    fn abort(&self) {
        self.inner().abort();
    }
}

impl Abort for DuplexStream {
    fn abort(&self) {}
}
