//! Authentication as the firmware keeps it: levels, the one HTTP session (`ESPSESSIONID` cookie) with its
//! inactivity timeout in sim time, and the remaining time a terminal `PING:<sid>` reports.

use crate::time::SimTime;

/// What a client may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Not logged in.
    Guest,
    /// Logged in as `user`.
    User,
    /// Logged in as `admin`.
    Admin,
}

impl Level {
    /// The name `/login` reports.
    pub fn name(self) -> &'static str {
        match self {
            Level::Guest => "guest",
            Level::User => "user",
            Level::Admin => "admin",
        }
    }
}

/// The login names the firmware knows (`DEFAULT_ADMIN_LOGIN`, `DEFAULT_USER_LOGIN`).
pub const ADMIN_LOGIN: &str = "admin";
/// See [`ADMIN_LOGIN`].
pub const USER_LOGIN: &str = "user";

/// The address a session id is made from: the simulator sees every client as loopback.
const CLIENT_IP: [u8; 4] = [127, 0, 0, 1];

#[derive(Clone, Debug)]
struct Session {
    id: String,
    level: Level,
    last: SimTime,
}

/// The HTTP session (the firmware keeps one: a new login clears the others).
#[derive(Clone, Debug)]
pub struct Sessions {
    timeout_ms: u64,
    current: Option<Session>,
}

/// The session id in a `Cookie` header (`ESPSESSIONID=<id>` up to the next `;`).
pub fn cookie_session(cookie: &str) -> Option<&str> {
    const KEY: &str = "ESPSESSIONID=";
    let start = cookie.find(KEY)? + KEY.len();
    let rest = &cookie[start..];
    Some(rest.split(';').next().unwrap_or(rest))
}

impl Sessions {
    /// No session yet; sessions expire after `timeout_ms` of inactivity (0: never).
    pub fn new(timeout_ms: u64) -> Self {
        Sessions {
            timeout_ms,
            current: None,
        }
    }

    /// The inactivity timeout in milliseconds.
    pub fn timeout_ms(&self) -> u64 {
        self.timeout_ms
    }

    /// Changes the timeout (`[ESP401]P=1040`, `/login?TIMEOUT=`).
    pub fn set_timeout_ms(&mut self, timeout_ms: u64) {
        self.timeout_ms = timeout_ms;
    }

    /// The level of a request carrying `cookie`: an expired session is dropped, a live one is refreshed.
    pub fn level(&mut self, now: SimTime, cookie: Option<&str>) -> Level {
        let Some(sid) = cookie.and_then(cookie_session) else {
            return Level::Guest;
        };
        if self.expired(now) {
            self.current = None;
        }
        match &mut self.current {
            Some(session) if session.id == sid => {
                session.last = now;
                session.level
            }
            _ => Level::Guest,
        }
    }

    /// Milliseconds left before session `sid` times out; 0 for an unknown, empty or expired one.
    pub fn remaining(&self, now: SimTime, sid: &str) -> u64 {
        match &self.current {
            Some(s) if !sid.is_empty() && s.id == sid => self.timeout_ms.saturating_sub(now.saturating_since(s.last)),
            _ => 0,
        }
    }

    /// Opens a session at `level` (closing any other) and returns its id: the client address and the
    /// board's millisecond clock in hex, as the firmware makes it.
    pub fn create(&mut self, now: SimTime, level: Level) -> String {
        let ms = (now.as_millis() as u32).to_le_bytes();
        let id: String = CLIENT_IP.iter().chain(ms.iter()).map(|b| format!("{b:02X}")).collect();
        self.current = Some(Session {
            id: id.clone(),
            level,
            last: now,
        });
        id
    }

    /// Closes the session named by `cookie`, if it is the current one.
    pub fn clear(&mut self, cookie: Option<&str>) {
        let sid = cookie.and_then(cookie_session);
        if self.current.as_ref().is_some_and(|s| Some(s.id.as_str()) == sid) {
            self.current = None;
        }
    }

    fn expired(&self, now: SimTime) -> bool {
        self.timeout_ms != 0
            && self
                .current
                .as_ref()
                .is_some_and(|s| now.saturating_since(s.last) > self.timeout_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(ms: u64) -> SimTime {
        SimTime::from_millis(ms)
    }

    #[test]
    fn cookies_name_the_session() {
        assert_eq!(cookie_session("ESPSESSIONID=ABC"), Some("ABC"));
        assert_eq!(cookie_session("a=1; ESPSESSIONID=ABC; b=2"), Some("ABC"));
        assert_eq!(cookie_session("a=1"), None);
    }

    #[test]
    fn a_session_lives_while_used_and_dies_after_the_timeout() {
        let mut s = Sessions::new(180_000);
        let id = s.create(t(0x0102), Level::Admin);
        assert_eq!(id, "7F00000102010000");
        let cookie = format!("ESPSESSIONID={id}");
        assert_eq!(s.remaining(t(2_000), &id), 180_000 - 1_742);
        assert_eq!(s.level(t(100_000), Some(&cookie)), Level::Admin);
        assert_eq!(s.remaining(t(110_000), &id), 170_000);
        assert_eq!(s.remaining(t(110_000), "none"), 0);
        assert_eq!(s.remaining(t(110_000), ""), 0);
        assert_eq!(s.remaining(t(400_000), &id), 0);
        assert_eq!(s.level(t(400_000), Some(&cookie)), Level::Guest);
        assert_eq!(s.level(t(400_000), None), Level::Guest);
    }

    #[test]
    fn a_new_login_or_a_logout_ends_the_old_session() {
        let mut s = Sessions::new(0);
        let old = s.create(t(1), Level::User);
        let new = s.create(t(2), Level::Admin);
        assert_eq!(s.level(t(3), Some(&format!("ESPSESSIONID={old}"))), Level::Guest);
        assert_eq!(
            s.level(t(10_000_000), Some(&format!("ESPSESSIONID={new}"))),
            Level::Admin
        );
        s.clear(Some(&format!("ESPSESSIONID={new}")));
        assert_eq!(s.level(t(4), Some(&format!("ESPSESSIONID={new}"))), Level::Guest);
    }
}
