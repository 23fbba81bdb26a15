//! The facade the serve layer drives: one ESP3D board owning its settings, flash, sessions and both sockets,
//! with the printer seen only as the serial port (bytes to send, bytes it produced) and its SD `Volume`.

use super::auth::{Level, Sessions};
use super::commands::{self, Env, Network};
use super::data::DataSocket;
use super::frame;
use super::params::EspCommand;
use super::serial_lines::SerialLines;
use super::settings::{self, Settings};
use super::terminal::Terminal;
use super::transfer::Transfers;
use super::{Action, ConnectError};
use crate::model::volume::Volume;
use crate::proto::http::HttpResponse;
use crate::time::SimTime;

/// How a board is built (the simulator's flags).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BoardConfig {
    /// The address clients reach the board on (`[ESP800]` `WebSocketIP`, `[ESP111]`).
    pub ip: String,
    /// The HTTP port (default 8080).
    pub http_port: u16,
    /// The terminal socket's port (default HTTP port + 1).
    pub terminal_port: u16,
    /// The data socket's port (default 8282).
    pub data_port: u16,
    /// Whether authentication is on (the firmware's `AUTHENTICATION_FEATURE`).
    pub auth: bool,
    /// The admin password.
    pub admin_password: String,
    /// The user password.
    pub user_password: String,
    /// The session timeout in minutes (0: sessions never time out, and `PING` gets no answer).
    pub session_timeout_min: u8,
    /// The flash's size in bytes (default 1.31 MB, as the dev server reports).
    pub flash_capacity: u64,
    /// The longest name on the flash.
    pub flash_name_max: usize,
    /// Send the data socket's output as text frames (ESP3D-TFT) instead of binary (ESP3D 3.0).
    pub data_text_output: bool,
}

impl Default for BoardConfig {
    fn default() -> Self {
        BoardConfig {
            ip: "127.0.0.1".into(),
            http_port: 8080,
            terminal_port: 8081,
            data_port: 8282,
            auth: false,
            admin_password: "admin".into(),
            user_password: "user".into(),
            session_timeout_min: 3,
            flash_capacity: 1_376_256,
            flash_name_max: 64,
            data_text_output: false,
        }
    }
}

/// An HTTP answer: the response, its extra headers (`Set-Cookie`, `Content-Encoding`, `Cache-Control`) and
/// what the request made the board do on its sockets and serial port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpReply {
    /// The response.
    pub response: HttpResponse,
    /// Headers beyond `Content-Type`.
    pub headers: Vec<(&'static str, String)>,
    /// Socket frames and serial writes, in order.
    pub actions: Vec<Action>,
}

/// One ESP3D board.
#[derive(Clone, Debug)]
pub struct Esp3dBoard {
    pub(super) net: Network,
    pub(super) settings: Settings,
    pub(super) sessions: Option<Sessions>,
    pub(super) flash: Volume,
    pub(super) terminal: Terminal,
    pub(super) data: DataSocket,
    pub(super) transfers: Transfers,
    serial: SerialLines,
    /// The data socket's level (reset to guest when a data client connects, raised by `pwd=`).
    data_level: Level,
    /// The last message processed was an ESP command (its trailing `\r` or `\n` alone is then dropped).
    last_was_esp: bool,
}

impl Esp3dBoard {
    /// A fresh board: default settings, an empty flash, no clients.
    pub fn new(config: &BoardConfig) -> Self {
        let mut settings = Settings::new(config.http_port, config.data_port, config.auth);
        settings.set_raw(settings::ADMIN_PWD, &config.admin_password);
        settings.set_raw(settings::USER_PWD, &config.user_password);
        settings.set_raw(settings::SESSION_TIMEOUT, &config.session_timeout_min.to_string());
        let timeout_ms = u64::from(config.session_timeout_min) * 60_000;
        Esp3dBoard {
            net: Network {
                ip: config.ip.clone(),
                http_port: config.http_port,
                terminal_port: config.terminal_port,
                data_port: config.data_port,
            },
            settings,
            sessions: config.auth.then(|| Sessions::new(timeout_ms)),
            flash: Volume::new(config.flash_capacity, config.flash_name_max),
            terminal: Terminal::default(),
            data: DataSocket::new(config.data_text_output),
            transfers: Transfers::default(),
            serial: SerialLines::default(),
            data_level: if config.auth { Level::Guest } else { Level::Admin },
            last_was_esp: false,
        }
    }

    /// The ESP's flash (where `index.html.gz` is served from).
    pub fn flash(&self) -> &Volume {
        &self.flash
    }

    /// The flash, to seed files.
    pub fn flash_mut(&mut self) -> &mut Volume {
        &mut self.flash
    }

    /// The ports the board's sockets were bound to, for what it reports (`[ESP800]` `WebSocketPort`,
    /// `[ESP111]`, the settings' port entries) when the system chose them.
    pub fn set_ports(&mut self, http: u16, terminal: u16, data: u16) {
        self.net.http_port = http;
        self.net.terminal_port = terminal;
        self.net.data_port = data;
        self.settings.set_raw(settings::HTTP_PORT, &http.to_string());
        self.settings.set_raw(settings::WEBSOCKET_PORT, &data.to_string());
    }

    /// The settings store.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The state an `SR` frame would report now.
    pub fn transfer_state(&self) -> frame::State {
        self.transfers.state()
    }

    /// A terminal client connected; returns its slot and the frames of the connect sequence.
    pub fn terminal_connect(&mut self) -> Result<(u8, Vec<Action>), ConnectError> {
        self.terminal.connect()
    }

    /// A terminal client sent a text frame (binary frames from it are ignored, as the firmware ignores them).
    pub fn terminal_text(&mut self, now: SimTime, slot: u8, text: &str) -> Vec<Action> {
        self.terminal.text(now, slot, text, self.sessions.as_ref())
    }

    /// A terminal client left.
    pub fn terminal_disconnect(&mut self, slot: u8) {
        self.terminal.disconnect(slot);
    }

    /// A data client connected; returns its slot.
    pub fn data_connect(&mut self) -> Result<u8, ConnectError> {
        let slot = self.data.connect()?;
        if self.sessions.is_some() {
            self.data_level = Level::Guest;
        }
        Ok(slot)
    }

    /// A data client left: a transfer it owned is dropped, leaving no file.
    pub fn data_disconnect(&mut self, slot: u8) {
        if self.data.disconnect(slot) {
            self.transfers.disconnect(slot);
        }
    }

    /// A data client sent a frame: a binary transfer frame is answered to it, anything else is G-code input.
    pub fn data_message(
        &mut self,
        now: SimTime,
        slot: u8,
        payload: &[u8],
        binary: bool,
        sd: &mut Volume,
    ) -> Vec<Action> {
        if !self.data.is_connected(slot) {
            return Vec::new();
        }
        if binary && frame::is_transfer_frame(payload) {
            let answers = self.transfers.handle(now, slot, frame::decode(payload), sd);
            return answers
                .into_iter()
                .map(|bytes| Action::DataBinary { slot, bytes })
                .collect();
        }
        let messages = self.data.input(now, payload);
        let mut actions = Vec::new();
        for message in messages {
            actions.extend(self.data_line(now, message, sd));
        }
        actions
    }

    /// Bytes the printer wrote on its serial port, read line by line: an ESP command line (a printer's
    /// `M118 [ESP600]...`) is run and answered on the serial port; any other line goes to the terminal and
    /// data clients' streams.
    pub fn serial_output(&mut self, now: SimTime, bytes: &[u8], sd: &Volume) -> Vec<Action> {
        let mut actions = Vec::new();
        for line in self.serial.push(bytes) {
            if let Some(cmd) = EspCommand::parse(&line) {
                let secure = self.sessions.is_some() && self.settings.get(settings::SECURE_SERIAL) == "1";
                let level = if secure { Level::Guest } else { Level::Admin };
                let (answer, frames) = self.esp_command(&cmd, level, sd);
                actions.extend(frames);
                actions.push(Action::Serial(answer.body.into_bytes()));
                continue;
            }
            actions.extend(self.terminal.stream(now, &line));
            actions.extend(self.data.stream(now, &line));
        }
        actions
    }

    /// Runs the timers due at `now`: stream flushes and the data socket's idle partial line.
    pub fn advance(&mut self, now: SimTime, sd: &mut Volume) -> Vec<Action> {
        let mut actions = self.terminal.poll(now);
        actions.extend(self.data.poll_output(now));
        if let Some(partial) = self.data.poll_input(now) {
            actions.extend(self.data_line(now, partial, sd));
        }
        actions
    }

    /// When [`Esp3dBoard::advance`] next has something to do.
    pub fn next_deadline(&self) -> Option<SimTime> {
        [self.terminal.next_deadline(), self.data.next_deadline()]
            .into_iter()
            .flatten()
            .min()
    }

    /// One message of the data socket's input, processed as the firmware processes it.
    fn data_line(&mut self, now: SimTime, message: Vec<u8>, sd: &mut Volume) -> Vec<Action> {
        let Some(cmd) = EspCommand::parse(&message) else {
            let lone_end = message == b"\n" || message == b"\r";
            let dropped = lone_end && self.last_was_esp;
            self.last_was_esp = false;
            return if dropped {
                Vec::new()
            } else {
                vec![Action::Serial(message)]
            };
        };
        if self.sessions.is_some() {
            let pwd = cmd.param("pwd=");
            if !pwd.is_empty() {
                self.data_level = self.password_level(&pwd);
            }
        }
        let level = self.data_level;
        let (answer, mut actions) = self.esp_command(&cmd, level, sd);
        actions.extend(self.data.stream(now, answer.body.as_bytes()));
        actions
    }

    /// The level a password gives (`getAuthenticatedLevel(pwd)`).
    pub(super) fn password_level(&self, pwd: &str) -> Level {
        if pwd == self.settings.get(settings::ADMIN_PWD) {
            Level::Admin
        } else if pwd == self.settings.get(settings::USER_PWD) {
            Level::User
        } else {
            Level::Guest
        }
    }

    /// Runs an ESP command at `level`; returns its answer and the terminal frames it caused.
    pub(super) fn esp_command(
        &mut self,
        cmd: &EspCommand,
        level: Level,
        sd: &Volume,
    ) -> (commands::Answer, Vec<Action>) {
        self.last_was_esp = true;
        let mut env = Env {
            settings: &mut self.settings,
            sessions: self.sessions.as_mut(),
            level,
            flash: &self.flash,
            sd,
            net: &self.net,
        };
        let answer = commands::execute(cmd, &mut env);
        let actions = answer
            .notification
            .as_deref()
            .map(|m| self.terminal.notification(m))
            .unwrap_or_default();
        (answer, actions)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::esp3d::frame::client;
    use bytes::Bytes;

    fn t(ms: u64) -> SimTime {
        SimTime::from_millis(ms)
    }

    #[test]
    fn data_input_reaches_the_serial_port_and_answers_reach_both_sockets() {
        let mut board = Esp3dBoard::new(&BoardConfig::default());
        let mut sd = Volume::new(1 << 20, 255);
        board.terminal_connect().unwrap();
        let slot = board.data_connect().unwrap();
        assert_eq!(
            board.data_message(t(0), slot, b"M105\nG2", false, &mut sd),
            [Action::Serial(b"M105\n".to_vec())]
        );
        assert_eq!(board.next_deadline(), Some(t(500)));
        assert_eq!(board.advance(t(500), &mut sd), [Action::Serial(b"G2".to_vec())]);
        let out = board.serial_output(t(600), b"ok T:20.0 /0.0 B:20.0 /0.0 @:0 B@:0\r\n", &sd);
        assert!(out.is_empty());
        let line = Bytes::from_static(b"ok T:20.0 /0.0 B:20.0 /0.0 @:0 B@:0\n");
        assert_eq!(
            board.advance(t(1100), &mut sd),
            [
                Action::TerminalBinary {
                    slot: 0,
                    bytes: line.clone()
                },
                Action::DataBinary { slot, bytes: line }
            ]
        );
    }

    #[test]
    fn an_esp_command_from_the_printer_runs_and_answers_on_the_serial_port() {
        let mut board = Esp3dBoard::new(&BoardConfig::default());
        let sd = Volume::new(1 << 20, 255);
        let (slot, _) = board.terminal_connect().unwrap();
        assert_eq!(
            board.serial_output(t(0), b"[ESP600]Layer\\ 3\n", &sd),
            [
                Action::TerminalText {
                    slot,
                    text: "NOTIFICATION:Layer 3".into()
                },
                Action::Serial(b"ok\n".to_vec())
            ]
        );
        assert_eq!(board.next_deadline(), None);
    }

    #[test]
    fn esp_commands_on_the_data_socket_answer_on_its_stream_and_their_line_end_is_dropped() {
        let mut board = Esp3dBoard::new(&BoardConfig::default());
        let mut sd = Volume::new(1 << 20, 255);
        let slot = board.data_connect().unwrap();
        assert!(
            board
                .data_message(t(0), slot, b"[ESP111]\r\n", false, &mut sd)
                .is_empty()
        );
        assert_eq!(
            board.advance(t(500), &mut sd),
            [Action::DataBinary {
                slot,
                bytes: Bytes::from_static(b"127.0.0.1\n")
            }]
        );
        assert_eq!(
            board.data_message(t(600), slot, b"\n", true, &mut sd),
            [Action::Serial(b"\n".to_vec())]
        );
    }

    #[test]
    fn transfer_frames_are_answered_to_their_sender_and_a_disconnect_leaves_no_file() {
        let mut board = Esp3dBoard::new(&BoardConfig::default());
        let mut sd = Volume::new(1 << 20, 255);
        let slot = board.data_connect().unwrap();
        let other = board.data_connect().unwrap();
        assert_eq!(
            board.data_message(t(0), slot, &client::start_upload("/", "a.g", 3), true, &mut sd),
            [Action::DataBinary {
                slot,
                bytes: Bytes::from_static(b"US\x00\x01O")
            }]
        );
        // The same bytes as a text frame are G-code input.
        assert_eq!(
            board.data_message(t(0), other, b"SR\x00\x00", false, &mut sd),
            [
                Action::Serial(b"SR".to_vec()),
                Action::Serial(vec![0]),
                Action::Serial(vec![0])
            ]
        );
        board.data_message(t(1), slot, &client::upload_packet(1, b"ab"), true, &mut sd);
        board.data_disconnect(slot);
        assert_eq!(sd.used(), 0);
        assert_eq!(
            board.data_message(t(2), other, &client::status_request(), true, &mut sd),
            [Action::DataBinary {
                slot: other,
                bytes: Bytes::from_static(b"RS\x00\x01A")
            }]
        );
    }

    #[test]
    fn with_authentication_the_data_socket_needs_a_password() {
        let config = BoardConfig {
            auth: true,
            ..BoardConfig::default()
        };
        let mut board = Esp3dBoard::new(&config);
        let mut sd = Volume::new(1 << 20, 255);
        let slot = board.data_connect().unwrap();
        board.data_message(t(0), slot, b"[ESP111]\n", false, &mut sd);
        board.data_message(t(0), slot, b"[ESP111]pwd=user\n", false, &mut sd);
        let out = board.advance(t(500), &mut sd);
        assert_eq!(
            out,
            [Action::DataBinary {
                slot,
                bytes: Bytes::from_static(b"Wrong authentication level\n127.0.0.1\n")
            }]
        );
    }

    proptest::proptest! {
        #[test]
        fn random_data_frames_never_panic_nor_leave_a_partial_file(
            frames in proptest::collection::vec((proptest::bool::ANY, proptest::collection::vec(proptest::num::u8::ANY, 0..40)), 0..30)
        ) {
            let mut board = Esp3dBoard::new(&BoardConfig::default());
            let mut sd = Volume::new(1 << 16, 64);
            let slot = board.data_connect().unwrap();
            board.data_message(t(0), slot, &client::start_upload("/", "p.g", 64), true, &mut sd);
            for (i, (binary, bytes)) in frames.into_iter().enumerate() {
                board.data_message(t(i as u64 * 100), slot, &bytes, binary, &mut sd);
                board.advance(t(i as u64 * 100 + 50), &mut sd);
                proptest::prop_assert!(sd.files().all(|(_, e)| e.size == 64));
            }
            board.data_disconnect(slot);
            let idle = [frame::State::Ok, frame::State::Abort, frame::State::Error];
            proptest::prop_assert!(idle.contains(&board.transfer_state()));
        }
    }
}
