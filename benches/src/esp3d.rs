//! The ESP3D comparison on the data socket: an upload through `SU`/`UP` transfer frames, each acknowledged
//! before the next, and M105 round trips, against a bare server acking frames of the same size line for line.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio_tungstenite::tungstenite::{Bytes, Utf8Bytes};
use understudy_core::proto::esp3d::frame::{self, MAX_CHUNK, State, client};

use crate::Error;
use crate::bare_server::BareServer;
use crate::load_client::Client;
pub use crate::pair::{Target, Targets};

/// The simulator's data endpoint.
const DATA_ENDPOINT: &str = "esp3d-data";
/// The G-code line the round trips send.
pub const M105: &str = "M105\n";
/// The printer's answer to M105 at room temperature, the size the bare server answers with.
pub const M105_REPLY: &[u8] = b"ok T:20.0 /0.0 B:20.0 /0.0 @:0 B@:0\n";
/// The longest any one answer may take before the bench gives up (the firmware flushes within 500 ms).
const ANSWER_BOUND: Duration = Duration::from_secs(5);

/// The bare server's work per frame: a transfer frame gets the acknowledgement of the same size the board
/// sends (`US O` to `SU`, `PU O id` to `UP`); any other input gets one M105-sized line per line it holds.
pub fn bare_answer(bytes: &[u8]) -> Option<Bytes> {
    if frame::is_transfer_frame(bytes) {
        return match &bytes[..2] {
            b"SU" => Some(frame::encode(b"US", &[State::Ok.byte()])),
            b"UP" => {
                let id = bytes.get(4..8)?;
                let id = u32::from_be_bytes([id[0], id[1], id[2], id[3]]);
                Some(frame::encode(b"PU", &frame::ack_payload(State::Ok, id)))
            }
            _ => None,
        };
    }
    let lines = bytes.iter().filter(|&&b| b == b'\n').count();
    (lines > 0).then(|| M105_REPLY.repeat(lines).into())
}

/// The simulator's data socket and the bare server.
pub async fn targets() -> Result<Targets, Error> {
    Targets::start(
        "esp3d",
        DATA_ENDPOINT,
        BareServer::start_binary(Arc::new(bare_answer)).await?,
    )
    .await
}

/// The frames of one upload of `size` bytes to `/name`: `SU`, then `UP` frames of the largest size.
pub struct Upload {
    start: Bytes,
    packets: Vec<Bytes>,
    size: usize,
}

impl Upload {
    /// Encodes an upload of `size` bytes of G-code-like text (`size` is capped at `u32::MAX`).
    pub fn new(name: &str, size: usize) -> Upload {
        let size = size.min(u32::MAX as usize);
        let data: Vec<u8> = b"G1 X10 Y10 E0.5\n".iter().copied().cycle().take(size).collect();
        let packets = data
            .chunks(MAX_CHUNK)
            .zip(1u32..)
            .map(|(chunk, id)| client::upload_packet(id, chunk))
            .collect();
        Upload {
            start: client::start_upload("/", name, size as u32),
            packets,
            size,
        }
    }

    /// The file's size in bytes.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Sends the whole upload on `client`, waiting for each acknowledgement before the next frame; returns
    /// the time from `SU` to the last `PU`.
    pub async fn send(&self, client: &mut Client, target: &'static str) -> Result<Duration, Error> {
        let started = Instant::now();
        let answer = exchange(client, self.start.clone()).await?;
        expect(target, "SU", &answer, b"US", None)?;
        for (packet, id) in self.packets.iter().zip(1u32..) {
            let answer = exchange(client, packet.clone()).await?;
            expect(target, "UP", &answer, b"PU", Some(id))?;
        }
        Ok(started.elapsed())
    }
}

/// Sends one binary frame and waits (bounded) for the next binary frame.
async fn exchange(client: &mut Client, frame: Bytes) -> Result<Bytes, Error> {
    client.send_binary(frame).await?;
    bounded(client.next_binary()).await
}

async fn bounded<T>(future: impl Future<Output = Result<T, Error>>) -> Result<T, Error> {
    tokio::time::timeout(ANSWER_BOUND, future)
        .await
        .map_err(|_| Error::Timeout(ANSWER_BOUND))?
}

/// Checks an acknowledgement: its type, state `O`, and the packet id when one is expected.
fn expect(
    target: &'static str,
    request: &'static str,
    answer: &[u8],
    kind: &[u8; 2],
    id: Option<u32>,
) -> Result<(), Error> {
    let id_ok = id.is_none_or(|id| answer.get(5..9) == Some(&id.to_be_bytes()[..]));
    if answer.get(..2) == Some(&kind[..]) && answer.get(4) == Some(&State::Ok.byte()) && id_ok {
        Ok(())
    } else {
        Err(Error::BadReply {
            target,
            request,
            reply: format!("{answer:?}"),
        })
    }
}

/// Sends M105 and waits for one whole answer line; returns the time it took.
pub async fn m105(client: &mut Client, target: &'static str) -> Result<Duration, Error> {
    let request = Utf8Bytes::from_static(M105);
    let started = Instant::now();
    client.send(&request).await?;
    let mut answer = Vec::new();
    while !answer.ends_with(b"\n") {
        answer.extend_from_slice(&bounded(client.next_binary()).await?);
    }
    let elapsed = started.elapsed();
    if !answer.starts_with(b"ok T:") {
        return Err(Error::BadReply {
            target,
            request: "M105",
            reply: String::from_utf8_lossy(&answer).into_owned(),
        });
    }
    Ok(elapsed)
}

/// Sends `n` M105 lines back to back (one text frame each) and waits until `n` answer lines have come back;
/// returns the time from the first request to the last line.
pub async fn m105_burst(client: &mut Client, n: usize) -> Result<Duration, Error> {
    let request = Utf8Bytes::from_static(M105);
    let started = Instant::now();
    for _ in 0..n {
        client.feed(&request).await?;
    }
    client.flush().await?;
    let mut lines = 0;
    while lines < n {
        let answer = bounded(client.next_binary()).await?;
        lines += answer.iter().filter(|&&b| b == b'\n').count();
    }
    Ok(started.elapsed())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bare_server_acks_like_the_board() {
        assert_eq!(
            &bare_answer(&client::start_upload("/", "a.g", 3)).unwrap()[..],
            b"US\x00\x01O"
        );
        assert_eq!(
            &bare_answer(&client::upload_packet(7, b"abc")).unwrap()[..],
            b"PU\x00\x05O\x00\x00\x00\x07"
        );
        assert_eq!(bare_answer(b"M105\nM105\n").unwrap().len(), 2 * M105_REPLY.len());
        assert_eq!(bare_answer(b"M10"), None);
    }

    #[test]
    fn an_upload_is_cut_into_frames_of_the_largest_size() {
        let upload = Upload::new("x.g", 2 * MAX_CHUNK + 1);
        assert_eq!(upload.packets.len(), 3);
        assert_eq!(upload.packets[0].len(), frame::MAX_FRAME);
        assert_eq!(upload.packets[2].len(), frame::HEADER + 4 + 1);
    }

    #[test]
    fn both_targets_take_an_upload_and_answer_m105() {
        let server = crate::runtime(1, "esp3d-server").unwrap();
        let load = crate::runtime(1, "esp3d-client").unwrap();
        let targets = server.block_on(targets()).unwrap();
        let upload = Upload::new("check.g", 3 * MAX_CHUNK);
        load.block_on(async {
            for target in targets.list() {
                let mut client = Client::connect(&target.url).await.unwrap();
                upload.send(&mut client, target.name).await.unwrap();
                m105(&mut client, target.name).await.unwrap();
                m105_burst(&mut client, 40).await.unwrap();
                client.close().await;
            }
        });
        server.block_on(targets.shutdown());
    }
}
