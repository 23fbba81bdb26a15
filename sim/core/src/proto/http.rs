//! Plain HTTP requests and responses as device protocols see them (REST mirrors, status APIs), kept free
//! of the HTTP server library so that protocol code stays sans-IO.

use bytes::Bytes;

/// A plain HTTP request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpRequest {
    /// `GET`, `PUT`, ...
    pub method: String,
    /// The path, without the query string, still percent-encoded.
    pub path: String,
    /// The query string, if any.
    pub query: Option<String>,
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// The whole body.
    pub body: Bytes,
}

/// A device's answer to an HTTP request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// The `Content-Type` header.
    pub content_type: &'static str,
    /// A `Location` header, for redirects.
    pub location: Option<String>,
    /// The body.
    pub body: Bytes,
}

impl HttpResponse {
    /// A JSON response with this status and already-serialized body.
    pub fn json(status: u16, body: impl Into<String>) -> Self {
        HttpResponse::with_type(status, "application/json", body)
    }

    /// A response with this status, content type and body.
    pub fn with_type(status: u16, content_type: &'static str, body: impl Into<String>) -> Self {
        HttpResponse {
            status,
            content_type,
            location: None,
            body: Bytes::from(body.into()),
        }
    }

    /// A body as text, for tests and logs.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Decodes `%XX` escapes in a path segment (invalid escapes are kept as they are).
pub fn percent_decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(hi), Some(lo)) => {
                out.push((hi * 16 + lo) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The first value of parameter `name` in a query string (`a=1&b=2`), `+` read as a space and `%XX`
/// decoded. `None` when the parameter is absent.
pub fn query_param(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let decode = |text: &str| percent_decode(&text.replace('+', " "));
        (decode(key) == name).then(|| decode(value))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("GPIO17"), "GPIO17");
        assert_eq!(percent_decode("%C3%A9"), "é");
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("%zz"), "%zz");
    }

    #[test]
    fn query_parameters() {
        let query = "channel=prod&token=a.b.c&token=second&flag&sp=a+b%2Bc";
        assert_eq!(query_param(query, "token").as_deref(), Some("a.b.c"));
        assert_eq!(query_param(query, "flag").as_deref(), Some(""));
        assert_eq!(query_param(query, "sp").as_deref(), Some("a b+c"));
        assert_eq!(query_param(query, "missing"), None);
        assert_eq!(query_param("", "token"), None);
    }

    proptest::proptest! {
        #[test]
        fn any_query_decodes_without_panicking(query in ".*", name in "[a-z%+]{0,6}") {
            let _ = query_param(&query, &name);
        }

        #[test]
        fn a_plain_value_comes_back_as_written(value in "[A-Za-z0-9._-]{0,64}") {
            let query = format!("a=1&token={value}&b=2");
            proptest::prop_assert_eq!(query_param(&query, "token"), Some(value));
        }
    }
}
