//! The request-head sniffer every listener runs first, fed in fuzzer-chosen chunk sizes: a head that ends
//! early enough is found and handed on unchanged, an upgrade is only seen where the head says so, and an
//! overlong head is refused.
#![no_main]

use std::future::Future;
use std::io;
use std::pin::{Pin, pin};
use std::task::{Context, Poll, Waker};

use libfuzzer_sys::fuzz_target;
use understudy_fuzz::take_u64;
use understudy_sim::serve::listener::{HeadError, read_head};

/// Heads ending within this many bytes must be found (the sniffer's own limit is larger).
const SURELY_ACCEPTED: usize = 8 * 1024;

/// A reader that hands out `input` at most `chunk` bytes at a time, always ready.
struct Chunked<'a> {
    input: &'a [u8],
    chunk: usize,
}

impl tokio::io::AsyncRead for Chunked<'_> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let n = self.chunk.min(self.input.len()).min(buf.remaining());
        buf.put_slice(&self.input[..n]);
        self.input = &self.input[n..];
        Poll::Ready(Ok(()))
    }
}

fuzz_target!(|data: &[u8]| {
    let mut data = data;
    let chunk = 1 + take_u64::<1>(&mut data) as usize * 4;
    let mut reader = Chunked { input: data, chunk };
    let mut future = pin!(read_head(&mut reader));
    let Poll::Ready(result) = future.as_mut().poll(&mut Context::from_waker(Waker::noop())) else {
        panic!("the sniffer waited on a reader that is always ready");
    };
    let end = data.windows(4).position(|w| w == b"\r\n\r\n").map(|at| at + 4);
    match result {
        Ok(Some(head)) => {
            let found = end.expect("a head was found where there is no blank line");
            assert!(data.starts_with(&head.bytes) && head.bytes.len() >= found);
            let text = String::from_utf8_lossy(&data[..found]).to_ascii_lowercase();
            assert!(!head.is_upgrade || (text.contains("upgrade") && text.contains("websocket")));
        }
        Ok(None) => assert!(end.is_none(), "a complete head was dropped"),
        Err(HeadError::TooLarge) => assert!(end.is_none_or(|end| end > SURELY_ACCEPTED)),
        Err(HeadError::Io) => panic!("the reader never fails"),
    }
});
