//! One scenario's ESP3D connections as the steps see them: what each received and has not yet been looked at
//! (frames wait in order, so a label step and a stream step never steal each other's frames), the stream bytes
//! read so far, the ids, and reads that let device time pass while they wait.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use crate::client::Frame;
use crate::steps::Check;

/// How long one read waits on the wire before device time is moved on.
const READ_SLICE: Duration = Duration::from_millis(100);
/// How much device time passes between two reads that found nothing.
const TIME_SLICE_MS: u64 = 100;
/// The most reads a step makes when it does not let time pass.
const QUIET_READS: u32 = 30;

/// Which of the board's sockets a connection is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Socket {
    Terminal,
    Data,
}

/// What the steps know about one ESP3D connection.
#[derive(Debug)]
pub struct Link {
    pub socket: Socket,
    /// The id its `currentID:` gave it.
    pub id: Option<u32>,
    /// Whether the very first frame it received was a ping control frame.
    pub first_was_ping: Option<bool>,
    /// Frames received and not yet taken by a step, in arrival order.
    pending: VecDeque<Frame>,
    /// The stream bytes taken so far, and each stream frame's size.
    pub stream: Vec<u8>,
    pub stream_frames: Vec<usize>,
    /// How many stream frames were text frames.
    pub text_frames: usize,
    /// How far stream-line steps have read `stream`.
    pub lines_read: usize,
    /// How the connection ended, once it did.
    pub closed: Option<Frame>,
}

impl Link {
    pub fn new(socket: Socket) -> Link {
        Link {
            socket,
            id: None,
            first_was_ping: None,
            pending: VecDeque::new(),
            stream: Vec::new(),
            stream_frames: Vec::new(),
            text_frames: 0,
            lines_read: 0,
            closed: None,
        }
    }
}

/// The ESP3D steps' state within a scenario.
#[derive(Debug, Default)]
pub struct Esp3dState {
    pub links: BTreeMap<String, Link>,
    /// The `ESPSESSIONID` the last login set.
    pub session: Option<String>,
}

pub fn state(world: &mut Check) -> &mut Esp3dState {
    world.state::<Esp3dState>()
}

pub fn link<'a>(world: &'a mut Check, name: &str) -> Result<&'a mut Link, String> {
    state(world)
        .links
        .get_mut(name)
        .ok_or_else(|| format!("no ESP3D connection named {name} was opened"))
}

/// Whether a text frame is one of the board's labels (rule ESP3D-27), not stream content.
pub fn is_label(text: &str) -> bool {
    ["currentID:", "activeID:", "PING:", "ERROR:", "NOTIFICATION:"]
        .iter()
        .any(|label| text.starts_with(label))
}

/// Reads one frame from the wire into `name`'s pending queue; `false` when nothing came within `wait`.
async fn read_one(world: &mut Check, name: &str, wait: Duration) -> Result<bool, String> {
    if link(world, name)?.closed.is_some() {
        return Ok(false);
    }
    let frame = world.conn(name)?.next_frame_or_ping(wait).await;
    let link = link(world, name)?;
    if link.first_was_ping.is_none() && frame != Frame::Timeout {
        link.first_was_ping = Some(frame == Frame::Ping);
    }
    match frame {
        Frame::Timeout => Ok(false),
        Frame::Ping => Ok(true),
        Frame::Close(..) | Frame::Dropped(_) => {
            link.closed = Some(frame);
            Ok(true)
        }
        frame => {
            link.pending.push_back(frame);
            Ok(true)
        }
    }
}

/// Reads frames until `take` finds what it wants in the pending queue, for at most `budget_ms` of device
/// time (`None`: without moving time, a bounded number of short reads).
pub async fn wait_for<T>(
    world: &mut Check,
    name: &str,
    budget_ms: Option<u64>,
    mut take: impl FnMut(&mut Link) -> Option<T>,
) -> Result<Option<T>, String> {
    let mut passed = 0;
    let mut quiet = 0;
    loop {
        if let Some(found) = take(link(world, name)?) {
            return Ok(Some(found));
        }
        if link(world, name)?.closed.is_some() {
            return Ok(None);
        }
        if read_one(world, name, READ_SLICE).await? {
            continue;
        }
        match budget_ms {
            Some(budget) if passed < budget => {
                world.pass_time(TIME_SLICE_MS).await?;
                passed += TIME_SLICE_MS;
            }
            None if quiet < QUIET_READS => quiet += 1,
            _ => return Ok(None),
        }
    }
}

/// Takes the first pending text frame.
pub fn take_text(link: &mut Link) -> Option<String> {
    let at = link.pending.iter().position(|f| matches!(f, Frame::Text(_)))?;
    match link.pending.remove(at) {
        Some(Frame::Text(text)) => Some(text),
        _ => None,
    }
}

/// Takes the first pending binary frame.
pub fn take_binary(link: &mut Link) -> Option<Vec<u8>> {
    let at = link.pending.iter().position(|f| matches!(f, Frame::Binary(_)))?;
    match link.pending.remove(at) {
        Some(Frame::Binary(bytes)) => Some(bytes),
        _ => None,
    }
}

/// Moves every pending stream frame into the link's stream: binary frames, and on a data connection text
/// frames too (rule ESP3D-30 lets the data stream be either). A terminal text frame that is not a label is
/// stream content sent as text: an error naming rule ESP3D-27.
pub fn absorb_stream(link: &mut Link) -> Result<(), String> {
    let mut kept = VecDeque::new();
    while let Some(frame) = link.pending.pop_front() {
        match frame {
            Frame::Binary(bytes) => {
                link.stream_frames.push(bytes.len());
                link.stream.extend_from_slice(&bytes);
            }
            Frame::Text(text) if link.socket == Socket::Data => {
                link.text_frames += 1;
                link.stream_frames.push(text.len());
                link.stream.extend_from_slice(text.as_bytes());
            }
            Frame::Text(text) if !is_label(&text) => {
                return Err(format!(
                    "the printer's stream came as a text frame (rule ESP3D-27: the stream is binary): {text:?}"
                ));
            }
            other => kept.push_back(other),
        }
    }
    link.pending = kept;
    Ok(())
}

/// The first pending frame (pings are never kept), if any.
pub fn first_pending(link: &Link) -> Option<Frame> {
    link.pending.front().cloned()
}
