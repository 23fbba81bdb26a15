//! A minimal BSON codec: the value types the Obico tunnel uses (double, string, document, array,
//! binary, bool, null, int32, int64), documents kept in key order.

/// One BSON value.
#[derive(Clone, Debug, PartialEq)]
pub enum Bson {
    /// 0x01, a 64-bit float.
    Double(f64),
    /// 0x02, a UTF-8 string.
    String(String),
    /// 0x03, an embedded document (key order kept).
    Document(Vec<(String, Bson)>),
    /// 0x04, an array (stored with keys "0", "1", ...).
    Array(Vec<Bson>),
    /// 0x05, binary data of the generic subtype 0.
    Binary(Vec<u8>),
    /// 0x08, a boolean.
    Bool(bool),
    /// 0x0A, null.
    Null,
    /// 0x10, a 32-bit integer.
    Int32(i32),
    /// 0x12, a 64-bit integer.
    Int64(i64),
}

/// Why bytes are not a BSON document this codec reads.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BsonError {
    /// The bytes end before the document does.
    #[error("truncated BSON")]
    Truncated,
    /// A length field disagrees with the bytes.
    #[error("bad BSON length")]
    BadLength,
    /// A string or key is not UTF-8 or lacks its terminator.
    #[error("bad BSON string")]
    BadString,
    /// An element type this codec does not read.
    #[error("unsupported BSON type 0x{0:02x}")]
    UnsupportedType(u8),
    /// Documents nested deeper than the reader allows.
    #[error("BSON nested too deeply")]
    TooDeep,
}

/// How deep documents may nest when read (bounds the recursion on hostile input).
const MAX_DEPTH: usize = 32;

/// Encodes a top-level document.
pub fn encode_document(fields: &[(String, Bson)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    write_document(&mut out, fields.iter().map(|(k, v)| (k.as_str(), v)));
    out
}

/// Decodes a whole top-level document; trailing bytes are an error.
pub fn decode_document(bytes: &[u8]) -> Result<Vec<(String, Bson)>, BsonError> {
    let (doc, used) = read_document(bytes, 0)?;
    if used != bytes.len() {
        return Err(BsonError::BadLength);
    }
    Ok(doc)
}

fn write_document<'a>(out: &mut Vec<u8>, fields: impl Iterator<Item = (&'a str, &'a Bson)>) {
    let start = out.len();
    out.extend_from_slice(&[0; 4]);
    for (key, value) in fields {
        out.push(type_byte(value));
        write_cstring(out, key);
        write_value(out, value);
    }
    out.push(0);
    let len = (out.len() - start) as i32;
    out[start..start + 4].copy_from_slice(&len.to_le_bytes());
}

fn write_cstring(out: &mut Vec<u8>, s: &str) {
    // A key cannot hold NUL: it is cut there, as C drivers do.
    out.extend(s.bytes().take_while(|&b| b != 0));
    out.push(0);
}

fn type_byte(value: &Bson) -> u8 {
    match value {
        Bson::Double(_) => 0x01,
        Bson::String(_) => 0x02,
        Bson::Document(_) => 0x03,
        Bson::Array(_) => 0x04,
        Bson::Binary(_) => 0x05,
        Bson::Bool(_) => 0x08,
        Bson::Null => 0x0A,
        Bson::Int32(_) => 0x10,
        Bson::Int64(_) => 0x12,
    }
}

fn write_value(out: &mut Vec<u8>, value: &Bson) {
    match value {
        Bson::Double(v) => out.extend_from_slice(&v.to_le_bytes()),
        Bson::String(s) => {
            out.extend_from_slice(&((s.len() + 1) as i32).to_le_bytes());
            out.extend_from_slice(s.as_bytes());
            out.push(0);
        }
        Bson::Document(fields) => write_document(out, fields.iter().map(|(k, v)| (k.as_str(), v))),
        Bson::Array(items) => {
            let keys: Vec<String> = (0..items.len()).map(|i| i.to_string()).collect();
            write_document(out, keys.iter().map(String::as_str).zip(items.iter()));
        }
        Bson::Binary(b) => {
            out.extend_from_slice(&(b.len() as i32).to_le_bytes());
            out.push(0);
            out.extend_from_slice(b);
        }
        Bson::Bool(b) => out.push(u8::from(*b)),
        Bson::Null => {}
        Bson::Int32(v) => out.extend_from_slice(&v.to_le_bytes()),
        Bson::Int64(v) => out.extend_from_slice(&v.to_le_bytes()),
    }
}

fn take(bytes: &[u8], at: usize, n: usize) -> Result<&[u8], BsonError> {
    bytes
        .get(at..at.checked_add(n).ok_or(BsonError::Truncated)?)
        .ok_or(BsonError::Truncated)
}

fn read_i32(bytes: &[u8], at: usize) -> Result<i32, BsonError> {
    let b = take(bytes, at, 4)?;
    Ok(i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

fn read_8(bytes: &[u8], at: usize) -> Result<[u8; 8], BsonError> {
    let mut a = [0u8; 8];
    a.copy_from_slice(take(bytes, at, 8)?);
    Ok(a)
}

fn read_cstring(bytes: &[u8], at: usize) -> Result<(String, usize), BsonError> {
    let rest = bytes.get(at..).ok_or(BsonError::Truncated)?;
    let end = rest.iter().position(|&b| b == 0).ok_or(BsonError::BadString)?;
    let s = std::str::from_utf8(&rest[..end]).map_err(|_| BsonError::BadString)?;
    Ok((s.to_owned(), at + end + 1))
}

/// Reads the document starting at the front of `bytes`; returns it and its length.
fn read_document(bytes: &[u8], depth: usize) -> Result<(Vec<(String, Bson)>, usize), BsonError> {
    if depth > MAX_DEPTH {
        return Err(BsonError::TooDeep);
    }
    let len = usize::try_from(read_i32(bytes, 0)?).map_err(|_| BsonError::BadLength)?;
    if len < 5 || len > bytes.len() {
        return Err(BsonError::BadLength);
    }
    let body = &bytes[..len];
    if body[len - 1] != 0 {
        return Err(BsonError::BadLength);
    }
    let mut at = 4;
    let mut fields = Vec::new();
    while at < len - 1 {
        let kind = body[at];
        let (key, next) = read_cstring(&body[..len - 1], at + 1)?;
        let (value, used) = read_value(&body[..len - 1], next, kind, depth)?;
        fields.push((key, value));
        at = next + used;
    }
    if at != len - 1 {
        return Err(BsonError::BadLength);
    }
    Ok((fields, len))
}

fn read_value(bytes: &[u8], at: usize, kind: u8, depth: usize) -> Result<(Bson, usize), BsonError> {
    Ok(match kind {
        0x01 => (Bson::Double(f64::from_le_bytes(read_8(bytes, at)?)), 8),
        0x02 => {
            let n = usize::try_from(read_i32(bytes, at)?).map_err(|_| BsonError::BadLength)?;
            if n == 0 {
                return Err(BsonError::BadLength);
            }
            let raw = take(bytes, at + 4, n)?;
            if raw[n - 1] != 0 {
                return Err(BsonError::BadString);
            }
            let s = std::str::from_utf8(&raw[..n - 1]).map_err(|_| BsonError::BadString)?;
            (Bson::String(s.to_owned()), 4 + n)
        }
        0x03 | 0x04 => {
            let rest = bytes.get(at..).ok_or(BsonError::Truncated)?;
            let (fields, used) = read_document(rest, depth + 1)?;
            if kind == 0x03 {
                (Bson::Document(fields), used)
            } else {
                (Bson::Array(fields.into_iter().map(|(_, v)| v).collect()), used)
            }
        }
        0x05 => {
            let n = usize::try_from(read_i32(bytes, at)?).map_err(|_| BsonError::BadLength)?;
            let raw = take(bytes, at + 5, n)?;
            (Bson::Binary(raw.to_vec()), 5 + n)
        }
        0x08 => (Bson::Bool(take(bytes, at, 1)?[0] != 0), 1),
        0x0A => (Bson::Null, 0),
        0x10 => (Bson::Int32(read_i32(bytes, at)?), 4),
        0x12 => (Bson::Int64(i64::from_le_bytes(read_8(bytes, at)?)), 8),
        other => return Err(BsonError::UnsupportedType(other)),
    })
}

/// The JSON view of a BSON value (binary as an array of byte numbers), for handling tunnel requests
/// that came as BSON like those that came as JSON.
pub fn to_json(value: &Bson) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Bson::Double(v) => serde_json::Number::from_f64(*v).map_or(Value::Null, Value::Number),
        Bson::String(s) => Value::String(s.clone()),
        Bson::Document(fields) => Value::Object(fields.iter().map(|(k, v)| (k.clone(), to_json(v))).collect()),
        Bson::Array(items) => Value::Array(items.iter().map(to_json).collect()),
        Bson::Binary(b) => Value::Array(b.iter().map(|&x| Value::from(x)).collect()),
        Bson::Bool(b) => Value::Bool(*b),
        Bson::Null => Value::Null,
        Bson::Int32(v) => Value::from(*v),
        Bson::Int64(v) => Value::from(*v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn leaf() -> impl Strategy<Value = Bson> {
        prop_oneof![
            any::<f64>()
                .prop_filter("NaN is not equal to itself", |v| !v.is_nan())
                .prop_map(Bson::Double),
            "[a-z\u{e9}]{0,8}".prop_map(Bson::String),
            proptest::collection::vec(any::<u8>(), 0..16).prop_map(Bson::Binary),
            any::<bool>().prop_map(Bson::Bool),
            Just(Bson::Null),
            any::<i32>().prop_map(Bson::Int32),
            any::<i64>().prop_map(Bson::Int64),
        ]
    }

    fn value() -> impl Strategy<Value = Bson> {
        leaf().prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(("[a-z]{1,5}", inner.clone()), 0..4).prop_map(Bson::Document),
                proptest::collection::vec(inner, 0..4).prop_map(Bson::Array),
            ]
        })
    }

    #[test]
    fn hello_world_is_the_spec_example() {
        let doc = vec![("hello".to_owned(), Bson::String("world".into()))];
        let bytes = encode_document(&doc);
        assert_eq!(bytes, b"\x16\x00\x00\x00\x02hello\x00\x06\x00\x00\x00world\x00\x00");
        assert_eq!(decode_document(&bytes), Ok(doc));
    }

    #[test]
    fn truncated_and_bad_lengths_are_errors() {
        let bytes = encode_document(&[("a".into(), Bson::Int32(1))]);
        assert_eq!(decode_document(&bytes[..bytes.len() - 1]), Err(BsonError::BadLength));
        assert_eq!(decode_document(&[1, 0, 0]), Err(BsonError::Truncated));
        assert_eq!(
            decode_document(b"\x08\x00\x00\x00\x07a\x00\x00"),
            Err(BsonError::UnsupportedType(7))
        );
    }

    proptest! {
        #[test]
        fn round_trip(fields in proptest::collection::vec(("[a-z]{1,5}", value()), 0..5)) {
            let bytes = encode_document(&fields);
            prop_assert_eq!(decode_document(&bytes), Ok(fields));
        }

        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = decode_document(&bytes);
        }
    }
}
