//! The board's HTTP routes, as `http_server.cpp` registers them: `/` (the WebUI from the flash),
//! `/command`, `/config`, `/login`, `/files`, `/sdfiles`, and the not-found handler that serves flash and `/sd/` files.

use bytes::Bytes;

use super::Action;
use super::auth::{ADMIN_LOGIN, Level, USER_LOGIN};
use super::board::{Esp3dBoard, HttpReply};
use super::files::{self, Args, Fs};
use super::format::content_type;
use super::multipart;
use super::params::{EspCommand, is_esp_command};
use super::settings::{self, Kind};
use crate::model::volume::Volume;
use crate::proto::http::{HttpRequest, HttpResponse, percent_decode};
use crate::time::SimTime;

/// The page `GET /` serves when the flash holds no WebUI (the firmware serves its embedded tool page here).
pub const FALLBACK_PAGE: &str = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>ESP3D</title></head><body>\
<h1>ESP3D</h1><p>No WebUI on the flash yet. Upload ESP3D-WebUI's <code>index.html.gz</code> to the flash root:</p>\
<pre>curl -F 'path=/' -F 'myfiles=@index.html.gz;filename=/index.html.gz' http://HOST:PORT/files</pre>\
<p>then reload this page.</p></body></html>";

/// `Wrong authentication!`, the firmware's 401 body.
const WRONG_AUTH: &str = "Wrong authentication!";

/// Splits a query string into decoded `(name, value)` pairs.
fn pairs(query: &str) -> Vec<(String, String)> {
    let decode = |text: &str| percent_decode(&text.replace('+', " "));
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn reply(response: HttpResponse) -> HttpReply {
    HttpReply {
        response,
        headers: vec![("Cache-Control", "no-cache".into())],
        actions: Vec::new(),
    }
}

fn text(status: u16, body: &str) -> HttpReply {
    reply(HttpResponse::with_type(status, "text/plain", body))
}

fn file(data: &[u8], kind: &'static str, gzip: bool) -> HttpReply {
    let mut r = reply(HttpResponse {
        body: Bytes::copy_from_slice(data),
        ..HttpResponse::with_type(200, kind, "")
    });
    if gzip {
        r.headers.push(("Content-Encoding", "gzip".into()));
    }
    r
}

/// Serves `path` (or `path.gz`) from `vol`, if there.
fn serve(vol: &Volume, path: &str) -> Option<HttpReply> {
    let kind = content_type(path);
    if let Ok(data) = vol.read(&format!("{path}.gz")) {
        return Some(file(data, kind, true));
    }
    vol.read(path).ok().map(|data| file(data, kind, false))
}

impl Esp3dBoard {
    /// Answers an HTTP request; `cookie` is its `Cookie` header, `sd` the printer's card.
    pub fn http(&mut self, now: SimTime, request: &HttpRequest, cookie: Option<&str>, sd: &mut Volume) -> HttpReply {
        let mut args = Args(request.query.as_deref().map(pairs).unwrap_or_default());
        let content = request.content_type.as_deref().unwrap_or("");
        let mut uploads = Vec::new();
        if content.starts_with("application/x-www-form-urlencoded") {
            args.0.extend(pairs(&String::from_utf8_lossy(&request.body)));
        } else if let Some(boundary) = multipart::boundary(content) {
            for part in multipart::parse(&request.body, &boundary).unwrap_or_default() {
                match part.filename {
                    Some(_) => uploads.push(part),
                    None => args
                        .0
                        .push((part.name, String::from_utf8_lossy(&part.data).into_owned())),
                }
            }
        }
        let level = match self.sessions.as_mut() {
            Some(sessions) => sessions.level(now, cookie),
            None => Level::Admin,
        };
        match request.path.as_str() {
            "/" => self.root(&args),
            "/command" if level == Level::Guest => text(401, WRONG_AUTH),
            "/command" => self.command(&args, level, sd),
            "/config" => {
                // The firmware's status page: `[ESP420]addPreTag`, its level checked by the command itself.
                let mut line = "[ESP420]addPreTag".to_string();
                if let Some(json) = args.get("json") {
                    line += &format!(" json={json}");
                }
                let cmd = Args(vec![("cmd".into(), line)]);
                self.command(&cmd, level, sd)
            }
            "/login" => self.login(now, &args, level, cookie),
            "/files" | "/sdfiles" => {
                let fs = if request.path == "/files" { Fs::Flash } else { Fs::Sd };
                let vol = if fs == Fs::Flash { &mut self.flash } else { sd };
                if level == Level::Guest {
                    let mut r = text(401, WRONG_AUTH);
                    if !uploads.is_empty() {
                        r = reply(HttpResponse::with_type(401, "text/xml", "Upload rejected"));
                        r.actions = self.terminal.error(1, "Upload rejected");
                    }
                    return r;
                }
                let (errors, failed) = files::upload(vol, now, &args, &uploads);
                let mut r = reply(HttpResponse::json(200, files::list(fs, vol, now, &args, failed)));
                if args.get("quiet") == Some("yes") {
                    r.response.content_type = "text/plain";
                }
                r.actions = errors
                    .into_iter()
                    .flat_map(|(code, msg)| self.terminal.error(code, msg))
                    .collect();
                r
            }
            _ if level == Level::Guest => text(401, WRONG_AUTH),
            path => self.not_found(&percent_decode(path), sd),
        }
    }

    fn root(&self, args: &Args) -> HttpReply {
        let forced = args.get("forcefallback").is_some();
        match serve(&self.flash, "/index.html") {
            Some(page) if !forced => page,
            _ => reply(HttpResponse::with_type(200, "text/html", FALLBACK_PAGE)),
        }
    }

    fn not_found(&self, path: &str, sd: &Volume) -> HttpReply {
        if let Some(found) = serve(&self.flash, path) {
            return found;
        }
        if let Some(found) = path
            .strip_prefix("/sd")
            .filter(|p| p.starts_with('/'))
            .and_then(|p| serve(sd, p))
        {
            return found;
        }
        serve(&self.flash, "/404.htm").unwrap_or_else(|| reply(HttpResponse::with_type(404, "text/html", "")))
    }

    fn command(&mut self, args: &Args, level: Level, sd: &Volume) -> HttpReply {
        let Some(cmd) = args.get("cmd") else {
            return if args.get("ping").is_some() {
                reply(HttpResponse::with_type(200, "text/html", ""))
            } else {
                text(400, "Invalid command")
            };
        };
        let mut line = cmd.as_bytes().to_vec();
        if !line.ends_with(b"\n") {
            line.push(b'\n');
        }
        if !is_esp_command(&line) {
            let mut r = text(200, "ESP3D says: command forwarded");
            r.actions.push(Action::Serial(line));
            return r;
        }
        let Some(cmd) = EspCommand::parse(&line) else {
            return text(400, "Invalid command");
        };
        let (answer, actions) = self.esp_command(&cmd, level, sd);
        let status = if answer.denied { 401 } else { 200 };
        let kind = if answer.listing { "text/html" } else { "text/plain" };
        let mut r = reply(HttpResponse::with_type(status, kind, answer.body));
        r.actions = actions;
        r
    }

    fn login(&mut self, now: SimTime, args: &Args, level: Level, cookie: Option<&str>) -> HttpReply {
        let body =
            |status: &str, lvl: Level| format!("{{\"status\":\"{status}\",\"authentication_lvl\":\"{}\"}}", lvl.name());
        if self.sessions.is_none() {
            return reply(HttpResponse::json(200, body("ok", Level::Admin)));
        }
        if args.get("DISCONNECT") == Some("YES") {
            if let Some(s) = self.sessions.as_mut() {
                s.clear(cookie);
            }
            let mut r = reply(HttpResponse::json(401, body("disconnected", Level::Guest)));
            r.headers.push(("Set-Cookie", "ESPSESSIONID=0".into()));
            return r;
        }
        let (mut code, mut status, mut set_cookie) = (401, "Wrong authentication!", None);
        if args.get("SUBMIT").is_some() {
            if let (Some(user), Some(password)) = (args.get("USER"), args.get("PASSWORD")) {
                let is_admin = password == self.settings.get(settings::ADMIN_PWD);
                let is_user = is_admin || password == self.settings.get(settings::USER_PWD);
                let wanted = match user {
                    ADMIN_LOGIN if is_admin => Some(Level::Admin),
                    USER_LOGIN if is_user => Some(Level::User),
                    _ => None,
                };
                if let Some(wanted) = wanted {
                    if let Some(new_password) = args.get("NEWPASSWORD") {
                        // The firmware writes the admin password whoever logs in.
                        (code, status) = match self.settings.write(settings::ADMIN_PWD, Kind::Str, new_password) {
                            Ok(()) => (200, "ok"),
                            Err(_) => (500, "Incorrect password!"),
                        };
                    } else if let Some(sessions) = self.sessions.as_mut() {
                        if let Some(timeout) = args.get("TIMEOUT") {
                            sessions.set_timeout_ms(settings::to_int(timeout).max(0) as u64);
                        }
                        if level != wanted {
                            set_cookie = Some(format!("ESPSESSIONID={}", sessions.create(now, wanted)));
                        }
                        (code, status) = (200, "ok");
                    }
                }
            }
        } else if level != Level::Guest {
            (code, status) = (200, "Identified");
        }
        let mut r = reply(HttpResponse::json(code, body(status, level)));
        if let Some(c) = set_cookie {
            r.headers.push(("Set-Cookie", c));
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::esp3d::board::BoardConfig;
    use proptest::prelude::*;

    fn get(path_and_query: &str) -> HttpRequest {
        let (path, query) = match path_and_query.split_once('?') {
            Some((p, q)) => (p, Some(q.to_string())),
            None => (path_and_query, None),
        };
        HttpRequest {
            method: "GET".into(),
            path: path.into(),
            query,
            content_type: None,
            body: Bytes::new(),
        }
    }

    fn post(path: &str, parts: &[(&str, Option<&str>, &[u8])]) -> HttpRequest {
        HttpRequest {
            method: "POST".into(),
            path: path.into(),
            query: None,
            content_type: Some("multipart/form-data; boundary=----esp3d".into()),
            body: multipart::encode("----esp3d", parts),
        }
    }

    fn fixture(auth: bool) -> (Esp3dBoard, Volume) {
        (
            Esp3dBoard::new(&BoardConfig {
                auth,
                ..BoardConfig::default()
            }),
            Volume::new(64 << 20, 255),
        )
    }

    const T: SimTime = SimTime::from_millis(1_000);

    #[test]
    fn command_forwards_gcode_answers_esp_commands_and_refuses_nothing() {
        let (mut board, mut sd) = fixture(false);
        let r = board.http(T, &get("/command?cmd=M105&t=1796147576769"), None, &mut sd);
        assert_eq!(
            (r.response.status, r.response.content_type, r.response.text()),
            (200, "text/plain", "ESP3D says: command forwarded".into())
        );
        assert_eq!(r.actions, [Action::Serial(b"M105\n".to_vec())]);
        let r = board.http(T, &get("/command?cmd=%5BESP800%5Djson%3Dyes+time%3D2026-12-01T17%3A52%3A42+tz%3D%2B00%3A00+version%3D3.0.0-a54"), None, &mut sd);
        assert_eq!((r.response.status, r.response.content_type), (200, "text/html"));
        let json: serde_json::Value = serde_json::from_str(&r.response.text()).unwrap();
        assert_eq!(json["data"]["Time"], "Manual");
        assert_eq!(json["data"]["WebSocketPort"], "8081");
        let r = board.http(T, &get("/command"), None, &mut sd);
        assert_eq!((r.response.status, r.response.text()), (400, "Invalid command".into()));
        assert_eq!(
            board.http(T, &get("/command?ping=yes"), None, &mut sd).response.status,
            200
        );
    }

    #[test]
    fn config_shows_the_status_page() {
        let (mut board, mut sd) = fixture(false);
        let r = board.http(T, &get("/config"), None, &mut sd);
        assert_eq!((r.response.status, r.response.content_type), (200, "text/html"));
        assert!(r.response.text().starts_with("<pre>\nchip id: "));
        let r = board.http(T, &get("/config?json=yes"), None, &mut sd);
        assert!(r.response.text().starts_with("{\"cmd\":\"420\""));
    }

    #[test]
    fn esp600_notifies_every_terminal_client() {
        let (mut board, mut sd) = fixture(false);
        board.terminal_connect().unwrap();
        let r = board.http(T, &get("/command?cmd=%5BESP600%5DHello"), None, &mut sd);
        assert_eq!(r.response.text(), "ok\n");
        assert_eq!(
            r.actions,
            [Action::TerminalText {
                slot: 0,
                text: "NOTIFICATION:Hello".into()
            }]
        );
    }

    #[test]
    fn root_serves_the_webui_from_the_flash_or_the_fallback_page() {
        let (mut board, mut sd) = fixture(false);
        let r = board.http(T, &get("/"), None, &mut sd);
        assert_eq!((r.response.status, r.response.content_type), (200, "text/html"));
        assert!(r.response.text().contains("index.html.gz"));
        board
            .flash_mut()
            .write("/index.html.gz", vec![0x1f, 0x8b, 8], T)
            .unwrap();
        let r = board.http(T, &get("/"), None, &mut sd);
        assert_eq!(
            (&r.response.body[..], r.response.content_type),
            (&[0x1f, 0x8b, 8][..], "text/html")
        );
        assert!(r.headers.contains(&("Content-Encoding", "gzip".into())));
        assert!(
            board
                .http(T, &get("/?forcefallback=yes"), None, &mut sd)
                .response
                .text()
                .contains("No WebUI")
        );
    }

    #[test]
    fn other_paths_serve_flash_and_sd_files_or_an_empty_404() {
        let (mut board, mut sd) = fixture(false);
        board.flash_mut().write("/preferences.json", b"{}".to_vec(), T).unwrap();
        sd.write("/cube.gco", b"G28\n".to_vec(), T).unwrap();
        let r = board.http(T, &get("/preferences.json"), None, &mut sd);
        assert_eq!(
            (r.response.status, r.response.content_type, r.response.text()),
            (200, "application/octet-stream", "{}".into())
        );
        let r = board.http(T, &get("/sd/cube.gco"), None, &mut sd);
        assert_eq!((r.response.status, r.response.content_type), (200, "text/plain"));
        let r = board.http(T, &get("/favicon.ico"), None, &mut sd);
        assert_eq!((r.response.status, r.response.text()), (404, String::new()));
        assert_eq!(
            board.http(T, &get("/sd/../etc/passwd"), None, &mut sd).response.status,
            404
        );
    }

    #[test]
    fn uploads_land_on_the_chosen_volume_and_failures_push_errors() {
        let (mut board, mut sd) = fixture(false);
        board.terminal_connect().unwrap();
        let data = b"G28\nG1 X10 Y10\nM105\n";
        let req = post(
            "/sdfiles",
            &[
                ("path", None, b"/"),
                ("/probe.gcodeS", None, b"20"),
                ("myfiles", Some("/probe.gcode"), data),
            ],
        );
        let r = board.http(T, &req, None, &mut sd);
        assert_eq!(
            r.response.text(),
            r#"{"files":[{"name":"probe.gcode","shortname":"probe.gcode","size":"20 B"}],"path":"/","occupation":"1","status":"ok","total":"64.00 MB","used":"20 B"}"#
        );
        assert!(r.actions.is_empty());
        let req = post(
            "/files",
            &[
                ("path", None, b"/"),
                ("/big.gS", None, b"99999999"),
                ("myfiles", Some("/big.g"), b"x"),
            ],
        );
        let r = board.http(T, &req, None, &mut sd);
        assert!(r.response.text().contains(r#""status":"Upload failed""#));
        assert_eq!(
            r.actions,
            [Action::TerminalText {
                slot: 0,
                text: "ERROR:5:Upload rejected".into()
            }]
        );
        assert_eq!(board.flash().used(), 0);
    }

    #[test]
    fn login_sessions_and_the_cookie_gate_every_route() {
        let (mut board, mut sd) = fixture(true);
        let r = board.http(T, &get("/command?cmd=M105"), None, &mut sd);
        assert_eq!((r.response.status, r.response.text()), (401, WRONG_AUTH.into()));
        assert_eq!(board.http(T, &get("/files"), None, &mut sd).response.status, 401);
        let r = board.http(T, &get("/login?SUBMIT=yes&USER=admin&PASSWORD=wrong"), None, &mut sd);
        assert_eq!(
            (r.response.status, r.response.text()),
            (
                401,
                r#"{"status":"Wrong authentication!","authentication_lvl":"guest"}"#.into()
            )
        );
        let r = board.http(T, &get("/login?SUBMIT=yes&USER=admin&PASSWORD=admin"), None, &mut sd);
        assert_eq!(
            (r.response.status, r.response.text()),
            (200, r#"{"status":"ok","authentication_lvl":"guest"}"#.into())
        );
        let cookie = r
            .headers
            .iter()
            .find(|(k, _)| *k == "Set-Cookie")
            .map(|(_, v)| v.clone())
            .unwrap();
        assert_eq!(cookie, "ESPSESSIONID=7F000001E8030000");
        let r = board.http(T, &get("/login"), Some(&cookie), &mut sd);
        assert_eq!(
            r.response.text(),
            r#"{"status":"Identified","authentication_lvl":"admin"}"#
        );
        let (slot, _) = board.terminal_connect().unwrap();
        let pong = board.terminal_text(SimTime::from_millis(61_000), slot, "PING:7F000001E8030000");
        assert_eq!(
            pong,
            [Action::TerminalText {
                slot,
                text: "PING:120000:180000".into()
            }]
        );
        assert_eq!(
            board
                .http(T, &get("/command?cmd=M105"), Some(&cookie), &mut sd)
                .response
                .status,
            200
        );
        let late = SimTime::from_millis(1_000 + 180_001);
        assert_eq!(
            board
                .http(late, &get("/command?cmd=M105"), Some(&cookie), &mut sd)
                .response
                .status,
            401
        );
        let r = board.http(late, &get("/login?DISCONNECT=YES"), Some(&cookie), &mut sd);
        assert_eq!((r.response.status, r.headers[1].1.as_str()), (401, "ESPSESSIONID=0"));
        let r = board.http(T, &post("/files", &[("myfiles", Some("/a.g"), b"x")]), None, &mut sd);
        assert_eq!((r.response.status, r.response.text()), (401, "Upload rejected".into()));
        assert_eq!(
            r.actions,
            [Action::TerminalText {
                slot,
                text: "ERROR:1:Upload rejected".into()
            }]
        );
    }

    #[test]
    fn the_webuis_requests_on_load_are_answered_as_the_firmware_answers_them() {
        let (mut board, mut sd) = fixture(false);
        board.flash_mut().write("/index.html.gz", vec![0x1f, 0x8b], T).unwrap();
        assert_eq!(board.http(T, &get("/"), None, &mut sd).response.status, 200);
        let esp800 = "/command?cmd=%5BESP800%5Djson%3Dyes+time%3D2026-12-01T17%3A52%3A42+tz%3D-00%3A00+version%3D3.0.0-a54&t=1796147562967";
        let r = board.http(T, &get(esp800), None, &mut sd);
        let json: serde_json::Value = serde_json::from_str(&r.response.text()).unwrap();
        assert_eq!(
            (json["cmd"].as_str(), json["data"]["WebCommunication"].as_str()),
            (Some("800"), Some("Synchronous"))
        );
        assert_eq!(
            board
                .http(T, &get("/preferences.json?t=1796147563135"), None, &mut sd)
                .response
                .status,
            404
        );
        let (slot, _) = board.terminal_connect().unwrap();
        assert!(board.terminal_text(T, slot, "PING:none").is_empty());
        let r = board.http(T, &get("/files?path=%2F&action=list&t=1796147563444"), None, &mut sd);
        assert_eq!(
            r.response.text(),
            r#"{"files":[{"name":"index.html.gz","size":"2 B"}],"path":"/","occupation":"0","status":"ok","total":"1.31 MB","used":"2 B"}"#
        );
    }

    #[test]
    fn without_authentication_login_says_admin() {
        let (mut board, mut sd) = fixture(false);
        let r = board.http(T, &get("/login"), None, &mut sd);
        assert_eq!(
            (r.response.status, r.response.text()),
            (200, r#"{"status":"ok","authentication_lvl":"admin"}"#.into())
        );
    }

    proptest! {
        #[test]
        fn random_paths_never_escape_the_volumes(
            path in "(/|\\.\\.|%2e%2e|%2F|[a-z]{1,3}|\\x00|%00){1,8}",
            name in "(\\.\\.|/|[a-z]{1,3}|%2F){1,4}"
        ) {
            let (mut board, mut sd) = fixture(false);
            let actions = ["list", "delete", "createdir", "deletedir"];
            for action in actions {
                let r = board.http(T, &get(&format!("/sdfiles?path={path}&action={action}&filename={name}")), None, &mut sd);
                prop_assert!(serde_json::from_str::<serde_json::Value>(&r.response.text()).is_ok());
                let _ = board.http(T, &get(&path), None, &mut sd);
            }
            let req = post("/sdfiles", &[("path", None, path.as_bytes()), ("myfiles", Some(&format!("{path}/{name}")), b"x")]);
            board.http(T, &req, None, &mut sd);
            for (p, _) in sd.files() {
                prop_assert!(!p.split('/').any(|c| c == ".." || c.is_empty() || c.contains('\0')), "{}", p);
            }
            prop_assert!(sd.used() <= 1);
        }
    }
}
