//! How the firmware reads an ESP command line (`esp3d_commands.cpp`): `[ESP<id>]` detection, the command id,
//! `label=value` parameters, tags such as `json`, and the "clean" first parameter, with `\` escaping spaces.

/// C's `isspace`.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// Whether `line` is an ESP command: `[ESP` then `]` within the next four bytes.
pub fn is_esp_command(line: &[u8]) -> bool {
    line.len() >= 5 && line.starts_with(b"[ESP") && (4..8).any(|i| line.get(i) == Some(&b']'))
}

/// An ESP command line split as the firmware splits it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EspCommand {
    /// The number between `[ESP` and `]` (0 for `[ESP]`).
    pub id: u32,
    /// The whole line, terminator included.
    pub line: Vec<u8>,
    /// Where the parameters start (just after `]`).
    pub params_at: usize,
}

impl EspCommand {
    /// The command in `line`, if it is one.
    pub fn parse(line: &[u8]) -> Option<EspCommand> {
        if !is_esp_command(line) {
            return None;
        }
        let end = line.iter().position(|&b| b == b']')?;
        let id = line[..end]
            .iter()
            .filter(|b| b.is_ascii_digit())
            .fold(0u32, |id, b| id.wrapping_mul(10).wrapping_add(u32::from(b - b'0')));
        Some(EspCommand {
            id,
            line: line.to_vec(),
            params_at: end + 1,
        })
    }

    /// The value after `label` (such as `P=`), up to the next unescaped space; empty when absent.
    pub fn param(&self, label: &str) -> String {
        self.param_found(label).0
    }

    /// The value after `label`, and whether the label was there at all.
    pub fn param_found(&self, label: &str) -> (String, bool) {
        let (data, label) = (&self.line[..], label.as_bytes());
        let Some(&first) = label.first() else {
            return (String::new(), false);
        };
        let mut value = Vec::new();
        let (mut found, mut start, mut escaped) = (None, self.params_at, false);
        while start < data.len() && data[start] == b' ' {
            start += 1;
        }
        let mut i = start;
        while i < data.len() {
            let mut c = data[i];
            if c == first && found.is_none() {
                let mut p = 0;
                while i < data.len() && p < label.len() && c == label[p] {
                    i += 1;
                    p += 1;
                    if i < data.len() {
                        c = data[i];
                    }
                }
                if p == label.len() {
                    found = Some(i);
                }
            }
            if found.is_some() && i < data.len() {
                if c == b'\\' {
                    escaped = true;
                }
                if is_space(c) && !escaped {
                    break;
                }
                if c != b'\\' {
                    value.push(c);
                    escaped = false;
                }
            }
            i += 1;
        }
        (String::from_utf8_lossy(&value).into_owned(), found.is_some())
    }

    /// Whether tag `label` is set: `label=yes|1|true` (any case), or `label` alone as a word.
    pub fn has_tag(&self, label: &str) -> bool {
        let value = self.param(&format!("{label}="));
        if !value.is_empty() {
            return matches!(value.to_uppercase().as_str(), "YES" | "1" | "TRUE");
        }
        let (data, label) = (&self.line[..], label.as_bytes());
        let Some(&first) = label.first() else {
            return false;
        };
        let mut i = self.params_at;
        while i < data.len() {
            let mut c = data[i];
            if c == first {
                let mut p = 0;
                while i < data.len() && p < label.len() && c == label[p] {
                    i += 1;
                    p += 1;
                    if i < data.len() {
                        c = data[i];
                    }
                }
                if p == label.len() && (i == data.len() || is_space(c)) {
                    return true;
                }
            }
            i += 1;
        }
        false
    }

    /// The first word of the parameters that is not `json`, `json=…` or `pwd=…` (`\ ` keeps a space).
    pub fn clean_param(&self) -> String {
        let data = &self.line[..];
        let mut start = self.params_at;
        while start < data.len() && data[start] == b' ' {
            start += 1;
        }
        let is_tag = |v: &[u8]| v == b"json" || v.starts_with(b"json=") || v.starts_with(b"pwd=");
        let mut value: Vec<u8> = Vec::new();
        let mut escaped = false;
        for &c in data.iter().skip(start) {
            if c == b'\\' {
                escaped = true;
            }
            if is_space(c) && !escaped {
                if !is_tag(&value) {
                    return String::from_utf8_lossy(&value).into_owned();
                }
                value.clear();
            }
            if c != b'\\' {
                if !is_space(c) || escaped {
                    value.push(c);
                }
                escaped = false;
            }
        }
        if is_tag(&value) {
            value.clear();
        }
        String::from_utf8_lossy(&value).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn cmd(line: &str) -> EspCommand {
        EspCommand::parse(line.as_bytes()).unwrap()
    }

    #[test]
    fn esp_commands_are_recognised() {
        assert!(is_esp_command(b"[ESP800]\n"));
        assert!(is_esp_command(b"[ESP]\n"));
        assert!(!is_esp_command(b"[ESP12345]\n"));
        assert!(!is_esp_command(b"M105\n"));
        assert!(!is_esp_command(b"[ESP"));
        assert_eq!(cmd("[ESP800]json\n").id, 800);
        assert_eq!(cmd("[ESP]\n").id, 0);
        assert_eq!(cmd("[ESP401]P=1").params_at, 8);
    }

    #[test]
    fn parameters_and_tags() {
        let c = cmd("[ESP401]P=130 T=S V=my\\ host json\n");
        assert_eq!(c.param("P="), "130");
        assert_eq!(c.param("T="), "S");
        assert_eq!(c.param("V="), "my host");
        assert_eq!(c.param_found("X="), (String::new(), false));
        assert_eq!(cmd("[ESP401]P=1 V= T=S\n").param_found("V="), (String::new(), true));
        assert!(c.has_tag("json"));
        assert!(cmd("[ESP800]json=yes time=1\n").has_tag("json"));
        assert!(cmd("[ESP800]json=TRUE\n").has_tag("json"));
        assert!(!cmd("[ESP800]json=no\n").has_tag("json"));
        assert!(!cmd("[ESP800]jsonx\n").has_tag("json"));
        assert!(!cmd("[ESP800]\n").has_tag("json"));
    }

    #[test]
    fn the_clean_parameter_is_the_first_word_that_is_not_a_tag() {
        assert_eq!(cmd("[ESP600]Hello from probe\n").clean_param(), "Hello");
        assert_eq!(cmd("[ESP600]json=yes Hello\n").clean_param(), "Hello");
        assert_eq!(cmd("[ESP600]Hello\\ from\\ probe\n").clean_param(), "Hello from probe");
        assert_eq!(cmd("[ESP600]json\n").clean_param(), "");
        assert_eq!(cmd("[ESP600]\n").clean_param(), "");
    }

    proptest! {
        #[test]
        fn any_line_parses_without_panicking(line in proptest::collection::vec(any::<u8>(), 0..80), label in "[A-Za-z=]{0,4}") {
            if let Some(c) = EspCommand::parse(&line) {
                let _ = (c.param(&label), c.has_tag(&label), c.clean_param());
            }
        }
    }
}
