//! How a `reset` fault resets a connection: the stream under the WebSocket sets a zero linger, so that
//! dropping it sends a TCP RST instead of a FIN; a stream handed to the HTTP server is armed through a shared
//! flag. Streams without a socket (test pipes) just close.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, DuplexStream, ReadBuf};
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

/// A stream that someone else owns (the HTTP server) and that a fault may still reset: arming the shared
/// [`ResetSwitch`] makes its drop reset the connection.
pub struct Resettable<S: Abort> {
    io: S,
    switch: ResetSwitch,
}

/// Arms the reset of a [`Resettable`] stream from outside it.
#[derive(Clone, Debug, Default)]
pub struct ResetSwitch(Arc<AtomicBool>);

impl ResetSwitch {
    /// The next drop of the stream resets the connection.
    pub fn arm(&self) {
        self.0.store(true, Ordering::Release);
    }
}

impl<S: Abort> Resettable<S> {
    /// `io`, and the switch that arms its reset.
    pub fn new(io: S) -> (Self, ResetSwitch) {
        let switch = ResetSwitch::default();
        (
            Resettable {
                io,
                switch: switch.clone(),
            },
            switch,
        )
    }
}

impl<S: Abort> Drop for Resettable<S> {
    fn drop(&mut self) {
        if self.switch.0.load(Ordering::Acquire) {
            self.io.abort();
        }
    }
}

impl<S: Abort + AsyncRead + Unpin> AsyncRead for Resettable<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<S: Abort + AsyncWrite + Unpin> AsyncWrite for Resettable<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}
