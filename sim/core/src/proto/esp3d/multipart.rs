//! A small `multipart/form-data` reader for the upload routes: the boundary from the content type, then each
//! part's `name`, optional `filename` and bytes. Bounded, and any malformed body is an error, never a panic.

use bytes::Bytes;

/// The most parts one body may carry.
pub const MAX_PARTS: usize = 64;

/// One form field or file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    /// The field name.
    pub name: String,
    /// The file name, for a file part.
    pub filename: Option<String>,
    /// The field's value or the file's bytes.
    pub data: Bytes,
}

/// Why a body is not valid multipart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MultipartError {
    #[error("no boundary in the content type")]
    NoBoundary,
    #[error("malformed multipart body")]
    Malformed,
    #[error("more than {MAX_PARTS} parts")]
    TooManyParts,
}

/// The `boundary` parameter of a `multipart/form-data` content type.
pub fn boundary(content_type: &str) -> Option<String> {
    let (kind, params) = content_type.split_once(';')?;
    if !kind.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params.split(';').find_map(|p| {
        let (key, value) = p.trim().split_once('=')?;
        let value = value.trim().trim_matches('"');
        (key.trim().eq_ignore_ascii_case("boundary") && !value.is_empty()).then(|| value.to_string())
    })
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || from > haystack.len() {
        return None;
    }
    haystack[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// A `key="value"` parameter of a `Content-Disposition` header.
fn disposition_param(header: &str, key: &str) -> Option<String> {
    header.split(';').skip(1).find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case(key)
            .then(|| v.trim().trim_matches('"').to_string())
    })
}

/// The parts of `body`, in order.
pub fn parse(body: &Bytes, boundary: &str) -> Result<Vec<Part>, MultipartError> {
    let delimiter = format!("--{boundary}");
    let next_delimiter = format!("\r\n--{boundary}");
    let mut at = find(body, delimiter.as_bytes(), 0).ok_or(MultipartError::Malformed)? + delimiter.len();
    let mut parts = Vec::new();
    loop {
        match body.get(at..at + 2) {
            Some(b"--") => return Ok(parts),
            Some(b"\r\n") => at += 2,
            _ => return Err(MultipartError::Malformed),
        }
        if parts.len() == MAX_PARTS {
            return Err(MultipartError::TooManyParts);
        }
        let head_end = find(body, b"\r\n\r\n", at).ok_or(MultipartError::Malformed)?;
        let head = String::from_utf8_lossy(&body[at..head_end]);
        let disposition = head
            .split("\r\n")
            .find_map(|line| {
                let (name, value) = line.split_once(':')?;
                name.trim()
                    .eq_ignore_ascii_case("content-disposition")
                    .then(|| value.trim().to_string())
            })
            .ok_or(MultipartError::Malformed)?;
        let name = disposition_param(&disposition, "name").ok_or(MultipartError::Malformed)?;
        let data_start = head_end + 4;
        let data_end = find(body, next_delimiter.as_bytes(), data_start).ok_or(MultipartError::Malformed)?;
        parts.push(Part {
            name,
            filename: disposition_param(&disposition, "filename"),
            data: body.slice(data_start..data_end),
        });
        at = data_end + next_delimiter.len();
    }
}

/// Builds a body from `(name, filename, data)` parts, for tests and for clients.
pub fn encode(boundary: &str, parts: &[(&str, Option<&str>, &[u8])]) -> Bytes {
    let mut out = Vec::new();
    for (name, filename, data) in parts {
        out.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"").as_bytes());
        if let Some(f) = filename {
            out.extend_from_slice(format!("; filename=\"{f}\"\r\nContent-Type: application/octet-stream").as_bytes());
        }
        out.extend_from_slice(b"\r\n\r\n");
        out.extend_from_slice(data);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    Bytes::from(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_boundary_comes_from_the_content_type() {
        assert_eq!(
            boundary("multipart/form-data; boundary=----abc").as_deref(),
            Some("----abc")
        );
        assert_eq!(
            boundary("multipart/form-data; charset=x; boundary=\"q r\"").as_deref(),
            Some("q r")
        );
        assert_eq!(boundary("application/json"), None);
        assert_eq!(boundary("multipart/form-data"), None);
    }

    #[test]
    fn fields_and_files_are_read_in_order() {
        let body = encode(
            "XyZ",
            &[
                ("path", None, b"/"),
                ("/cube.gcodeS", None, b"8"),
                ("myfiles", Some("/cube.gcode"), b"G28\r\nG1\n"),
            ],
        );
        let parts = parse(&body, "XyZ").unwrap();
        assert_eq!(parts.len(), 3);
        assert_eq!((parts[0].name.as_str(), &parts[0].data[..]), ("path", &b"/"[..]));
        assert_eq!(parts[1].name, "/cube.gcodeS");
        assert_eq!(parts[2].filename.as_deref(), Some("/cube.gcode"));
        assert_eq!(&parts[2].data[..], b"G28\r\nG1\n");
    }

    #[test]
    fn malformed_bodies_are_errors() {
        for body in [
            &b""[..],
            b"--XyZ",
            b"--XyZ\r\nno headers",
            b"--XyZ\r\nX: y\r\n\r\ndata\r\n--XyZ--",
        ] {
            assert_eq!(
                parse(&Bytes::copy_from_slice(body), "XyZ"),
                Err(MultipartError::Malformed),
                "{body:?}"
            );
        }
        let unterminated = Bytes::from_static(b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\ndata");
        assert_eq!(parse(&unterminated, "XyZ"), Err(MultipartError::Malformed));
    }

    proptest! {
        #[test]
        fn random_bodies_never_panic(body in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = parse(&Bytes::from(body), "XyZ");
        }

        #[test]
        fn encoded_parts_come_back(data in proptest::collection::vec(any::<u8>(), 0..200)) {
            let body = encode("b0undary-7f3a", &[("myfiles", Some("/f.g"), &data)]);
            let parts = parse(&body, "b0undary-7f3a").unwrap();
            prop_assert_eq!(&parts[0].data[..], &data[..]);
        }
    }
}
