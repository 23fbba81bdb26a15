//! One G-code command as `GCodeParser::parse` splits it: the letter and code number, its parameter
//! letters with their numbers, and the string argument of M23/M28/M30/M117.

/// A parsed command.
#[derive(Clone, Debug, PartialEq)]
pub struct Command {
    /// `G`, `M` or `T`, or `?` when the line is not a command Marlin knows how to read.
    pub letter: char,
    /// The code number (`28` of `G28`).
    pub code: u32,
    /// The command as Marlin quotes it in "Unknown command": from its letter, without `N` or `*`.
    pub text: String,
    /// Everything after the code number and its spaces.
    args: String,
}

impl Command {
    /// Parses a cleaned line (see `line::clean`).
    pub fn parse(line: &str) -> Command {
        let mut p = line.trim_start_matches(' ');
        if let Some(rest) = p.strip_prefix('N') {
            let rest = rest.trim_start_matches(['-', '+']);
            p = rest
                .trim_start_matches(|c: char| c.is_ascii_digit())
                .trim_start_matches(' ');
        }
        let text = match p.rfind('*') {
            Some(star) => p[..star].trim_end_matches(' '),
            None => p,
        };
        let unknown = |text: &str| Command {
            letter: '?',
            code: 0,
            text: text.to_string(),
            args: String::new(),
        };
        let mut chars = text.chars();
        let letter = match chars.next() {
            Some(c @ ('G' | 'M' | 'T')) => c,
            _ => return unknown(text),
        };
        let body = chars.as_str().trim_start_matches(' ');
        let digits = body.len() - body.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits == 0 {
            return unknown(text);
        }
        let code = body[..digits]
            .bytes()
            .fold(0u32, |v, d| v.saturating_mul(10).saturating_add(u32::from(d - b'0')));
        Command {
            letter,
            code,
            text: text.to_string(),
            args: body[digits..].trim_start_matches(' ').to_string(),
        }
    }

    /// Whether parameter `p` appears.
    pub fn has(&self, p: char) -> bool {
        self.param(p).is_some()
    }

    /// Parameter `p`'s number (`None` if absent; `Some(None)` if present without a number).
    fn param(&self, p: char) -> Option<Option<f64>> {
        let bytes = self.args.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let c = bytes[i] as char;
            i += 1;
            if c.is_ascii_uppercase() {
                let (value, used) = strtod(&bytes[i..]);
                i += used;
                if c == p {
                    return Some(value);
                }
            }
        }
        None
    }

    /// Parameter `p`'s value when it has one.
    pub fn float(&self, p: char) -> Option<f64> {
        self.param(p).flatten().filter(|v| v.is_finite())
    }

    /// Parameter `p` as an integer, truncated as `value_long` does.
    pub fn int(&self, p: char) -> Option<i64> {
        self.float(p).map(|v| v.clamp(i64::MIN as f64, i64::MAX as f64) as i64)
    }

    /// The string argument (`parser.string_arg`): what follows the code.
    pub fn string_arg(&self) -> &str {
        &self.args
    }
}

/// A decimal number at the start of `s` (spaces, sign, digits, point, digits) and how many bytes it used.
fn strtod(s: &[u8]) -> (Option<f64>, usize) {
    let mut i = 0;
    while i < s.len() && s[i] == b' ' {
        i += 1;
    }
    let start = i;
    if i < s.len() && (s[i] == b'-' || s[i] == b'+') {
        i += 1;
    }
    let int_start = i;
    while i < s.len() && s[i].is_ascii_digit() {
        i += 1;
    }
    let mut digits = i - int_start;
    if i < s.len() && s[i] == b'.' {
        i += 1;
        let frac_start = i;
        while i < s.len() && s[i].is_ascii_digit() {
            i += 1;
        }
        digits += i - frac_start;
    }
    if digits == 0 {
        return (None, start);
    }
    let value = std::str::from_utf8(&s[start..i])
        .ok()
        .and_then(|t| t.parse::<f64>().ok());
    (value, i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_codes_and_parameters() {
        let c = Command::parse("N12 G1 X10.5 Y-2 E.4 F1500*91");
        assert_eq!((c.letter, c.code), ('G', 1));
        assert_eq!(c.text, "G1 X10.5 Y-2 E.4 F1500");
        assert_eq!(c.float('X'), Some(10.5));
        assert_eq!(c.float('Y'), Some(-2.0));
        assert_eq!(c.float('E'), Some(0.4));
        assert_eq!(c.int('F'), Some(1500));
        assert!(!c.has('Z'));
        let packed = Command::parse("G1X1Y2");
        assert_eq!((packed.float('X'), packed.float('Y')), (Some(1.0), Some(2.0)));
        let bare = Command::parse("G28 X");
        assert!(bare.has('X') && bare.float('X').is_none());
    }

    #[test]
    fn what_is_not_a_command_keeps_its_text() {
        for text in ["hello", "G", "Mx", "g28"] {
            let c = Command::parse(text);
            assert_eq!((c.letter, c.text.as_str()), ('?', text));
        }
        assert_eq!(Command::parse("M23 /sub/cube.gco").string_arg(), "/sub/cube.gco");
        assert_eq!(Command::parse("M117 Hello world").string_arg(), "Hello world");
    }
}
