//! The ESP commands this board answers (`[ESP800]`, `[ESP400]`, `[ESP401]`, `[ESP420]`, `[ESP200]`,
//! `[ESP600]`, `[ESP111]`), with the firmware's texts and JSON, plain or with the `json` tag.

use super::auth::{Level, Sessions};
use super::format::format_bytes;
use super::params::EspCommand;
use super::settings::{self, Kind, Settings};
use crate::model::volume::Volume;

/// The firmware version `[ESP800]` and `[ESP420]` report (`FW_VERSION` of branch 3.0).
pub const FW_VERSION: &str = "3.0.0.a241";

/// How the board is reached, for `[ESP800]`, `[ESP420]` and `[ESP111]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Network {
    /// The address clients reach the board on.
    pub ip: String,
    /// The HTTP port.
    pub http_port: u16,
    /// The terminal socket's port.
    pub terminal_port: u16,
    /// The data socket's port.
    pub data_port: u16,
}

/// What a command may read and change.
pub struct Env<'a> {
    /// The settings store.
    pub settings: &'a mut Settings,
    /// The sessions, when authentication is on.
    pub sessions: Option<&'a mut Sessions>,
    /// The caller's level.
    pub level: Level,
    /// The ESP's flash.
    pub flash: &'a Volume,
    /// The SD card.
    pub sd: &'a Volume,
    /// The board's addresses.
    pub net: &'a Network,
}

/// A command's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    /// The text or JSON, as the firmware writes it (newline included).
    pub body: String,
    /// A multi-part answer (head, entries, tail): HTTP sends it as `text/html`; a single one as `text/plain`.
    pub listing: bool,
    /// The caller lacked the level: HTTP answers 401.
    pub denied: bool,
    /// A `NOTIFICATION:` text to broadcast on the terminal socket.
    pub notification: Option<String>,
}

impl Answer {
    fn single(body: String) -> Self {
        Answer {
            body,
            listing: false,
            denied: false,
            notification: None,
        }
    }

    fn listing(body: String) -> Self {
        Answer {
            body,
            listing: true,
            denied: false,
            notification: None,
        }
    }
}

/// `dispatchAnswer`: `{"cmd":"<id>","status":"ok|error","data":<msg>}\n` with `json`, else `<msg>\n`.
fn answer(id: u32, json: bool, error: bool, msg: &str) -> Answer {
    if !json {
        return Answer::single(format!("{msg}\n"));
    }
    let status = if error { "error" } else { "ok" };
    let data = if msg.starts_with('{') {
        msg.to_string()
    } else {
        format!("\"{msg}\"")
    };
    Answer::single(format!(
        "{{\"cmd\":\"{id}\",\"status\":\"{status}\",\"data\":{data}}}\n"
    ))
}

/// `dispatchAuthenticationError`.
fn denied(id: u32, json: bool) -> Answer {
    let body = if json {
        format!("{{\"cmd\":\"{id}\",\"status\":\"error\",\"data\":\"Wrong authentication level\"}}\n")
    } else {
        "Wrong authentication level\n".to_string()
    };
    Answer {
        denied: true,
        ..Answer::single(body)
    }
}

/// A multi-part answer: `head`, the entries (comma-separated in JSON), then `]}` / `}}` or `ok`.
fn listing(json: bool, head_json: &str, head_text: &str, entries: Vec<String>, close: &str) -> Answer {
    framed(json, (head_json, close), (head_text, "ok\n"), entries)
}

/// A multi-part answer with its JSON and text head and tail.
fn framed(
    json: bool,
    (head_json, tail_json): (&str, &str),
    (head_text, tail_text): (&str, &str),
    entries: Vec<String>,
) -> Answer {
    if json {
        Answer::listing(format!("{head_json}{}{tail_json}\n", entries.join(",")))
    } else {
        Answer::listing(format!("{head_text}{}{tail_text}", entries.concat()))
    }
}

/// `dispatchKeyValue` / `dispatchIdValue` entries.
fn key_value(json: bool, key: &str, value: &str) -> String {
    if json {
        format!("\"{key}\":\"{value}\"")
    } else {
        format!("{key}: {value}\n")
    }
}

fn id_value(json: bool, id: &str, value: &str) -> String {
    if json {
        format!("{{\"id\":\"{id}\",\"value\":\"{value}\"}}")
    } else {
        format!("{id}: {value}\n")
    }
}

/// Runs `cmd` and returns its answer.
pub fn execute(cmd: &EspCommand, env: &mut Env) -> Answer {
    let json = cmd.has_tag("json");
    match cmd.id {
        800 => esp800(cmd, env, json),
        400 => esp400(env, json),
        401 => esp401(cmd, env, json),
        420 => esp420(env, json, cmd.has_tag("addPreTag")),
        200 => guarded(200, env, json, |_| answer(200, json, false, "SD card ok")),
        600 => guarded(600, env, json, |_| {
            let message = cmd.clean_param();
            if message.is_empty() {
                return answer(600, json, true, "Message is missing");
            }
            Answer {
                notification: Some(message),
                ..answer(600, json, false, "ok")
            }
        }),
        111 => guarded(111, env, json, |env| answer(111, json, false, &env.net.ip)),
        id => {
            let body = if json {
                format!("{{\"cmd\":\"[ESP{id}]\",\"status\":\"error\",\"data\":\"Invalid Command\"}}\n")
            } else {
                format!("Invalid Command: [ESP{id}]\n")
            };
            Answer::single(body)
        }
    }
}

/// Refuses a guest, else runs `f`.
fn guarded(id: u32, env: &mut Env, json: bool, f: impl FnOnce(&mut Env) -> Answer) -> Answer {
    if env.level == Level::Guest {
        denied(id, json)
    } else {
        f(env)
    }
}

/// The `Time` capability: `Manual` once a known time zone is set, `Not set` without one, and the
/// firmware's failure texts.
fn time_status(cmd: &EspCommand) -> &'static str {
    const ZONES: [&str; 37] = [
        "-12:00", "-11:00", "-10:00", "-09:00", "-08:00", "-07:00", "-06:00", "-05:00", "-04:00", "-03:30", "-03:00",
        "-02:00", "-01:00", "+00:00", "+01:00", "+02:00", "+03:00", "+03:30", "+04:00", "+04:30", "+05:00", "+05:30",
        "+05:45", "+06:00", "+06:30", "+07:00", "+08:00", "+08:45", "+09:00", "+09:30", "+10:00", "+10:30", "+11:00",
        "+12:00", "+12:45", "+13:00", "+14:00",
    ];
    let (time, tz) = (cmd.param("time="), cmd.param("tz="));
    let mut status = match tz.as_str() {
        "" => "Not set",
        tz if ZONES.contains(&tz) => "Manual",
        _ => "Failed to set timezone",
    };
    if !time.is_empty() && !valid_time(&time) {
        status = "Failed to set time";
    }
    status
}

/// `strptime` with `%Y-%m-%dT%H:%M:%S` or `%Y-%m-%dT%H:%M`.
fn valid_time(text: &str) -> bool {
    let Some((date, clock)) = text.split_once('T') else {
        return false;
    };
    let numbers = |s: &str, sep: char, min: usize, max: usize| {
        let parts: Vec<&str> = s.split(sep).collect();
        (min..=max).contains(&parts.len())
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    };
    numbers(date, '-', 3, 3) && numbers(clock, ':', 2, 3)
}

fn esp800(cmd: &EspCommand, env: &mut Env, json: bool) -> Answer {
    if env.level == Level::Guest {
        return denied(800, json);
    }
    let time = time_status(cmd);
    let setup = cmd.param("setup=");
    if !setup.is_empty() {
        env.settings
            .set_raw(settings::SETUP, if setup == "1" { "1" } else { "0" });
    }
    let target = env.settings.get(settings::TARGET_FW).to_string();
    let port = env.net.terminal_port.to_string();
    let fields = [
        ("FWVersion", FW_VERSION),
        ("FWTarget", target_name(&target)),
        ("FWTargetID", target.as_str()),
        (
            "Setup",
            if env.settings.get(settings::SETUP) == "0" {
                "Enabled"
            } else {
                "Disabled"
            },
        ),
        ("SDConnection", "shared"),
        ("SerialProtocol", "Raw"),
        (
            "Authentication",
            if env.sessions.is_some() { "Enabled" } else { "Disabled" },
        ),
        ("WebCommunication", "Synchronous"),
        ("WebSocketIP", env.net.ip.as_str()),
        ("WebSocketPort", port.as_str()),
        ("Hostname", env.settings.get(settings::HOSTNAME)),
        ("WiFiMode", "STA"),
        ("WebUpdate", "Disabled"),
        ("FlashFileSystem", "LittleFS"),
        ("HostPath", "/"),
        ("Time", time),
    ];
    let entries = fields.iter().map(|(k, v)| key_value(json, k, v)).collect();
    listing(
        json,
        "{\"cmd\":\"800\",\"status\":\"ok\",\"data\":{",
        "Capabilities:\n",
        entries,
        "}}",
    )
}

/// `GetFirmwareTargetShortName`.
fn target_name(id: &str) -> &'static str {
    match id {
        "10" => "grbl",
        "20" | "30" => "marlin",
        "40" => "smoothieware",
        "50" => "repetier",
        _ => "unknown",
    }
}

fn esp400(env: &mut Env, json: bool) -> Answer {
    let entries = env.settings.listed().map(|d| env.settings.entry(d, json)).collect();
    let list = listing(
        json,
        "{\"cmd\":\"400\",\"status\":\"ok\",\"data\":[",
        "Settings:\n",
        entries,
        "]}",
    );
    if env.level == Level::Guest {
        // The firmware sends its authentication error and then, without returning, the list.
        let error = denied(400, json);
        return Answer {
            body: error.body + &list.body,
            ..error
        };
    }
    list
}

fn esp401(cmd: &EspCommand, env: &mut Env, json: bool) -> Answer {
    if env.level != Level::Admin {
        return denied(401, json);
    }
    let position = cmd.param("P=");
    let (value, has_value) = cmd.param_found("V=");
    let kind = match cmd.param("T=").as_str() {
        "B" => Some(Kind::Byte),
        "I" => Some(Kind::Integer),
        "S" => Some(Kind::Str),
        "A" => Some(Kind::Ip),
        _ => None,
    };
    let error = if position.is_empty() {
        Some("Invalid parameter P")
    } else if cmd.param("T=").is_empty() {
        Some("Invalid parameter T")
    } else if value.is_empty() && !has_value {
        Some("Invalid parameter V")
    } else {
        let index = u16::try_from(settings::to_int(&position)).ok();
        match (kind, index) {
            (Some(kind), Some(index)) => match env.settings.write(index, kind, &value) {
                Ok(()) => {
                    if index == settings::SESSION_TIMEOUT {
                        if let Some(sessions) = env.sessions.as_deref_mut() {
                            sessions.set_timeout_ms(settings::to_int(&value).max(0) as u64 * 60_000);
                        }
                    }
                    None
                }
                Err(_) => Some("Invalid value for T"),
            },
            _ => Some("Invalid value for T"),
        }
    };
    match error {
        None => answer(401, json, false, if json { &position } else { "ok" }),
        Some(e) if json => {
            let mut msg = format!("{{\"error\":\"{e}\"");
            if !position.is_empty() {
                msg += &format!(",\"position\":\"{position}\"");
            }
            answer(401, json, true, &(msg + "}"))
        }
        Some(e) => {
            let suffix = if position.is_empty() {
                String::new()
            } else {
                format!(" for P={position}")
            };
            answer(401, json, true, &format!("{e}{suffix}"))
        }
    }
}

fn esp420(env: &mut Env, json: bool, pre: bool) -> Answer {
    if env.level == Level::Guest {
        return denied(420, json);
    }
    let s = &*env.settings;
    let fs_usage = format!(
        "{}/{}",
        format_bytes(env.flash.used()),
        format_bytes(env.flash.capacity())
    );
    let target = target_name(s.get(settings::TARGET_FW));
    let rows: Vec<(&str, String)> = vec![
        ("chip id", "1f2e".into()),
        ("CPU Freq", "240Mhz".into()),
        ("free mem", format_bytes(196_608)),
        ("FW arch", "ESP32-3-2@".into()),
        ("SDK", "v4.4.7".into()),
        ("Arduino", "2.0.17".into()),
        ("flash size", format_bytes(4 * 1024 * 1024)),
        ("FS type", "LittleFS".into()),
        ("FS usage", fs_usage),
        ("baud", s.get(settings::BAUD_RATE).into()),
        ("sleep mode", "none".into()),
        ("wifi", "ON".into()),
        ("hostname", s.get(settings::HOSTNAME).into()),
        ("HTTP port", env.net.http_port.to_string()),
        ("Websocket port", env.net.data_port.to_string()),
        ("wifi mode", "sta".into()),
        ("mac", "24:0A:C4:00:00:01".into()),
        ("SSID", s.get(settings::STA_SSID).into()),
        ("signal", "100%".into()),
        ("phy mode", "11n".into()),
        ("channel", "1".into()),
        ("ip mode", if s.get(99) == "1" { "dhcp" } else { "static" }.into()),
        ("ip", env.net.ip.clone()),
        ("gw", "0.0.0.0".into()),
        ("msk", "255.0.0.0".into()),
        ("DNS", "0.0.0.0".into()),
        ("ap", "OFF".into()),
        (
            "authentication",
            if env.sessions.is_some() { "ON" } else { "OFF" }.into(),
        ),
        ("sd", format!("shared (FAT) {}", format_bytes(env.sd.capacity()))),
        ("targetfw", target.into()),
        ("FW ver", FW_VERSION.into()),
    ];
    let entries = rows.iter().map(|(k, v)| id_value(json, k, v)).collect();
    let text = if pre {
        ("<pre>\n", "</pre>\n")
    } else {
        ("Configuration:\n", "ok\n")
    };
    framed(
        json,
        ("{\"cmd\":\"420\",\"status\":\"ok\",\"data\":[", "]}"),
        text,
        entries,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixture {
        settings: Settings,
        sessions: Option<Sessions>,
        flash: Volume,
        sd: Volume,
        net: Network,
    }

    impl Fixture {
        fn new(auth: bool) -> Self {
            Fixture {
                settings: Settings::new(8080, 8282, auth),
                sessions: auth.then(|| Sessions::new(180_000)),
                flash: Volume::new(1_376_256, 31),
                sd: Volume::new(64 << 20, 255),
                net: Network {
                    ip: "127.0.0.1".into(),
                    http_port: 8080,
                    terminal_port: 8081,
                    data_port: 8282,
                },
            }
        }

        fn run(&mut self, line: &str, level: Level) -> Answer {
            let cmd = EspCommand::parse(line.as_bytes()).unwrap();
            let mut env = Env {
                settings: &mut self.settings,
                sessions: self.sessions.as_mut(),
                level,
                flash: &self.flash,
                sd: &self.sd,
                net: &self.net,
            };
            execute(&cmd, &mut env)
        }
    }

    #[test]
    fn esp800_lists_the_capabilities_in_json_and_text() {
        let mut f = Fixture::new(false);
        let a = f.run(
            "[ESP800]json=yes time=2026-12-01T17:52:42 tz=-00:00 version=3.0.0-a54\n",
            Level::Admin,
        );
        assert!(a.listing);
        assert_eq!(
            a.body,
            "{\"cmd\":\"800\",\"status\":\"ok\",\"data\":{\"FWVersion\":\"3.0.0.a241\",\"FWTarget\":\"marlin\",\
             \"FWTargetID\":\"20\",\"Setup\":\"Enabled\",\"SDConnection\":\"shared\",\"SerialProtocol\":\"Raw\",\
             \"Authentication\":\"Disabled\",\"WebCommunication\":\"Synchronous\",\"WebSocketIP\":\"127.0.0.1\",\
             \"WebSocketPort\":\"8081\",\"Hostname\":\"esp3d\",\"WiFiMode\":\"STA\",\"WebUpdate\":\"Disabled\",\
             \"FlashFileSystem\":\"LittleFS\",\"HostPath\":\"/\",\"Time\":\"Failed to set timezone\"}}\n"
        );
        let text = f.run("[ESP800]tz=+01:00 setup=1\n", Level::Admin).body;
        assert!(
            text.starts_with("Capabilities:\nFWVersion: 3.0.0.a241\nFWTarget: marlin\n"),
            "{text}"
        );
        assert!(
            text.contains("Setup: Disabled\n") && text.ends_with("Time: Manual\nok\n"),
            "{text}"
        );
        assert!(
            f.run("[ESP800]time=junk\n", Level::Admin)
                .body
                .contains("Time: Failed to set time\n")
        );
    }

    #[test]
    fn esp400_lists_and_esp401_writes() {
        let mut f = Fixture::new(false);
        let list = f.run("[ESP400]json\n", Level::Admin).body;
        assert!(
            list.starts_with("{\"cmd\":\"400\",\"status\":\"ok\",\"data\":[{\"F\":\"network/network\",\"P\":\"130\"")
        );
        assert!(list.ends_with("}]}\n"));
        let parsed: serde_json::Value = serde_json::from_str(&list).unwrap();
        assert_eq!(parsed["data"].as_array().unwrap().len(), 23);
        assert_eq!(
            f.run("[ESP401]P=130 T=S V=bench json\n", Level::Admin).body,
            "{\"cmd\":\"401\",\"status\":\"ok\",\"data\":\"130\"}\n"
        );
        assert_eq!(f.settings.get(settings::HOSTNAME), "bench");
        assert_eq!(f.run("[ESP401]P=130 T=S V=bench\n", Level::Admin).body, "ok\n");
        assert_eq!(
            f.run("[ESP401]P=130 T=B V=1 json\n", Level::Admin).body,
            "{\"cmd\":\"401\",\"status\":\"error\",\"data\":{\"error\":\"Invalid value for T\",\"position\":\"130\"}}\n"
        );
        assert_eq!(f.run("[ESP401]T=S V=x\n", Level::Admin).body, "Invalid parameter P\n");
        assert_eq!(
            f.run("[ESP401]P=130 V=x\n", Level::Admin).body,
            "Invalid parameter T for P=130\n"
        );
        assert_eq!(
            f.run("[ESP401]P=130 T=S\n", Level::Admin).body,
            "Invalid parameter V for P=130\n"
        );
        assert_eq!(
            f.run("[ESP401]P=130 T=Q V=x\n", Level::Admin).body,
            "Invalid value for T for P=130\n"
        );
        let refused = f.run("[ESP401]P=130 T=S V=x\n", Level::User);
        assert_eq!(
            (refused.body.as_str(), refused.denied),
            ("Wrong authentication level\n", true)
        );
    }

    #[test]
    fn the_session_timeout_setting_changes_the_sessions() {
        let mut f = Fixture::new(true);
        f.run("[ESP401]P=1040 T=B V=5\n", Level::Admin);
        assert_eq!(f.sessions.as_ref().unwrap().timeout_ms(), 300_000);
        let guest = f.run("[ESP400]\n", Level::Guest);
        assert!(guest.denied && guest.body.starts_with("Wrong authentication level\nSettings:\n"));
        assert!(guest.body.contains("security/security/adm pwd: ********\n"));
    }

    #[test]
    fn esp600_notifies_with_the_first_word_and_unknown_commands_are_invalid() {
        let mut f = Fixture::new(false);
        let a = f.run("[ESP600]Hello from probe\n", Level::Admin);
        assert_eq!((a.body.as_str(), a.notification.as_deref()), ("ok\n", Some("Hello")));
        let a = f.run("[ESP600]json=yes Printing\\ done\n", Level::Admin);
        assert_eq!(a.body, "{\"cmd\":\"600\",\"status\":\"ok\",\"data\":\"ok\"}\n");
        assert_eq!(a.notification.as_deref(), Some("Printing done"));
        let a = f.run("[ESP600]\n", Level::Admin);
        assert_eq!((a.body.as_str(), a.notification), ("Message is missing\n", None));
        assert_eq!(f.run("[ESP123]\n", Level::Admin).body, "Invalid Command: [ESP123]\n");
        assert_eq!(
            f.run("[ESP123]json\n", Level::Admin).body,
            "{\"cmd\":\"[ESP123]\",\"status\":\"error\",\"data\":\"Invalid Command\"}\n"
        );
        assert_eq!(f.run("[ESP200]\n", Level::User).body, "SD card ok\n");
        assert_eq!(f.run("[ESP111]\n", Level::User).body, "127.0.0.1\n");
    }

    #[test]
    fn esp420_reports_the_board() {
        let mut f = Fixture::new(false);
        let body = f.run("[ESP420]json\n", Level::Admin).body;
        let parsed: serde_json::Value = serde_json::from_str(&body).unwrap();
        let rows = parsed["data"].as_array().unwrap();
        assert_eq!(rows[0], serde_json::json!({"id": "chip id", "value": "1f2e"}));
        assert!(rows.contains(&serde_json::json!({"id": "FS usage", "value": "0 B/1.31 MB"})));
        assert!(rows.contains(&serde_json::json!({"id": "FW ver", "value": FW_VERSION})));
        let text = f.run("[ESP420]\n", Level::Admin).body;
        assert!(text.starts_with("Configuration:\nchip id: 1f2e\n") && text.ends_with("FW ver: 3.0.0.a241\nok\n"));
        let pre = f.run("[ESP420]addPreTag\n", Level::Admin).body;
        assert!(
            pre.starts_with("<pre>\nchip id: 1f2e\n") && pre.ends_with("FW ver: 3.0.0.a241\n</pre>\n"),
            "{pre}"
        );
    }
}
