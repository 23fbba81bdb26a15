//! The SD card as `CardReader` drives it: mounted or released, the selected file and the print position
//! in it, reading the next G-code line, and M28's file being written; the bytes live in a `Volume`.

use super::line::MAX_RAW_LINE;
use crate::model::volume::Volume;

/// The file selected with M23 (or the host action): its path and size when opened.
#[derive(Clone, Debug, PartialEq)]
pub struct Selected {
    /// The path as normalised by the volume (no leading slash).
    pub path: String,
    /// The size when it was opened.
    pub size: u64,
}

/// A file being written by M28 (lines go to it until M29).
#[derive(Clone, Debug, PartialEq)]
pub struct Saving {
    /// Where it goes.
    pub path: String,
    /// What was written so far.
    pub data: Vec<u8>,
}

/// The card reader's state.
#[derive(Clone, Debug)]
pub struct Sd {
    /// The card.
    pub volume: Volume,
    /// Whether the card is mounted (M21) or released (M22).
    pub mounted: bool,
    /// The open file.
    pub selected: Option<Selected>,
    /// The byte offset of the next line to print.
    pub pos: u64,
    /// Reading the file as a print (`sdprinting`), paused or not.
    pub printing: bool,
    /// Paused with M25.
    pub paused: bool,
    /// M28 in progress.
    pub saving: Option<Saving>,
}

impl Sd {
    /// A mounted empty card of `capacity` bytes.
    pub fn new(capacity: u64, max_name_len: usize) -> Self {
        Sd {
            volume: Volume::new(capacity, max_name_len),
            mounted: true,
            selected: None,
            pos: 0,
            printing: false,
            paused: false,
            saving: None,
        }
    }

    /// Whether the card is being read for a print right now (printing and not paused).
    pub fn reading(&self) -> bool {
        self.printing && !self.paused
    }

    /// The next line of the printing file (without its terminator), advancing the position; `None` at
    /// the end of the file or when the file is gone.
    pub fn next_line(&mut self) -> Option<Vec<u8>> {
        let selected = self.selected.as_ref()?;
        let data = self.volume.read(&selected.path).ok()?;
        let start = usize::try_from(self.pos).ok()?;
        if start >= data.len() {
            return None;
        }
        let rest = &data[start..];
        let end = rest
            .iter()
            .position(|&c| c == b'\n' || c == b'\r')
            .unwrap_or(rest.len());
        let line = rest[..end.min(MAX_RAW_LINE)].to_vec();
        self.pos += (end + usize::from(end < rest.len())) as u64;
        Some(line)
    }

    /// Whether a listing shows `name`: G-code files only, as `is_dir_or_gcode` does (an extension that
    /// starts with G, not a `~` backup).
    pub fn is_gcode(name: &str) -> bool {
        name.rsplit_once('.').is_some_and(|(_, ext)| {
            let ext = ext.as_bytes();
            ext.first().is_some_and(|c| c.eq_ignore_ascii_case(&b'g')) && !ext.contains(&b'~')
        })
    }

    /// The M20 listing lines: `path size` for every G-code file, in path order.
    pub fn listing(&self) -> Vec<String> {
        self.volume
            .files()
            .filter(|(path, _)| Sd::is_gcode(path))
            .map(|(path, entry)| format!("{path} {}", entry.size))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::SimTime;

    #[test]
    fn lines_come_out_in_order_with_either_terminator() {
        let mut sd = Sd::new(100_000, 32);
        sd.volume
            .write("a.gcode", b"G28\r\nG1 X1\nM400".to_vec(), SimTime::ZERO)
            .unwrap();
        sd.selected = Some(Selected {
            path: "a.gcode".into(),
            size: 15,
        });
        let mut lines = Vec::new();
        while let Some(l) = sd.next_line() {
            lines.push(String::from_utf8(l).unwrap());
        }
        assert_eq!(lines, ["G28", "", "G1 X1", "M400"]);
        assert_eq!(sd.pos, 15);
        // A huge line is cut to what a command can use, and the position still passes it.
        let mut long = vec![b'M'; 3 * MAX_RAW_LINE];
        long.extend_from_slice(b"\nG28");
        sd.volume.write("a.gcode", long, SimTime::ZERO).unwrap();
        sd.pos = 0;
        assert_eq!(sd.next_line().map(|l| l.len()), Some(MAX_RAW_LINE));
        assert_eq!(sd.next_line(), Some(b"G28".to_vec()));
    }

    #[test]
    fn only_gcode_files_are_listed() {
        let mut sd = Sd::new(1_000, 32);
        for name in ["cube.gcode", "b.GCO", "notes.txt", "old.g~", "noext"] {
            sd.volume.write(name, vec![b'x'; 3], SimTime::ZERO).unwrap();
        }
        assert_eq!(sd.listing(), ["b.GCO 3", "cube.gcode 3"]);
    }
}
