//! The board's settings as `[ESP400]` lists and `[ESP401]` writes them: the firmware's indexes, filters, help
//! labels, types, defaults and validation, for the features this board has (Wi-Fi, HTTP, data socket, SD).

use std::collections::BTreeMap;

/// A setting's storage type, the `T` of `[ESP400]`/`[ESP401]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `B`: one byte.
    Byte,
    /// `I`: a 32-bit integer.
    Integer,
    /// `A`: an IPv4 address.
    Ip,
    /// `S`: a string.
    Str,
}

impl Kind {
    /// The type letter.
    pub fn letter(self) -> &'static str {
        match self {
            Kind::Byte => "B",
            Kind::Integer => "I",
            Kind::Ip => "A",
            Kind::Str => "S",
        }
    }
}

/// What a string setting accepts beyond its length and printable bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum StrRule {
    Hostname,
    NonEmpty,
    Login,
    WifiPassword,
}

/// What values a setting accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Rule {
    /// One of the options.
    Options,
    /// An integer in a range.
    Range(u32, u32),
    /// A string with this rule (its length bounded by `max`).
    Text(StrRule),
    /// A dotted IPv4 address.
    Ip,
}

/// One setting's description.
#[derive(Clone, Copy, Debug)]
pub struct Descriptor {
    /// The index (`P`).
    pub index: u16,
    /// The group (`F`).
    pub filter: &'static str,
    /// The label (`H`).
    pub help: &'static str,
    /// The type (`T`).
    pub kind: Kind,
    /// The value a fresh board has.
    pub default: &'static str,
    /// `(label, value)` choices (`O`).
    options: &'static [(&'static str, &'static str)],
    /// `S`, `M` and `MS` of the JSON listing.
    max: Option<u32>,
    min: Option<u32>,
    min2: Option<u32>,
    rule: Rule,
    /// Listed only when authentication is on.
    auth_only: bool,
}

impl Descriptor {
    /// Whether the listing hides the value (`********`).
    pub fn is_secret(&self) -> bool {
        matches!(self.index, STA_PASSWORD | AP_PASSWORD | ADMIN_PWD | USER_PWD)
    }
}

/// `ESP_HOSTNAME`.
pub const HOSTNAME: u16 = 130;
/// `ESP_STA_PASSWORD`.
pub const STA_PASSWORD: u16 = 34;
/// `ESP_AP_PASSWORD`.
pub const AP_PASSWORD: u16 = 251;
/// `ESP_ADMIN_PWD`.
pub const ADMIN_PWD: u16 = 176;
/// `ESP_USER_PWD`.
pub const USER_PWD: u16 = 197;
/// `ESP_SESSION_TIMEOUT`, in minutes.
pub const SESSION_TIMEOUT: u16 = 1040;
/// `ESP_HTTP_PORT`.
pub const HTTP_PORT: u16 = 121;
/// `ESP_WEBSOCKET_PORT`.
pub const WEBSOCKET_PORT: u16 = 324;
/// `ESP_TARGET_FW`.
pub const TARGET_FW: u16 = 648;
/// `ESP_BAUD_RATE`.
pub const BAUD_RATE: u16 = 112;
/// `ESP_STA_SSID`.
pub const STA_SSID: u16 = 1;
/// `ESP_SECURE_SERIAL`: with authentication, ESP commands from the printer need a password.
pub const SECURE_SERIAL: u16 = 1220;
/// `ESP_SETUP` (not listed; `[ESP800]setup=` writes it).
pub const SETUP: u16 = 1192;

/// The value shown for a password.
pub const HIDDEN_PASSWORD: &str = "********";

const YES_NO: &[(&str, &str)] = &[("no", "0"), ("yes", "1")];
const RADIO_MODES: &[(&str, &str)] = &[("none", "0"), ("sta", "1"), ("ap", "2"), ("setup", "5")];
const IP_MODES: &[(&str, &str)] = &[("static", "0"), ("dhcp", "1")];
const FALLBACKS: &[(&str, &str)] = &[("none", "0"), ("setup", "5")];
const CHANNELS: &[(&str, &str)] = &[
    ("1", "1"),
    ("2", "2"),
    ("3", "3"),
    ("4", "4"),
    ("5", "5"),
    ("6", "6"),
    ("7", "7"),
    ("8", "8"),
    ("9", "9"),
    ("10", "10"),
    ("11", "11"),
    ("12", "12"),
    ("13", "13"),
    ("14", "14"),
];
const FIRMWARES: &[(&str, &str)] = &[
    ("Unknown", "0"),
    ("Grbl", "10"),
    ("Marlin", "20"),
    ("Smoothieware", "40"),
    ("Repetier", "50"),
];
const BAUDS: &[(&str, &str)] = &[
    ("9600", "9600"),
    ("19200", "19200"),
    ("38400", "38400"),
    ("57600", "57600"),
    ("74880", "74880"),
    ("115200", "115200"),
    ("230400", "230400"),
    ("250000", "250000"),
    ("500000", "500000"),
    ("921600", "921600"),
    ("1000000", "1000000"),
    ("1958400", "1958400"),
    ("2000000", "2000000"),
];

const fn choice(
    index: u16,
    filter: &'static str,
    help: &'static str,
    kind: Kind,
    default: &'static str,
    options: &'static [(&'static str, &'static str)],
) -> Descriptor {
    Descriptor {
        index,
        filter,
        help,
        kind,
        default,
        options,
        max: None,
        min: None,
        min2: None,
        rule: Rule::Options,
        auth_only: false,
    }
}

const fn text(
    index: u16,
    filter: &'static str,
    help: &'static str,
    default: &'static str,
    sizes: (u32, u32, Option<u32>),
    rule: StrRule,
) -> Descriptor {
    Descriptor {
        index,
        filter,
        help,
        kind: Kind::Str,
        default,
        options: &[],
        max: Some(sizes.0),
        min: Some(sizes.1),
        min2: sizes.2,
        rule: Rule::Text(rule),
        auth_only: false,
    }
}

const fn ip(index: u16, filter: &'static str, help: &'static str, default: &'static str) -> Descriptor {
    Descriptor {
        index,
        filter,
        help,
        kind: Kind::Ip,
        default,
        options: &[],
        max: None,
        min: None,
        min2: None,
        rule: Rule::Ip,
        auth_only: false,
    }
}

const fn number(
    index: u16,
    filter: &'static str,
    help: &'static str,
    kind: Kind,
    default: &'static str,
    range: (u32, u32),
) -> Descriptor {
    Descriptor {
        index,
        filter,
        help,
        kind,
        default,
        options: &[],
        max: Some(range.1),
        min: Some(range.0),
        min2: None,
        rule: Rule::Range(range.0, range.1),
        auth_only: false,
    }
}

const fn auth(d: Descriptor) -> Descriptor {
    Descriptor { auth_only: true, ..d }
}

/// Every setting, in `[ESP400]` order.
pub const DESCRIPTORS: &[Descriptor] = &[
    text(
        HOSTNAME,
        "network/network",
        "hostname",
        "esp3d",
        (32, 1, Some(1)),
        StrRule::Hostname,
    ),
    choice(0, "network/network", "radio mode", Kind::Byte, "1", RADIO_MODES),
    choice(1221, "network/network", "radio_boot", Kind::Byte, "1", YES_NO),
    text(
        STA_SSID,
        "network/sta",
        "SSID",
        "NETWORK_SSID",
        (32, 1, Some(1)),
        StrRule::NonEmpty,
    ),
    text(
        STA_PASSWORD,
        "network/sta",
        "pwd",
        "12345678",
        (64, 8, Some(0)),
        StrRule::WifiPassword,
    ),
    choice(99, "network/sta", "ip mode", Kind::Byte, "1", IP_MODES),
    ip(100, "network/sta", "ip", "192.168.0.254"),
    ip(108, "network/sta", "gw", "192.168.0.254"),
    ip(104, "network/sta", "msk", "255.255.255.0"),
    ip(1216, "network/sta", "DNS", "192.168.0.254"),
    choice(1222, "network/sta", "sta fallback mode", Kind::Byte, "5", FALLBACKS),
    text(218, "network/ap", "SSID", "ESP3D", (32, 1, Some(1)), StrRule::NonEmpty),
    text(
        AP_PASSWORD,
        "network/ap",
        "pwd",
        "12345678",
        (64, 8, Some(0)),
        StrRule::WifiPassword,
    ),
    ip(316, "network/ap", "ip", "192.168.0.1"),
    choice(118, "network/ap", "channel", Kind::Byte, "11", CHANNELS),
    auth(text(
        ADMIN_PWD,
        "security/security",
        "adm pwd",
        "admin",
        (20, 0, None),
        StrRule::Login,
    )),
    auth(text(
        USER_PWD,
        "security/security",
        "user pwd",
        "user",
        (20, 0, None),
        StrRule::Login,
    )),
    auth(number(
        SESSION_TIMEOUT,
        "security/security",
        "session timeout",
        Kind::Byte,
        "3",
        (0, 255),
    )),
    auth(choice(
        SECURE_SERIAL,
        "security/security",
        "serial",
        Kind::Byte,
        "1",
        YES_NO,
    )),
    choice(328, "service/http", "enable", Kind::Byte, "1", YES_NO),
    number(HTTP_PORT, "service/http", "port", Kind::Integer, "80", (1, 65535)),
    choice(330, "service/websocketp", "enable", Kind::Byte, "1", YES_NO),
    number(
        WEBSOCKET_PORT,
        "service/websocketp",
        "port",
        Kind::Integer,
        "8282",
        (1, 65535),
    ),
    choice(TARGET_FW, "system/system", "targetfw", Kind::Byte, "20", FIRMWARES),
    choice(BAUD_RATE, "system/system", "baud", Kind::Integer, "115200", BAUDS),
    number(320, "system/boot", "bootdelay", Kind::Integer, "10000", (0, 40000)),
    choice(1210, "system/boot", "verbose", Kind::Byte, "0", YES_NO),
];

/// Why `[ESP401]` refused a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SettingError {
    /// The firmware's single message for an unknown index, a wrong type or a bad value.
    #[error("Invalid value for T")]
    InvalidValue,
}

/// Arduino's `String::toInt` (`atol`): leading blanks, a sign, digits; 0 when there are none.
pub fn to_int(text: &str) -> i64 {
    let t = text.trim_start();
    let (sign, digits) = match t.as_bytes().first() {
        Some(b'-') => (-1, &t[1..]),
        Some(b'+') => (1, &t[1..]),
        _ => (1, t),
    };
    let n = digits
        .bytes()
        .take_while(u8::is_ascii_digit)
        .fold(0i64, |n, d| n.saturating_mul(10).saturating_add(i64::from(d - b'0')));
    sign * n
}

fn valid_ip(value: &str) -> bool {
    let parts: Vec<&str> = value.split('.').collect();
    parts.len() == 4
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()) && to_int(p) <= 255)
}

/// The settings store of one board.
#[derive(Clone, Debug)]
pub struct Settings {
    values: BTreeMap<u16, String>,
    auth: bool,
}

impl Settings {
    /// Defaults, with the HTTP port the board serves on; `auth` lists the security settings.
    pub fn new(http_port: u16, data_port: u16, auth: bool) -> Self {
        let mut values: BTreeMap<u16, String> = DESCRIPTORS.iter().map(|d| (d.index, d.default.to_string())).collect();
        values.insert(HTTP_PORT, http_port.to_string());
        values.insert(WEBSOCKET_PORT, data_port.to_string());
        values.insert(SETUP, "0".to_string());
        Settings { values, auth }
    }

    /// The descriptors `[ESP400]` lists on this board.
    pub fn listed(&self) -> impl Iterator<Item = &'static Descriptor> + '_ {
        DESCRIPTORS.iter().filter(|d| self.auth || !d.auth_only)
    }

    /// The stored value of `index` (empty for an unknown one).
    pub fn get(&self, index: u16) -> &str {
        self.values.get(&index).map_or("", String::as_str)
    }

    /// The value `[ESP400]` shows (passwords hidden).
    pub fn shown(&self, d: &Descriptor) -> &str {
        if d.is_secret() {
            HIDDEN_PASSWORD
        } else {
            self.get(d.index)
        }
    }

    /// Writes `value` to `index` as type `kind`, validated as the firmware validates it.
    pub fn write(&mut self, index: u16, kind: Kind, value: &str) -> Result<(), SettingError> {
        let d = self
            .listed()
            .find(|d| d.index == index)
            .ok_or(SettingError::InvalidValue)?;
        if d.kind != kind {
            return Err(SettingError::InvalidValue);
        }
        let stored = match (kind, d.rule) {
            (Kind::Byte, _) => (to_int(value) as u8).to_string(),
            (Kind::Integer, _) => (to_int(value) as u32).to_string(),
            _ => value.to_string(),
        };
        let ok = match d.rule {
            Rule::Options => d.options.iter().any(|(_, v)| *v == stored),
            Rule::Range(lo, hi) => stored.parse::<u32>().is_ok_and(|n| (lo..=hi).contains(&n)),
            Rule::Ip => valid_ip(value),
            Rule::Text(rule) => {
                let len = value.len();
                let printable = value.bytes().all(|b| b == b'\t' || (32..=126).contains(&b) || b >= 128);
                printable
                    && len as u32 <= d.max.unwrap_or(u32::MAX)
                    && match rule {
                        StrRule::Hostname => len >= 1 && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'),
                        StrRule::NonEmpty => len >= 1,
                        StrRule::Login => len >= 1 && !value.contains(' '),
                        StrRule::WifiPassword => len == 0 || len >= 8,
                    }
            }
        };
        if !ok {
            return Err(SettingError::InvalidValue);
        }
        self.values.insert(index, stored);
        Ok(())
    }

    /// Stores a value that is not a listed setting (`ESP_SETUP`).
    pub fn set_raw(&mut self, index: u16, value: &str) {
        self.values.insert(index, value.to_string());
    }

    /// One `[ESP400]` entry: JSON, or `filter/help: value` text.
    pub fn entry(&self, d: &Descriptor, json: bool) -> String {
        let value = self.shown(d);
        if !json {
            return format!("{}/{}: {}\n", d.filter, d.help, value);
        }
        let mut out = format!(
            "{{\"F\":\"{}\",\"P\":\"{}\",\"T\":\"{}\",\"V\":\"{}\",\"H\":\"{}\",\"R\":\"1\"",
            d.filter,
            d.index,
            d.kind.letter(),
            value,
            d.help
        );
        if !d.options.is_empty() {
            let options: Vec<String> = d.options.iter().map(|(l, v)| format!("{{\"{l}\":\"{v}\"}}")).collect();
            out += &format!(",\"O\":[{}]", options.join(","));
        } else if let Some(max) = d.max {
            out += &format!(",\"S\":\"{max}\"");
        }
        if let Some(min) = d.min {
            out += &format!(",\"M\":\"{min}\"");
        }
        if let Some(min2) = d.min2 {
            out += &format!(",\"MS\":\"{min2}\"");
        }
        out + "}"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn descriptor(index: u16) -> &'static Descriptor {
        DESCRIPTORS.iter().find(|d| d.index == index).unwrap()
    }

    #[test]
    fn entries_are_written_as_the_firmware_writes_them() {
        let s = Settings::new(8080, 8282, false);
        assert_eq!(
            s.entry(descriptor(HOSTNAME), true),
            r#"{"F":"network/network","P":"130","T":"S","V":"esp3d","H":"hostname","R":"1","S":"32","M":"1","MS":"1"}"#
        );
        assert_eq!(
            s.entry(descriptor(0), true),
            r#"{"F":"network/network","P":"0","T":"B","V":"1","H":"radio mode","R":"1","O":[{"none":"0"},{"sta":"1"},{"ap":"2"},{"setup":"5"}]}"#
        );
        assert_eq!(
            s.entry(descriptor(STA_PASSWORD), true),
            r#"{"F":"network/sta","P":"34","T":"S","V":"********","H":"pwd","R":"1","S":"64","M":"8","MS":"0"}"#
        );
        assert_eq!(s.entry(descriptor(HTTP_PORT), false), "service/http/port: 8080\n");
        assert_eq!(s.listed().filter(|d| d.filter.starts_with("security")).count(), 0);
        assert_eq!(
            Settings::new(80, 8282, true)
                .listed()
                .filter(|d| d.filter.starts_with("security"))
                .count(),
            4
        );
    }

    #[test]
    fn writes_are_validated_by_type_and_rule() {
        let mut s = Settings::new(8080, 8282, true);
        assert_eq!(s.write(HOSTNAME, Kind::Str, "printer-1"), Ok(()));
        assert_eq!(s.get(HOSTNAME), "printer-1");
        assert_eq!(
            s.write(HOSTNAME, Kind::Str, "bad host"),
            Err(SettingError::InvalidValue)
        );
        assert_eq!(s.write(HOSTNAME, Kind::Byte, "1"), Err(SettingError::InvalidValue));
        assert_eq!(s.write(9999, Kind::Byte, "1"), Err(SettingError::InvalidValue));
        assert_eq!(s.write(HTTP_PORT, Kind::Integer, "0"), Err(SettingError::InvalidValue));
        assert_eq!(s.write(HTTP_PORT, Kind::Integer, "81"), Ok(()));
        assert_eq!(s.write(TARGET_FW, Kind::Byte, "30"), Err(SettingError::InvalidValue));
        assert_eq!(s.write(TARGET_FW, Kind::Byte, "10"), Ok(()));
        assert_eq!(s.write(100, Kind::Ip, "10.0.0.256"), Err(SettingError::InvalidValue));
        assert_eq!(s.write(100, Kind::Ip, "10.0.0.2"), Ok(()));
        assert_eq!(
            s.write(STA_PASSWORD, Kind::Str, "short"),
            Err(SettingError::InvalidValue)
        );
        assert_eq!(s.write(STA_PASSWORD, Kind::Str, ""), Ok(()));
        assert_eq!(s.write(SESSION_TIMEOUT, Kind::Byte, "261"), Ok(()));
        assert_eq!(s.get(SESSION_TIMEOUT), "5");
        assert_eq!(
            s.write(BAUD_RATE, Kind::Integer, "12345"),
            Err(SettingError::InvalidValue)
        );
    }

    #[test]
    fn to_int_reads_like_atol() {
        assert_eq!(
            (to_int(" 42x"), to_int("-7"), to_int("abc"), to_int("")),
            (42, -7, 0, 0)
        );
    }
}
