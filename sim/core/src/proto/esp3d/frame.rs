//! The data socket's binary file-transfer frames (seed 003): two ASCII type bytes, a 2-byte big-endian
//! payload length, the payload. Decoding client frames, encoding the board's answers; never panics.

use bytes::{BufMut, Bytes, BytesMut};

/// The largest frame, header included (the seed's "frame of 1024 bytes").
pub const MAX_FRAME: usize = 1024;
/// The frame header: two type bytes and the 2-byte payload length.
pub const HEADER: usize = 4;
/// The most file bytes one `UP` or `DP` frame carries (the frame, less the header and the packet id).
pub const MAX_CHUNK: usize = MAX_FRAME - HEADER - 4;

/// A transfer state, the first payload byte of `RS` and of most answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// `B`: busy (another client's transfer is under way).
    Busy,
    /// `O`: idle, or the step succeeded.
    Ok,
    /// `E`: the last transfer failed.
    Error,
    /// `A`: the last transfer was aborted.
    Abort,
    /// `D`: a download is under way.
    Download,
    /// `U`: an upload is under way.
    Upload,
}

impl State {
    /// The state's wire byte.
    pub fn byte(self) -> u8 {
        match self {
            State::Busy => b'B',
            State::Ok => b'O',
            State::Error => b'E',
            State::Abort => b'A',
            State::Download => b'D',
            State::Upload => b'U',
        }
    }
}

/// A frame a client sends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientFrame {
    /// `SR`: status request.
    StatusRequest,
    /// `SU`: start an upload of `size` bytes to `path`/`name`.
    StartUpload { path: String, name: String, size: u32 },
    /// `UP`: one packet of an upload.
    UploadPacket { id: u32, data: Vec<u8> },
    /// `SD`: start a download of `path`/`name`.
    StartDownload { path: String, name: String },
    /// `PD`: the client's acknowledgement of download packet `id`.
    DownloadAck { id: u32 },
    /// `CM`: a command; `A` aborts.
    Command(u8),
}

/// Why bytes that carry a transfer frame's type are not a valid frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("frame larger than {MAX_FRAME} bytes")]
    TooLarge,
    #[error("payload does not match its frame type")]
    BadPayload,
}

/// The type bytes of every frame a client may send.
const CLIENT_TYPES: [&[u8; 2]; 6] = [b"SR", b"SU", b"UP", b"SD", b"PD", b"CM"];

/// Whether a binary message is a transfer frame rather than G-code bytes: it starts with a client frame
/// type and its length field equals the bytes that follow the header.
pub fn is_transfer_frame(message: &[u8]) -> bool {
    message.len() >= HEADER
        && CLIENT_TYPES.iter().any(|t| message[..2] == t[..])
        && usize::from(u16::from_be_bytes([message[2], message[3]])) == message.len() - HEADER
}

/// Decodes a message that [`is_transfer_frame`] accepted.
pub fn decode(message: &[u8]) -> Result<ClientFrame, FrameError> {
    if message.len() > MAX_FRAME {
        return Err(FrameError::TooLarge);
    }
    let payload = message.get(HEADER..).ok_or(FrameError::BadPayload)?;
    let mut reader = Reader(payload);
    let frame = match message.get(..2) {
        Some(b"SR") => ClientFrame::StatusRequest,
        Some(b"SU") => {
            let (path, name) = (reader.string()?, reader.string()?);
            ClientFrame::StartUpload {
                path,
                name,
                size: reader.u32()?,
            }
        }
        Some(b"UP") => {
            let id = reader.u32()?;
            ClientFrame::UploadPacket {
                id,
                data: reader.rest().to_vec(),
            }
        }
        Some(b"SD") => {
            let (path, name) = (reader.string()?, reader.string()?);
            // The seed lists a size field for SD too; a client may send it, it carries nothing.
            if !reader.rest().is_empty() {
                reader.u32()?;
            }
            ClientFrame::StartDownload { path, name }
        }
        Some(b"PD") => {
            if reader.u8()? != b'O' {
                return Err(FrameError::BadPayload);
            }
            ClientFrame::DownloadAck { id: reader.u32()? }
        }
        Some(b"CM") => ClientFrame::Command(reader.u8()?),
        _ => return Err(FrameError::BadPayload),
    };
    if reader.rest().is_empty() || matches!(frame, ClientFrame::UploadPacket { .. }) {
        Ok(frame)
    } else {
        Err(FrameError::BadPayload)
    }
}

/// Reads the big-endian fields of a payload.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], FrameError> {
        if self.0.len() < n {
            return Err(FrameError::BadPayload);
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }

    fn u8(&mut self) -> Result<u8, FrameError> {
        Ok(self.take(1)?[0])
    }

    fn u32(&mut self) -> Result<u32, FrameError> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A 1-byte length then that many bytes of UTF-8.
    fn string(&mut self) -> Result<String, FrameError> {
        let len = usize::from(self.u8()?);
        let bytes = self.take(len)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| FrameError::BadPayload)
    }

    fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.0)
    }
}

/// A frame of type `kind` around `payload`.
pub fn encode(kind: &[u8; 2], payload: &[u8]) -> Bytes {
    let mut out = BytesMut::with_capacity(HEADER + payload.len());
    out.put_slice(kind);
    out.put_u16(u16::try_from(payload.len()).unwrap_or(u16::MAX));
    out.put_slice(payload);
    out.freeze()
}

/// The error extra data: a code byte, a length byte, the text (cut to 255 bytes).
pub fn error_payload(state: State, code: u8, text: &str) -> Vec<u8> {
    let text = &text.as_bytes()[..text.len().min(255)];
    let mut out = vec![state.byte(), code, text.len() as u8];
    out.extend_from_slice(text);
    out
}

/// The upload or download extra data: path, name, total size, bytes processed, last packet id.
pub fn progress_payload(state: State, path: &str, name: &str, total: u32, done: u32, last_id: u32) -> Vec<u8> {
    let mut out = vec![state.byte()];
    for text in [path, name] {
        let text = &text.as_bytes()[..text.len().min(255)];
        out.push(text.len() as u8);
        out.extend_from_slice(text);
    }
    for value in [total, done, last_id] {
        out.extend_from_slice(&value.to_be_bytes());
    }
    out
}

/// A 1-byte state then a 4-byte id: the `PU` and `PD`-style acknowledgement payload.
pub fn ack_payload(state: State, id: u32) -> Vec<u8> {
    let mut out = vec![state.byte()];
    out.extend_from_slice(&id.to_be_bytes());
    out
}

/// The client-side encodings, for tests and for the conformance suite's client.
pub mod client {
    use super::encode;
    use bytes::Bytes;

    fn path_name(path: &str, name: &str) -> Vec<u8> {
        let mut out = Vec::new();
        for text in [path, name] {
            out.push(text.len().min(255) as u8);
            out.extend_from_slice(&text.as_bytes()[..text.len().min(255)]);
        }
        out
    }

    /// `SR`.
    pub fn status_request() -> Bytes {
        encode(b"SR", &[])
    }

    /// `SU path name size`.
    pub fn start_upload(path: &str, name: &str, size: u32) -> Bytes {
        let mut payload = path_name(path, name);
        payload.extend_from_slice(&size.to_be_bytes());
        encode(b"SU", &payload)
    }

    /// `UP id data`.
    pub fn upload_packet(id: u32, data: &[u8]) -> Bytes {
        let mut payload = id.to_be_bytes().to_vec();
        payload.extend_from_slice(data);
        encode(b"UP", &payload)
    }

    /// `SD path name`.
    pub fn start_download(path: &str, name: &str) -> Bytes {
        encode(b"SD", &path_name(path, name))
    }

    /// `PD O id`.
    pub fn download_ack(id: u32) -> Bytes {
        encode(b"PD", &super::ack_payload(super::State::Ok, id))
    }

    /// `CM A`.
    pub fn abort() -> Bytes {
        encode(b"CM", b"A")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_seeds_examples_encode_byte_for_byte() {
        assert_eq!(&client::status_request()[..], b"SR\x00\x00");
        assert_eq!(&client::abort()[..], b"CM\x00\x01A");
        assert_eq!(&encode(b"RS", &[State::Abort.byte()])[..], [0x52, 0x53, 0, 1, 0x41]);
        assert_eq!(
            &encode(b"PU", &ack_payload(State::Ok, 7))[..],
            b"PU\x00\x05O\x00\x00\x00\x07"
        );
    }

    #[test]
    fn client_frames_decode() {
        let su = client::start_upload("/gcodes", "cube.gco", 0x0102_0304);
        assert_eq!(&su[..4], b"SU\x00\x15");
        assert!(is_transfer_frame(&su));
        assert_eq!(
            decode(&su),
            Ok(ClientFrame::StartUpload {
                path: "/gcodes".into(),
                name: "cube.gco".into(),
                size: 0x0102_0304
            })
        );
        let up = client::upload_packet(3, b"G28\n");
        assert_eq!(
            decode(&up),
            Ok(ClientFrame::UploadPacket {
                id: 3,
                data: b"G28\n".to_vec()
            })
        );
        assert_eq!(decode(&client::download_ack(9)), Ok(ClientFrame::DownloadAck { id: 9 }));
        assert_eq!(
            decode(&client::start_download("/", "a.g")),
            Ok(ClientFrame::StartDownload {
                path: "/".into(),
                name: "a.g".into()
            })
        );
        assert_eq!(decode(&client::abort()), Ok(ClientFrame::Command(b'A')));
    }

    #[test]
    fn gcode_and_inconsistent_lengths_are_not_frames() {
        assert!(!is_transfer_frame(b"G28\n"));
        assert!(!is_transfer_frame(b"SR"));
        assert!(!is_transfer_frame(b"SR\x00\x01"));
        assert!(!is_transfer_frame(b"M105\n"));
        assert!(!is_transfer_frame(b"RS\x00\x00"));
    }

    #[test]
    fn malformed_payloads_and_oversized_frames_are_errors() {
        assert_eq!(decode(b"SR\x00\x01X"), Err(FrameError::BadPayload));
        assert_eq!(decode(b"SU\x00\x02\x05a"), Err(FrameError::BadPayload));
        assert_eq!(decode(b"PD\x00\x05E\x00\x00\x00\x01"), Err(FrameError::BadPayload));
        let big = client::upload_packet(0, &[0; MAX_CHUNK + 1]);
        assert!(is_transfer_frame(&big));
        assert_eq!(decode(&big), Err(FrameError::TooLarge));
        assert!(decode(&client::upload_packet(0, &[0; MAX_CHUNK])).is_ok());
    }

    #[test]
    fn extra_data_layouts() {
        assert_eq!(error_payload(State::Error, 5, "No"), b"E\x05\x02No");
        assert_eq!(
            progress_payload(State::Upload, "/", "a", 10, 4, 1),
            b"U\x01/\x01a\x00\x00\x00\x0a\x00\x00\x00\x04\x00\x00\x00\x01"
        );
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..1100)) {
            if is_transfer_frame(&bytes) {
                let _ = decode(&bytes);
            }
            let _ = decode(&bytes);
        }
    }
}
