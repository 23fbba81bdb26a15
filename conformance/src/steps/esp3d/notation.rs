//! How ESP3D scenarios spell bytes: text with `\n`, `\r`, `\t`, `\\` and `\xHH` escapes, and a byte notation for
//! transfer frames (`'PU' 00 05 'O' u32:1`, `s:cube.gco` with its length byte, `1000*47` for repeats).

/// The bytes of `text` with its backslash escapes resolved.
pub fn unescape(text: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(text.len());
    let mut bytes = text.bytes();
    while let Some(byte) = bytes.next() {
        if byte != b'\\' {
            out.push(byte);
            continue;
        }
        match bytes.next() {
            Some(b'n') => out.push(b'\n'),
            Some(b'r') => out.push(b'\r'),
            Some(b't') => out.push(b'\t'),
            Some(b'\\') => out.push(b'\\'),
            Some(b'"') => out.push(b'"'),
            Some(b'x') => {
                let hex: Vec<u8> = bytes.by_ref().take(2).collect();
                let hex = std::str::from_utf8(&hex).map_err(|_| format!("bad \\x escape in {text:?}"))?;
                out.push(u8::from_str_radix(hex, 16).map_err(|_| format!("bad \\x escape in {text:?}"))?);
            }
            other => return Err(format!("unknown escape \\{:?} in {text:?}", other.map(char::from))),
        }
    }
    Ok(out)
}

/// The bytes a notation spells: whitespace-separated tokens, each a hex byte (`4f`), quoted ASCII (`'PU'`),
/// a big-endian integer (`u16:5`, `u32:1`), a length-prefixed string (`s:cube.gco`, `s''` for an empty one,
/// `s'two words'`), or a repeat (`1000*47`: 1000 bytes 0x47).
pub fn parse_bytes(notation: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut rest = notation.trim_start();
    while !rest.is_empty() {
        let (token, after) = next_token(rest)?;
        push_token(&mut out, token)?;
        rest = after.trim_start();
    }
    Ok(out)
}

/// The next token of `text` (which starts with a non-blank) and what follows it.
fn next_token(text: &str) -> Result<(&str, &str), String> {
    let quoted_from = if text.starts_with('\'') {
        Some(1)
    } else if text.starts_with("s'") {
        Some(2)
    } else {
        None
    };
    match quoted_from {
        Some(from) => {
            let close = text[from..]
                .find('\'')
                .ok_or_else(|| format!("unclosed quote in {text:?}"))?;
            Ok(text.split_at(from + close + 1))
        }
        None => Ok(text.split_at(text.find(char::is_whitespace).unwrap_or(text.len()))),
    }
}

fn push_token(out: &mut Vec<u8>, token: &str) -> Result<(), String> {
    let bad = || format!("{token:?} is not a byte token (hex, 'text', u16:N, u32:N, s:TEXT or N*HH)");
    if let Some(quoted) = token.strip_prefix('\'').and_then(|t| t.strip_suffix('\'')) {
        out.extend_from_slice(quoted.as_bytes());
    } else if let Some(text) = token.strip_prefix("s'").and_then(|t| t.strip_suffix('\'')) {
        push_string(out, text)?;
    } else if let Some(text) = token.strip_prefix("s:") {
        push_string(out, text)?;
    } else if let Some(n) = token.strip_prefix("u32:") {
        out.extend_from_slice(&n.parse::<u32>().map_err(|_| bad())?.to_be_bytes());
    } else if let Some(n) = token.strip_prefix("u16:") {
        out.extend_from_slice(&n.parse::<u16>().map_err(|_| bad())?.to_be_bytes());
    } else if let Some((count, byte)) = token.split_once('*') {
        let count: usize = count.parse().map_err(|_| bad())?;
        let byte = u8::from_str_radix(byte, 16).map_err(|_| bad())?;
        out.extend(std::iter::repeat_n(byte, count));
    } else {
        out.push(u8::from_str_radix(token, 16).map_err(|_| bad())?);
    }
    Ok(())
}

fn push_string(out: &mut Vec<u8>, text: &str) -> Result<(), String> {
    let length = u8::try_from(text.len()).map_err(|_| format!("{text:?} is longer than 255 bytes"))?;
    out.push(length);
    out.extend_from_slice(text.as_bytes());
    Ok(())
}

/// A transfer frame: the two type bytes, the payload's length (big-endian), the payload.
pub fn frame(kind: &str, payload: &[u8]) -> Result<Vec<u8>, String> {
    let kind = kind.as_bytes();
    let length = u16::try_from(payload.len()).map_err(|_| format!("a payload of {} bytes", payload.len()))?;
    if kind.len() != 2 {
        return Err(format!("a frame type is two letters, not {:?}", String::from_utf8_lossy(kind)));
    }
    let mut out = kind.to_vec();
    out.extend_from_slice(&length.to_be_bytes());
    out.extend_from_slice(payload);
    Ok(out)
}

/// Bytes as a reader wants them in a failure: printable ASCII runs quoted, everything else as hex.
pub fn show(bytes: &[u8]) -> String {
    let mut out = Vec::new();
    let mut run = String::new();
    for &byte in bytes.iter().take(256) {
        if (0x20..0x7f).contains(&byte) && byte != b'\'' {
            run.push(char::from(byte));
        } else {
            if !run.is_empty() {
                out.push(format!("'{}'", std::mem::take(&mut run)));
            }
            out.push(format!("{byte:02x}"));
        }
    }
    if !run.is_empty() {
        out.push(format!("'{run}'"));
    }
    if bytes.len() > 256 {
        out.push(format!("... ({} bytes)", bytes.len()));
    }
    out.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_notation_spells_frames() {
        let bytes = parse_bytes("'PU' 00 05 'O' u32:258 s:ab s'' s'a b' 3*47 u16:5").unwrap();
        assert_eq!(
            bytes,
            b"PU\x00\x05O\x00\x00\x01\x02\x02ab\x00\x03a bGGG\x00\x05".to_vec()
        );
        assert!(parse_bytes("zz").is_err());
        assert!(parse_bytes("'open").is_err());
        assert_eq!(frame("RS", b"O").unwrap(), b"RS\x00\x01O".to_vec());
        assert!(frame("R", b"").is_err());
    }

    #[test]
    fn escapes_and_display() {
        assert_eq!(unescape(r"M105\n\x00\\").unwrap(), b"M105\n\x00\\".to_vec());
        assert!(unescape(r"\q").is_err());
        assert_eq!(show(b"RS\x00\x01O"), "'RS' 00 01 'O'");
    }
}
