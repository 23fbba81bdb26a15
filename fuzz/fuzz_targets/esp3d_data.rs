//! ESP3D's data socket: clients that connect, send raw bytes or transfer frames (well-formed or not) and
//! leave, with time passing. The card only ever holds whole uploads, and no transfer outlives its client.
#![no_main]

use libfuzzer_sys::fuzz_target;
use understudy_core::SimTime;
use understudy_core::model::volume::Volume;
use understudy_core::proto::esp3d::frame::{self, State, client};
use understudy_core::proto::esp3d::{BoardConfig, Esp3dBoard};
use understudy_fuzz::take_u64;

/// Operations per input, so that one input stays fast.
const MAX_OPS: usize = 64;
/// The card: small, so that uploads can run out of room.
const CARD_BYTES: u64 = 64 * 1024;

/// Takes a length-prefixed slice of at most `max` bytes.
fn take_slice<'a>(data: &mut &'a [u8], max: usize) -> &'a [u8] {
    let n = (take_u64::<2>(data) as usize % (max + 1)).min(data.len());
    let (head, rest) = data.split_at(n);
    *data = rest;
    head
}

/// A short name from one byte, so that uploads and downloads meet on the same few files.
fn name(data: &mut &[u8]) -> String {
    ["a.gco", "b.gco", "../x", "", "d/e.g"][take_u64::<1>(data) as usize % 5].to_owned()
}

fuzz_target!(|data: &[u8]| {
    let mut data = data;
    let mut board = Esp3dBoard::new(&BoardConfig::default());
    let mut sd = Volume::new(CARD_BYTES, 64);
    let mut now = SimTime::ZERO;
    let mut slots: Vec<u8> = Vec::new();
    let mut declared: Vec<u64> = Vec::new();
    for _ in 0..MAX_OPS {
        if data.is_empty() {
            break;
        }
        let op = take_u64::<1>(&mut data);
        let slot = slots.get(op as usize / 8 % slots.len().max(1)).copied();
        let message = match (op % 8, slot) {
            (0, _) => {
                if let Ok(slot) = board.data_connect() {
                    slots.push(slot);
                }
                None
            }
            (1, Some(slot)) => {
                board.data_disconnect(slot);
                slots.retain(|&s| s != slot);
                None
            }
            (2, Some(slot)) => Some((slot, take_slice(&mut data, 1100).to_vec(), op & 0x80 != 0)),
            (3, Some(slot)) => {
                let size = take_u64::<2>(&mut data) as u32;
                declared.push(u64::from(size));
                Some((slot, client::start_upload("/", &name(&mut data), size).to_vec(), true))
            }
            (4, Some(slot)) => {
                let id = take_u64::<1>(&mut data) as u32;
                let chunk = take_slice(&mut data, frame::MAX_CHUNK + 8);
                Some((slot, client::upload_packet(id, chunk).to_vec(), true))
            }
            (5, Some(slot)) => Some((slot, client::start_download("/", &name(&mut data)).to_vec(), true)),
            (6, Some(slot)) => {
                let id = take_u64::<1>(&mut data) as u32;
                Some((slot, client::download_ack(id).to_vec(), true))
            }
            (7, Some(slot)) => Some((slot, client::abort().to_vec(), true)),
            _ => {
                now = now.plus_millis(take_u64::<2>(&mut data));
                board.advance(now, &mut sd);
                None
            }
        };
        if let Some((slot, payload, binary)) = message {
            board.data_message(now, slot, &payload, binary, &mut sd);
        }
        assert!(sd.used() <= sd.capacity());
    }
    for (path, entry) in sd.files() {
        assert!(declared.contains(&entry.size), "{path} holds {} bytes, no upload declared that", entry.size);
    }
    for slot in slots {
        board.data_disconnect(slot);
    }
    assert!(
        !matches!(board.transfer_state(), State::Upload | State::Download | State::Busy),
        "a transfer outlived its client: {:?}",
        board.transfer_state()
    );
});
