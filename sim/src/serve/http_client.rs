//! A small HTTP/1.1 client for devices that call a server's REST API: one request per connection
//! (`Connection: close`), a response bounded in size and time, Content-Length, chunked or read to the end.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::outbound::Stream;

/// The largest response read (head and body).
pub const MAX_RESPONSE: usize = 256 * 1024;
/// How long writing the request and reading the whole response may take.
pub const EXCHANGE_TIMEOUT: Duration = Duration::from_secs(30);

/// Why a request got no usable answer.
#[derive(Debug, thiserror::Error)]
pub enum HttpClientError {
    #[error("the connection failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("no complete answer within {0:?}")]
    TimedOut(Duration),
    #[error("the answer is larger than {MAX_RESPONSE} bytes")]
    TooLarge,
    #[error("the answer is not HTTP/1.1: {0}")]
    Malformed(String),
}

/// One request.
#[derive(Clone, Debug)]
pub struct ClientRequest<'a> {
    /// `GET`, `POST` ...
    pub method: &'a str,
    /// The `Host` header value.
    pub host: &'a str,
    /// The path and query.
    pub path: &'a str,
    /// Extra headers (`Authorization` ...).
    pub headers: &'a [(&'a str, &'a str)],
    /// A body and its content type.
    pub body: Option<(&'a str, &'a [u8])>,
}

/// A response: its status and its body (lossy UTF-8).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientResponse {
    /// The HTTP status.
    pub status: u16,
    /// The body as text.
    pub body: String,
}

/// Sends `request` on `stream` and reads the answer, within [`EXCHANGE_TIMEOUT`].
pub async fn send(mut stream: Stream, request: &ClientRequest<'_>) -> Result<ClientResponse, HttpClientError> {
    let exchange = async {
        stream.write_all(&encode(request)).await?;
        stream.flush().await?;
        let mut raw = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            let read = match stream.read(&mut chunk).await {
                Ok(n) => n,
                // A TLS server that closes without close_notify: what was read is all there is.
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => 0,
                Err(e) => return Err(e.into()),
            };
            raw.extend_from_slice(&chunk[..read]);
            if raw.len() > MAX_RESPONSE {
                return Err(HttpClientError::TooLarge);
            }
            if let Some(response) = parse(&raw, read == 0)? {
                return Ok(response);
            }
            if read == 0 {
                return Err(HttpClientError::Malformed("the connection closed mid-answer".into()));
            }
        }
    };
    tokio::time::timeout(EXCHANGE_TIMEOUT, exchange)
        .await
        .map_err(|_| HttpClientError::TimedOut(EXCHANGE_TIMEOUT))?
}

/// The request's bytes.
fn encode(request: &ClientRequest<'_>) -> Vec<u8> {
    let mut head = format!(
        "{} {} HTTP/1.1\r\nHost: {}\r\nAccept: */*\r\nConnection: close\r\n",
        request.method, request.path, request.host
    );
    for (name, value) in request.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    match request.body {
        Some((content_type, body)) => {
            head.push_str(&format!(
                "Content-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
                body.len()
            ));
            let mut bytes = head.into_bytes();
            bytes.extend_from_slice(body);
            bytes
        }
        None => {
            head.push_str("\r\n");
            head.into_bytes()
        }
    }
}

/// A whole response from `raw`, or `None` while more is needed (`ended`: the peer closed).
fn parse(raw: &[u8], ended: bool) -> Result<Option<ClientResponse>, HttpClientError> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut response = httparse::Response::new(&mut headers);
    let head_len = match response.parse(raw) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => return Err(HttpClientError::Malformed(e.to_string())),
    };
    let status = response.code.unwrap_or(0);
    let header = |name: &str| {
        response
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| String::from_utf8_lossy(h.value).trim().to_ascii_lowercase())
    };
    let body = &raw[head_len..];
    let done = |body: &[u8]| {
        Some(ClientResponse {
            status,
            body: String::from_utf8_lossy(body).into_owned(),
        })
    };
    if status == 204 || status == 304 || (100..200).contains(&status) {
        return Ok(done(&[]));
    }
    if header("transfer-encoding").is_some_and(|t| t.contains("chunked")) {
        return match dechunk(body)? {
            Some(body) => Ok(done(&body)),
            None if ended => Err(HttpClientError::Malformed("the chunked body ends early".into())),
            None => Ok(None),
        };
    }
    if let Some(length) = header("content-length") {
        let length: usize = length
            .parse()
            .map_err(|_| HttpClientError::Malformed(format!("Content-Length `{length}`")))?;
        return match body.len() >= length {
            true => Ok(done(&body[..length])),
            false if ended => Err(HttpClientError::Malformed("the body ends early".into())),
            false => Ok(None),
        };
    }
    Ok(if ended { done(body) } else { None })
}

/// The body of a complete chunked encoding, or `None` while the last chunk has not come.
fn dechunk(mut data: &[u8]) -> Result<Option<Vec<u8>>, HttpClientError> {
    let mut body = Vec::new();
    loop {
        let Some(eol) = data.windows(2).position(|w| w == b"\r\n") else {
            return Ok(None);
        };
        let size_text = String::from_utf8_lossy(&data[..eol]);
        let size_text = size_text.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| HttpClientError::Malformed(format!("chunk size `{size_text}`")))?;
        data = &data[eol + 2..];
        if size == 0 {
            return Ok(Some(body));
        }
        if data.len() < size + 2 {
            return Ok(None);
        }
        body.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

/// `application/x-www-form-urlencoded` of `fields`, as python-requests writes it.
pub fn form_urlencoded(fields: &[(String, String)]) -> String {
    let encode = |text: &str| {
        let mut out = String::with_capacity(text.len());
        for b in text.bytes() {
            match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => out.push(b as char),
                b' ' => out.push('+'),
                _ => out.push_str(&format!("%{b:02X}")),
            }
        }
        out
    };
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_length_chunked_and_read_to_end() {
        let fixed = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
        assert_eq!(parse(fixed, false).unwrap().unwrap().body, "hello");
        assert!(parse(&fixed[..fixed.len() - 1], false).unwrap().is_none());
        assert!(parse(&fixed[..fixed.len() - 1], true).is_err());
        let chunked =
            b"HTTP/1.1 401 Unauthorized\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x\r\nde\r\n0\r\n\r\n";
        let r = parse(chunked, false).unwrap().unwrap();
        assert_eq!((r.status, r.body.as_str()), (401, "abcde"));
        let open = b"HTTP/1.1 404 Not Found\r\n\r\nnot found";
        assert!(parse(open, false).unwrap().is_none());
        assert_eq!(parse(open, true).unwrap().unwrap().body, "not found");
        assert!(parse(b"SSH-2.0-OpenSSH\r\n\r\n", true).is_err());
    }

    #[test]
    fn forms_are_encoded_like_python_requests() {
        let form = vec![
            ("filename".to_string(), "my cube.gcode".to_string()),
            ("agent_signature".to_string(), "ts:1/2&3=é".to_string()),
        ];
        assert_eq!(
            form_urlencoded(&form),
            "filename=my+cube.gcode&agent_signature=ts%3A1%2F2%263%3D%C3%A9"
        );
    }

    #[test]
    fn requests_carry_host_headers_and_the_body_length() {
        let request = ClientRequest {
            method: "POST",
            host: "127.0.0.1:3334",
            path: "/api/v1/octo/g_code_files/",
            headers: &[("Authorization", "Token t")],
            body: Some(("application/x-www-form-urlencoded", b"a=1")),
        };
        let text = String::from_utf8(encode(&request)).unwrap();
        assert!(text.starts_with("POST /api/v1/octo/g_code_files/ HTTP/1.1\r\nHost: 127.0.0.1:3334\r\n"));
        assert!(text.contains("\r\nAuthorization: Token t\r\n"));
        assert!(text.ends_with("Content-Length: 3\r\n\r\na=1"));
    }
}
