//! The binary file transfers of the data socket over the SD card: the states (B, O, E, A, D, U), `SU`/`UP`
//! uploads written whole at the end, `SD`/`DP` downloads paced by `PD`, `CM A`; no partial file, ever.

use bytes::Bytes;

use super::frame::{self, ClientFrame, FrameError, MAX_CHUNK, State};
use crate::model::volume::{Volume, VolumeError};
use crate::time::SimTime;

/// Error codes and texts of a failed transfer (the firmware's `ESP_ERROR_*` numbering).
pub mod errors {
    /// The upload target cannot be created (bad path, missing directory, a directory there).
    pub const FILE_CREATION: (u8, &str) = (2, "File creation failed");
    /// The card refused the finished file.
    pub const FILE_WRITE: (u8, &str) = (3, "File write failed");
    /// A frame of a known type whose payload does not fit it, or an unknown command.
    pub const INVALID_FRAME: (u8, &str) = (4, "Invalid frame");
    /// The file does not fit in the free space.
    pub const NOT_ENOUGH_SPACE: (u8, &str) = (5, "Upload rejected");
    /// The download source does not exist or is a directory.
    pub const NOT_FOUND: (u8, &str) = (2, "File not found");
    /// A packet id that is neither the next one nor a repeat of the last one.
    pub const OUT_OF_SEQUENCE: (u8, &str) = (10, "Packet out of sequence");
    /// A frame larger than 1024 bytes.
    pub const TOO_LARGE: (u8, &str) = (11, "Frame too large");
    /// A packet or acknowledgement with no transfer of this client under way.
    pub const NOT_STARTED: (u8, &str) = (12, "No transfer started");
    /// More data than the size the upload announced.
    pub const SIZE: (u8, &str) = (13, "File size mismatch");
}

/// How the last transfer ended.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Outcome {
    Ok,
    Aborted,
    Failed(u8, &'static str),
}

#[derive(Clone, Debug)]
struct Upload {
    owner: u8,
    dir: String,
    name: String,
    full: String,
    size: u32,
    data: Vec<u8>,
    last_id: u32,
}

#[derive(Clone, Debug)]
struct Download {
    owner: u8,
    dir: String,
    name: String,
    data: Vec<u8>,
    sent: usize,
    last_id: u32,
}

#[derive(Clone, Debug)]
enum Current {
    Idle(Outcome),
    Upload(Upload),
    Download(Download),
}

/// The board's one transfer at a time.
#[derive(Clone, Debug)]
pub struct Transfers {
    current: Current,
}

impl Default for Transfers {
    fn default() -> Self {
        Transfers {
            current: Current::Idle(Outcome::Ok),
        }
    }
}

fn join(dir: &str, name: &str) -> String {
    format!("{}/{}", dir.trim_end_matches('/'), name)
}

/// The error frame payload of `(code, text)`.
fn error(kind: &[u8; 2], (code, text): (u8, &str)) -> Bytes {
    frame::encode(kind, &frame::error_payload(State::Error, code, text))
}

impl Transfers {
    /// The transfer state `SR` reports.
    pub fn state(&self) -> State {
        match &self.current {
            Current::Idle(Outcome::Ok) => State::Ok,
            Current::Idle(Outcome::Aborted) => State::Abort,
            Current::Idle(Outcome::Failed(..)) => State::Error,
            Current::Upload(_) => State::Upload,
            Current::Download(_) => State::Download,
        }
    }

    /// One frame from data client `slot`; returns the frames to send back to it.
    pub fn handle(
        &mut self,
        now: SimTime,
        slot: u8,
        frame: Result<ClientFrame, FrameError>,
        sd: &mut Volume,
    ) -> Vec<Bytes> {
        let frame = match frame {
            Ok(frame) => frame,
            Err(e) => {
                let code = if e == FrameError::TooLarge {
                    errors::TOO_LARGE
                } else {
                    errors::INVALID_FRAME
                };
                return vec![self.fail_owned(slot, code)];
            }
        };
        match frame {
            ClientFrame::StatusRequest => vec![self.status()],
            ClientFrame::StartUpload { path, name, size } => vec![self.start_upload(now, slot, path, name, size, sd)],
            ClientFrame::UploadPacket { id, data } => vec![self.packet(now, slot, id, data, sd)],
            ClientFrame::StartDownload { path, name } => self.start_download(slot, path, name, sd),
            ClientFrame::DownloadAck { id } => self.download_ack(slot, id),
            ClientFrame::Command(b'A') => {
                if !matches!(self.current, Current::Idle(_)) {
                    self.current = Current::Idle(Outcome::Aborted);
                }
                Vec::new()
            }
            ClientFrame::Command(_) => vec![self.fail_owned(slot, errors::INVALID_FRAME)],
        }
    }

    /// Data client `slot` left: its transfer is dropped, nothing of it stays on the card.
    pub fn disconnect(&mut self, slot: u8) {
        if self.owner() == Some(slot) {
            self.current = Current::Idle(Outcome::Aborted);
        }
    }

    fn owner(&self) -> Option<u8> {
        match &self.current {
            Current::Upload(u) => Some(u.owner),
            Current::Download(d) => Some(d.owner),
            Current::Idle(_) => None,
        }
    }

    /// An `RS E` answer; the sender's own transfer, if any, fails with it.
    fn fail_owned(&mut self, slot: u8, e: (u8, &'static str)) -> Bytes {
        if self.owner() == Some(slot) {
            self.current = Current::Idle(Outcome::Failed(e.0, e.1));
        }
        error(b"RS", e)
    }

    fn status(&self) -> Bytes {
        let payload = match &self.current {
            Current::Idle(Outcome::Failed(code, text)) => frame::error_payload(State::Error, *code, text),
            Current::Upload(u) => {
                frame::progress_payload(State::Upload, &u.dir, &u.name, u.size, u.data.len() as u32, u.last_id)
            }
            Current::Download(d) => frame::progress_payload(
                State::Download,
                &d.dir,
                &d.name,
                d.data.len() as u32,
                d.sent as u32,
                d.last_id,
            ),
            Current::Idle(_) => vec![self.state().byte()],
        };
        frame::encode(b"RS", &payload)
    }

    fn start_upload(&mut self, now: SimTime, slot: u8, dir: String, name: String, size: u32, sd: &mut Volume) -> Bytes {
        if !matches!(self.current, Current::Idle(_)) {
            return frame::encode(b"US", &[State::Busy.byte()]);
        }
        let full = join(&dir, &name);
        let checked = if name.is_empty() || name.contains('/') {
            Err(errors::FILE_CREATION)
        } else {
            sd.check_write(&full, u64::from(size)).map_err(|e| match e {
                VolumeError::NoSpace { .. } => errors::NOT_ENOUGH_SPACE,
                _ => errors::FILE_CREATION,
            })
        };
        if let Err(e) = checked {
            self.current = Current::Idle(Outcome::Failed(e.0, e.1));
            return error(b"US", e);
        }
        let upload = Upload {
            owner: slot,
            dir,
            name,
            full,
            size,
            data: Vec::new(),
            last_id: 0,
        };
        if size == 0 {
            return match self.finish(now, upload, sd) {
                Ok(()) => frame::encode(b"US", &[State::Ok.byte()]),
                Err(e) => error(b"US", e),
            };
        }
        self.current = Current::Upload(upload);
        frame::encode(b"US", &[State::Ok.byte()])
    }

    fn packet(&mut self, now: SimTime, slot: u8, id: u32, data: Vec<u8>, sd: &mut Volume) -> Bytes {
        let nack = |e: (u8, &'static str)| (frame::encode(b"PU", &frame::ack_payload(State::Error, id)), e);
        let Current::Upload(upload) = &mut self.current else {
            return frame::encode(b"PU", &frame::ack_payload(State::Error, id));
        };
        if upload.owner != slot {
            return nack(errors::NOT_STARTED).0;
        }
        if id == upload.last_id && id != 0 {
            return frame::encode(b"PU", &frame::ack_payload(State::Ok, id));
        }
        let failure = if Some(id) != upload.last_id.checked_add(1) {
            Some(errors::OUT_OF_SEQUENCE)
        } else if upload.data.len() + data.len() > upload.size as usize {
            Some(errors::SIZE)
        } else {
            None
        };
        if let Some(e) = failure {
            self.current = Current::Idle(Outcome::Failed(e.0, e.1));
            return nack(e).0;
        }
        upload.data.extend_from_slice(&data);
        upload.last_id = id;
        if upload.data.len() < upload.size as usize {
            return frame::encode(b"PU", &frame::ack_payload(State::Ok, id));
        }
        let Current::Upload(upload) = std::mem::replace(&mut self.current, Current::Idle(Outcome::Ok)) else {
            return nack(errors::NOT_STARTED).0;
        };
        match self.finish(now, upload, sd) {
            Ok(()) => frame::encode(b"PU", &frame::ack_payload(State::Ok, id)),
            Err(e) => nack(e).0,
        }
    }

    /// Writes a complete upload to the card in one step.
    fn finish(&mut self, now: SimTime, upload: Upload, sd: &mut Volume) -> Result<(), (u8, &'static str)> {
        let result = sd.write(&upload.full, upload.data, now).map_err(|e| match e {
            VolumeError::NoSpace { .. } => errors::NOT_ENOUGH_SPACE,
            _ => errors::FILE_WRITE,
        });
        self.current = Current::Idle(match result {
            Ok(()) => Outcome::Ok,
            Err(e) => Outcome::Failed(e.0, e.1),
        });
        result
    }

    fn start_download(&mut self, slot: u8, dir: String, name: String, sd: &Volume) -> Vec<Bytes> {
        if !matches!(self.current, Current::Idle(_)) {
            return vec![frame::encode(b"DS", &[State::Busy.byte()])];
        }
        let data = match sd.read(&join(&dir, &name)) {
            Ok(data) if u32::try_from(data.len()).is_ok() => data.to_vec(),
            Ok(_) => return vec![self.refuse_download(errors::SIZE)],
            Err(_) => return vec![self.refuse_download(errors::NOT_FOUND)],
        };
        let mut answer = vec![State::Ok.byte()];
        answer.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut out = vec![frame::encode(b"DS", &answer)];
        let mut download = Download {
            owner: slot,
            dir,
            name,
            data,
            sent: 0,
            last_id: 0,
        };
        match next_chunk(&mut download) {
            Some(chunk) => {
                out.push(chunk);
                self.current = Current::Download(download);
            }
            None => self.current = Current::Idle(Outcome::Ok),
        }
        out
    }

    fn refuse_download(&mut self, e: (u8, &'static str)) -> Bytes {
        self.current = Current::Idle(Outcome::Failed(e.0, e.1));
        error(b"DS", e)
    }

    fn download_ack(&mut self, slot: u8, id: u32) -> Vec<Bytes> {
        let Current::Download(download) = &mut self.current else {
            return vec![error(b"RS", errors::NOT_STARTED)];
        };
        if download.owner != slot {
            return vec![error(b"RS", errors::NOT_STARTED)];
        }
        if id != download.last_id {
            return vec![self.fail_owned(slot, errors::OUT_OF_SEQUENCE)];
        }
        match next_chunk(download) {
            Some(chunk) => vec![chunk],
            None => {
                self.current = Current::Idle(Outcome::Ok);
                Vec::new()
            }
        }
    }
}

/// The next `DP` frame of a download, or `None` when every byte has been sent.
fn next_chunk(d: &mut Download) -> Option<Bytes> {
    if d.sent >= d.data.len() {
        return None;
    }
    let end = (d.sent + MAX_CHUNK).min(d.data.len());
    d.last_id += 1;
    let mut payload = d.last_id.to_be_bytes().to_vec();
    payload.extend_from_slice(&d.data[d.sent..end]);
    d.sent = end;
    Some(frame::encode(b"DP", &payload))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::esp3d::frame::client;
    use proptest::prelude::*;

    const T: SimTime = SimTime::from_millis(1_000);

    fn send(t: &mut Transfers, slot: u8, bytes: &[u8], sd: &mut Volume) -> Vec<Bytes> {
        t.handle(T, slot, frame::decode(bytes), sd)
    }

    fn card() -> Volume {
        let mut sd = Volume::new(10_000, 64);
        sd.mkdir("/gcodes", SimTime::ZERO).unwrap();
        sd
    }

    #[test]
    fn an_upload_appears_whole_when_the_last_byte_arrives() {
        let (mut t, mut sd) = (Transfers::default(), card());
        assert_eq!(
            send(&mut t, 0, &client::status_request(), &mut sd),
            [Bytes::from_static(b"RS\x00\x01O")]
        );
        assert_eq!(
            send(&mut t, 0, &client::start_upload("/gcodes", "a.g", 6), &mut sd),
            [Bytes::from_static(b"US\x00\x01O")]
        );
        assert_eq!(
            send(&mut t, 0, &client::upload_packet(1, b"G28\n"), &mut sd),
            [Bytes::from_static(b"PU\x00\x05O\x00\x00\x00\x01")]
        );
        assert_eq!(sd.stat("/gcodes/a.g"), Err(VolumeError::NotFound));
        assert_eq!(
            &send(&mut t, 1, &client::status_request(), &mut sd)[0][..],
            b"RS\x00\x19U\x07/gcodes\x03a.g\x00\x00\x00\x06\x00\x00\x00\x04\x00\x00\x00\x01"
        );
        // A repeat of the last packet is acknowledged again and not written twice.
        assert_eq!(
            send(&mut t, 0, &client::upload_packet(1, b"G28\n"), &mut sd)[0][4],
            b'O'
        );
        assert_eq!(
            &send(&mut t, 0, &client::upload_packet(2, b"M1"), &mut sd)[0][..],
            b"PU\x00\x05O\x00\x00\x00\x02"
        );
        assert_eq!(sd.read("/gcodes/a.g").unwrap(), b"G28\nM1");
        assert_eq!(t.state(), State::Ok);
    }

    #[test]
    fn gaps_reorders_and_overruns_fail_the_upload_without_a_file() {
        for (bad_id, data, code) in [(3u32, &b"x"[..], 10u8), (2, b"x", 10), (1, b"0123456", 13)] {
            let (mut t, mut sd) = (Transfers::default(), card());
            send(&mut t, 0, &client::start_upload("/", "b.g", 6), &mut sd);
            if bad_id == 2 {
                send(&mut t, 0, &client::upload_packet(1, b"a"), &mut sd);
                send(&mut t, 0, &client::upload_packet(2, b"b"), &mut sd);
                assert_eq!(send(&mut t, 0, &client::upload_packet(1, b"a"), &mut sd)[0][4], b'E');
            } else {
                let answer = send(&mut t, 0, &client::upload_packet(bad_id, data), &mut sd);
                assert_eq!(&answer[0][..5], b"PU\x00\x05E");
            }
            let status = send(&mut t, 0, &client::status_request(), &mut sd);
            assert_eq!(&status[0][4..6], [b'E', code]);
            assert_eq!(sd.used(), 0);
            assert_eq!(
                send(&mut t, 0, &client::start_upload("/", "b.g", 1), &mut sd)[0][4],
                b'O'
            );
        }
    }

    #[test]
    fn uploads_are_checked_before_any_byte() {
        let (mut t, mut sd) = (Transfers::default(), card());
        assert_eq!(
            &send(&mut t, 0, &client::start_upload("/", "big.g", 10_001), &mut sd)[0][..],
            b"US\x00\x12E\x05\x0fUpload rejected"
        );
        assert_eq!(
            send(&mut t, 0, &client::start_upload("/../x", "a", 1), &mut sd)[0][5],
            2
        );
        assert_eq!(
            send(&mut t, 0, &client::start_upload("/none", "a", 1), &mut sd)[0][5],
            2
        );
        assert_eq!(send(&mut t, 0, &client::start_upload("/", "a/b", 1), &mut sd)[0][5], 2);
        assert_eq!(
            &send(&mut t, 0, &client::start_upload("/", "empty.g", 0), &mut sd)[0][..],
            b"US\x00\x01O"
        );
        assert_eq!(sd.read("/empty.g").unwrap(), b"");
    }

    #[test]
    fn one_transfer_at_a_time_and_abort_or_disconnect_leave_nothing() {
        let (mut t, mut sd) = (Transfers::default(), card());
        send(&mut t, 0, &client::start_upload("/", "c.g", 4), &mut sd);
        assert_eq!(
            &send(&mut t, 1, &client::start_upload("/", "d.g", 4), &mut sd)[0][..],
            b"US\x00\x01B"
        );
        assert_eq!(send(&mut t, 1, &client::upload_packet(1, b"ab"), &mut sd)[0][4], b'E');
        send(&mut t, 0, &client::upload_packet(1, b"ab"), &mut sd);
        assert!(send(&mut t, 1, &client::abort(), &mut sd).is_empty());
        assert_eq!(
            &send(&mut t, 0, &client::status_request(), &mut sd)[0][..],
            b"RS\x00\x01A"
        );
        assert_eq!(send(&mut t, 0, &client::upload_packet(2, b"cd"), &mut sd)[0][4], b'E');
        send(&mut t, 0, &client::start_upload("/", "c.g", 4), &mut sd);
        t.disconnect(0);
        assert_eq!(t.state(), State::Abort);
        assert_eq!(sd.used(), 0);
    }

    #[test]
    fn a_download_is_paced_by_acknowledgements() {
        let (mut t, mut sd) = (Transfers::default(), card());
        let data: Vec<u8> = (0..1500u32).map(|i| i as u8).collect();
        sd.write("/gcodes/p.g", data.clone(), T).unwrap();
        let out = send(&mut t, 0, &client::start_download("/gcodes", "p.g"), &mut sd);
        assert_eq!(&out[0][..], b"DS\x00\x05O\x00\x00\x05\xdc");
        assert_eq!(&out[1][..8], b"DP\x03\xfc\x00\x00\x00\x01");
        assert_eq!(&out[1][8..], &data[..MAX_CHUNK]);
        assert_eq!(send(&mut t, 0, &client::status_request(), &mut sd)[0][4], b'D');
        let out = send(&mut t, 0, &client::download_ack(1), &mut sd);
        assert_eq!(&out[0][4..8], [0, 0, 0, 2]);
        assert_eq!(&out[0][8..], &data[MAX_CHUNK..]);
        assert!(send(&mut t, 0, &client::download_ack(2), &mut sd).is_empty());
        assert_eq!(t.state(), State::Ok);
        assert_eq!(
            &send(&mut t, 0, &client::start_download("/", "nope"), &mut sd)[0][..6],
            b"DS\x00\x11E\x02"
        );
    }

    #[test]
    fn bad_frames_get_an_error_status() {
        let (mut t, mut sd) = (Transfers::default(), card());
        assert_eq!(&send(&mut t, 0, b"CM\x00\x01Z", &mut sd)[0][..6], b"RS\x00\x10E\x04");
        assert_eq!(&send(&mut t, 0, b"SU\x00\x01\x09", &mut sd)[0][..6], b"RS\x00\x10E\x04");
        assert_eq!(&send(&mut t, 0, &client::download_ack(1), &mut sd)[0][4..6], [b'E', 12]);
    }

    fn any_frame() -> impl Strategy<Value = Bytes> {
        prop_oneof![
            Just(client::status_request()),
            (0u32..40).prop_map(|s| client::start_upload("/gcodes", "f.g", s)),
            (0u32..40).prop_map(|s| client::start_upload("/", "g.g", s)),
            (0u32..5, proptest::collection::vec(any::<u8>(), 0..12)).prop_map(|(id, d)| client::upload_packet(id, &d)),
            Just(client::start_download("/", "g.g")),
            (0u32..4).prop_map(client::download_ack),
            Just(client::abort()),
            proptest::collection::vec(any::<u8>(), 0..12).prop_map(Bytes::from),
        ]
    }

    proptest! {
        #[test]
        fn random_frame_sequences_never_leave_a_partial_file(
            steps in proptest::collection::vec((0u8..2, any_frame()), 0..40)
        ) {
            let (mut t, mut sd) = (Transfers::default(), card());
            let mut declared = std::collections::HashMap::new();
            for (slot, bytes) in steps {
                if let Ok(ClientFrame::StartUpload { path, name, size }) = frame::decode(&bytes) {
                    if matches!(t.current, Current::Idle(_)) {
                        declared
                            .entry(join(&path, &name).trim_start_matches('/').to_string())
                            .or_insert_with(std::collections::HashSet::new)
                            .insert(u64::from(size));
                    }
                }
                let _ = t.handle(T, slot, frame::decode(&bytes), &mut sd);
                for (path, entry) in sd.files() {
                    prop_assert!(declared.get(path).is_some_and(|sizes| sizes.contains(&entry.size)), "{}", path);
                }
            }
            t.disconnect(0);
            t.disconnect(1);
            prop_assert!(matches!(t.current, Current::Idle(_)));
        }
    }
}
