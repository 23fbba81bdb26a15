//! The REST half of the Obico server: which answer each call an agent makes gets (the printer lookup, the
//! G-code file and printer event posts, the `/ent/` lookups), with the real server's bodies and statuses.

use serde_json::{Map, Value, json};

/// The printer the checker's server links every agent to.
pub const PRINTER_ID: u64 = 1;
/// Its name in the printer lookup.
pub const PRINTER_NAME: &str = "understudy-check";

/// The real server's 401 for an unknown token (`{"error": ..., "is_authenticated": "False"}`).
pub const INVALID_TOKEN: &str = r#"{"error":"Invalid or Inactive Token","is_authenticated":"False"}"#;
/// The real server's 401 when no `Authorization` header came.
pub const NO_CREDENTIALS: &str = r#"{"detail":"Authentication credentials were not provided."}"#;
/// The real server's 404 (Django REST framework).
pub const NOT_FOUND: &str = r#"{"detail":"Not found."}"#;

/// An answer: status and JSON body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The JSON body.
    pub body: String,
}

impl Answer {
    fn new(status: u16, body: impl Into<String>) -> Answer {
        Answer {
            status,
            body: body.into(),
        }
    }
}

/// Whether a REST call's `Authorization: Token <tok>` carried the server's token (the scheme in any case,
/// as Django REST framework's token authentication reads it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenAuth {
    /// `Token <the configured token>`.
    Valid,
    /// A token the server does not know, or another scheme.
    Invalid,
    /// No `Authorization` header.
    Missing,
}

impl TokenAuth {
    /// Reads an `Authorization` value against `token`.
    pub fn of(header: Option<&str>, token: &str) -> TokenAuth {
        let Some(value) = header else {
            return TokenAuth::Missing;
        };
        let mut parts = value.split_whitespace();
        match (parts.next(), parts.next(), parts.next()) {
            (Some(scheme), Some(got), None) if scheme.eq_ignore_ascii_case("token") && got == token => TokenAuth::Valid,
            _ => TokenAuth::Invalid,
        }
    }
}

/// The answer to `method path` with this authorization and form; `next_file_id` numbers G-code files.
pub fn answer(method: &str, path: &str, auth: TokenAuth, form: &[(String, String)], next_file_id: u64) -> Answer {
    let path = path.split('?').next().unwrap_or(path);
    if path.starts_with("/ent/") {
        return Answer::new(404, NOT_FOUND);
    }
    let known = matches!(
        (method, path),
        ("GET", "/api/v1/octo/printer/") | ("POST", "/api/v1/octo/g_code_files/" | "/api/v1/octo/printer_events/")
    );
    if !known {
        return Answer::new(404, NOT_FOUND);
    }
    match auth {
        TokenAuth::Missing => return Answer::new(401, NO_CREDENTIALS),
        TokenAuth::Invalid => return Answer::new(401, INVALID_TOKEN),
        TokenAuth::Valid => {}
    }
    match path {
        "/api/v1/octo/printer/" => Answer::new(
            200,
            json!({
                "user": {"is_pro": true},
                "printer": {"is_pro": true, "id": PRINTER_ID, "name": PRINTER_NAME, "retract_on_pause": 6.5}
            })
            .to_string(),
        ),
        "/api/v1/octo/g_code_files/" => {
            let mut file = Map::new();
            file.insert("id".into(), json!(next_file_id));
            for (name, value) in form {
                file.insert(name.clone(), Value::String(value.clone()));
            }
            Answer::new(201, Value::Object(file).to_string())
        }
        _ => Answer::new(200, json!({"result": "ok"}).to_string()),
    }
}

/// Decodes an `application/x-www-form-urlencoded` body (`+` is a space, `%XX` a byte; bad escapes kept).
pub fn parse_form(body: &[u8]) -> Vec<(String, String)> {
    body.split(|b| *b == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let mut halves = pair.splitn(2, |b| *b == b'=');
            let name = decode(halves.next().unwrap_or_default());
            let value = decode(halves.next().unwrap_or_default());
            (name, value)
        })
        .collect()
}

fn decode(text: &[u8]) -> String {
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        match text[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < text.len() => {
                let hex = std::str::from_utf8(&text[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(byte) => {
                        out.push(byte);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_as_the_real_server() {
        let ok = answer("GET", "/api/v1/octo/printer/", TokenAuth::Valid, &[], 1);
        assert_eq!(ok.status, 200);
        let v: Value = serde_json::from_str(&ok.body).unwrap();
        assert_eq!(v["printer"]["id"], 1);
        assert_eq!(
            answer("GET", "/api/v1/octo/printer/", TokenAuth::Invalid, &[], 1),
            Answer::new(401, INVALID_TOKEN)
        );
        assert_eq!(
            answer("GET", "/api/v1/octo/printer/", TokenAuth::Missing, &[], 1),
            Answer::new(401, NO_CREDENTIALS)
        );
        assert_eq!(
            answer("GET", "/ent/api/printers/1/ext/", TokenAuth::Valid, &[], 1),
            Answer::new(404, NOT_FOUND)
        );
        let form = vec![("filename".to_string(), "a b.gcode".to_string())];
        let file = answer("POST", "/api/v1/octo/g_code_files/", TokenAuth::Valid, &form, 7);
        assert_eq!(file, Answer::new(201, r#"{"id":7,"filename":"a b.gcode"}"#));
        assert_eq!(
            answer("POST", "/api/v1/octo/printer_events/", TokenAuth::Valid, &[], 1).body,
            r#"{"result":"ok"}"#
        );
        assert_eq!(
            answer("DELETE", "/api/v1/octo/printer/", TokenAuth::Valid, &[], 1).status,
            404
        );
    }

    #[test]
    fn tokens_and_forms() {
        assert_eq!(TokenAuth::of(Some("Token abc"), "abc"), TokenAuth::Valid);
        assert_eq!(TokenAuth::of(Some("token abc"), "abc"), TokenAuth::Valid);
        assert_eq!(TokenAuth::of(Some("Token abd"), "abc"), TokenAuth::Invalid);
        assert_eq!(TokenAuth::of(Some("Bearer abc"), "abc"), TokenAuth::Invalid);
        assert_eq!(TokenAuth::of(None, "abc"), TokenAuth::Missing);
        assert_eq!(
            parse_form(b"filename=a+b.gcode&agent_signature=md5%3Aff&bad=%zz&tail=%4"),
            vec![
                ("filename".to_string(), "a b.gcode".to_string()),
                ("agent_signature".to_string(), "md5:ff".to_string()),
                ("bad".to_string(), "%zz".to_string()),
                ("tail".to_string(), "%4".to_string()),
            ]
        );
    }
}
