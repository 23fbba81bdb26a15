//! The serial line protocol as `GCodeQueue::get_serial_commands` reads it: comments stripped, the
//! 96-byte command limit, `N<line> ... *<checksum>` checked against the last line number (M110 resets it).

use super::texts;

/// `MAX_CMD_SIZE`: a command keeps at most this many bytes minus the terminator.
pub const MAX_CMD_SIZE: usize = 96;

/// Bytes of a line worth keeping: `clean` never needs more unless the line is mostly backspaces.
pub const MAX_RAW_LINE: usize = 4096;

/// How one received line fares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LineCheck {
    /// Nothing left after comments: Marlin ignores it and sends no `ok`.
    Empty,
    /// A command to queue (leading spaces removed, comments stripped; `N` and `*` still in it).
    Command(String),
    /// A line-number or checksum error: the host gets `Error:`, `Resend:` and `ok`.
    Error(&'static str),
}

/// The cleaned bytes of a line as `process_stream_char` keeps them: `;` comments dropped, a backslash
/// taking the next byte literally, backspace erasing, and everything past `MAX_CMD_SIZE - 1` ignored.
pub fn clean(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len().min(MAX_CMD_SIZE));
    let mut escaped = false;
    for &c in raw {
        if escaped {
            escaped = false;
        } else if c == b'\\' {
            escaped = true;
            continue;
        } else if c == b';' {
            break;
        }
        if c == 0x08 {
            out.pop();
        } else {
            out.push(c);
            if out.len() >= MAX_CMD_SIZE - 1 {
                break;
            }
        }
    }
    out
}

/// C's `strtol` on a byte string: optional spaces and sign, then digits; 0 when there are none.
pub fn strtol(s: &[u8]) -> i64 {
    let mut i = 0;
    while i < s.len() && s[i] == b' ' {
        i += 1;
    }
    let negative = i < s.len() && s[i] == b'-';
    if i < s.len() && (s[i] == b'-' || s[i] == b'+') {
        i += 1;
    }
    let mut v: i64 = 0;
    while i < s.len() && s[i].is_ascii_digit() {
        v = v.saturating_mul(10).saturating_add(i64::from(s[i] - b'0'));
        i += 1;
    }
    if negative { -v } else { v }
}

/// The XOR of every byte before the last `*`: the checksum Marlin expects after it.
pub fn checksum(command: &[u8]) -> u8 {
    command.iter().fold(0, |acc, b| acc ^ b)
}

/// The serial port's line-number state (`serial_state[port].last_N`).
#[derive(Clone, Debug, Default)]
pub struct LineNumbers {
    last_n: i64,
}

impl LineNumbers {
    /// The last accepted line number.
    pub fn last(&self) -> i64 {
        self.last_n
    }

    /// Sets the last line number (M110).
    pub fn set(&mut self, n: i64) {
        self.last_n = n;
    }

    /// Checks one received line. `saving` is true while M28 writes to the card: then a line without a
    /// number (other than M29) is an error too.
    pub fn check(&mut self, raw: &[u8], saving: bool) -> LineCheck {
        let cleaned = clean(raw);
        let start = cleaned.iter().position(|&c| c != b' ').unwrap_or(cleaned.len());
        let command = &cleaned[start..];
        if command.is_empty() {
            return LineCheck::Empty;
        }
        if command[0] == b'N' {
            let is_m110 = find(command, b"M110").is_some();
            let mut npos = 0;
            if is_m110 {
                if let Some(second) = command.get(4..).and_then(|rest| rest.iter().position(|&c| c == b'N')) {
                    npos = second + 4;
                }
            }
            let n = strtol(&command[npos + 1..]);
            if n != self.last_n.saturating_add(1) && !is_m110 {
                return LineCheck::Error(texts::ERR_LINE_NO);
            }
            match command.iter().rposition(|&c| c == b'*') {
                Some(star) => {
                    if strtol(&command[star + 1..]) != i64::from(checksum(&command[..star])) {
                        return LineCheck::Error(texts::ERR_CHECKSUM_MISMATCH);
                    }
                }
                None => return LineCheck::Error(texts::ERR_NO_CHECKSUM),
            }
            self.last_n = n;
        } else if saving && !is_m29(command) {
            return LineCheck::Error(texts::ERR_NO_CHECKSUM);
        }
        LineCheck::Command(String::from_utf8_lossy(command).into_owned())
    }

    /// The three lines Marlin sends for a rejected line (`gcode_line_error` + `flush_and_request_resend`).
    pub fn error_lines(&self, message: &str) -> String {
        format!(
            "{}{message}{}\n{}{}\n{}\n",
            texts::ERROR_PREFIX,
            self.last_n,
            texts::RESEND,
            self.last_n.saturating_add(1),
            texts::OK
        )
    }
}

/// `is_M29`: "M29" not followed by a digit, anywhere in the line.
pub fn is_m29(command: &[u8]) -> bool {
    find(command, b"M29").is_some_and(|at| !command.get(at + 3).is_some_and(u8::is_ascii_digit))
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbered(n: i64, body: &str) -> String {
        let line = format!("N{n} {body}");
        format!("{line}*{}", checksum(line.as_bytes()))
    }

    #[test]
    fn comments_and_spaces_go_and_empty_lines_are_ignored() {
        let mut l = LineNumbers::default();
        assert_eq!(l.check(b"  G28 ; home", false), LineCheck::Command("G28 ".into()));
        assert_eq!(l.check(b"; only a comment", false), LineCheck::Empty);
        assert_eq!(l.check(b"   ", false), LineCheck::Empty);
        assert_eq!(clean(b"M117 a\\;b"), b"M117 a;b");
        assert_eq!(clean(&[b'G', b'2', 0x08, b'1']), b"G1");
        assert_eq!(clean(&[b'X'; 200]).len(), MAX_CMD_SIZE - 1);
    }

    #[test]
    fn numbered_lines_must_follow_and_carry_a_good_checksum() {
        let mut l = LineNumbers::default();
        assert!(matches!(
            l.check(numbered(1, "G28").as_bytes(), false),
            LineCheck::Command(_)
        ));
        assert_eq!(l.last(), 1);
        assert_eq!(
            l.check(numbered(3, "G28").as_bytes(), false),
            LineCheck::Error(texts::ERR_LINE_NO)
        );
        assert_eq!(
            l.check(b"N2 G28*0", false),
            LineCheck::Error(texts::ERR_CHECKSUM_MISMATCH)
        );
        assert_eq!(l.check(b"N2 G28", false), LineCheck::Error(texts::ERR_NO_CHECKSUM));
        assert_eq!(l.last(), 1);
        assert_eq!(
            l.error_lines(texts::ERR_CHECKSUM_MISMATCH),
            "Error:checksum mismatch, Last Line: 1\nResend: 2\nok\n"
        );
    }

    #[test]
    fn m110_may_jump_and_the_second_n_is_the_number() {
        let mut l = LineNumbers::default();
        assert!(matches!(
            l.check(numbered(41, "M110 N41").as_bytes(), false),
            LineCheck::Command(_)
        ));
        assert_eq!(l.last(), 41);
        // The well-known OctoPrint handshake line.
        assert!(matches!(l.check(b"N0 M110 N0*125", false), LineCheck::Command(_)));
        assert_eq!(l.last(), 0);
    }

    #[test]
    fn while_saving_unnumbered_lines_other_than_m29_are_refused() {
        let mut l = LineNumbers::default();
        assert_eq!(l.check(b"G1 X1", true), LineCheck::Error(texts::ERR_NO_CHECKSUM));
        assert_eq!(l.check(b"M29", true), LineCheck::Command("M29".into()));
        assert!(!is_m29(b"M290"));
    }
}
