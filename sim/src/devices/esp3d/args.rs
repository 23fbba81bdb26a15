//! Command-line flags of the ESP3D board: its three ports, authentication (passwords, session timeout),
//! the SD card's capacity and how the data socket sends the printer's answers.

use super::{DATA_ENDPOINT, DATA_PORT, Esp3dOptions, HTTP_ENDPOINT, HTTP_PORT, TERMINAL_ENDPOINT};
use crate::devices::DeviceFlags;
use crate::serve::SimConfig;

/// Flags of the ESP3D board and its printer.
#[derive(Clone, Debug, clap::Args)]
pub struct Esp3dArgs {
    /// ESP3D HTTP port (/command, /files, /sdfiles, the WebUI at /); 0 = any free port.
    #[arg(long, default_value_t = HTTP_PORT)]
    pub esp3d_http_port: u16,
    /// ESP3D terminal WebSocket port (webui-v3); default: the HTTP port + 1.
    #[arg(long)]
    pub esp3d_terminal_port: Option<u16>,
    /// ESP3D data WebSocket port (arduino: G-code and transfer frames); 0 = any free port.
    #[arg(long, default_value_t = DATA_PORT)]
    pub esp3d_data_port: u16,
    /// ESP3D: turn authentication on (/login, the ESPSESSIONID cookie, PING answers).
    #[arg(long)]
    pub esp3d_auth: bool,
    /// ESP3D admin password (with --esp3d-auth).
    #[arg(long, default_value = "admin")]
    pub esp3d_admin_password: String,
    /// ESP3D user password (with --esp3d-auth).
    #[arg(long, default_value = "user")]
    pub esp3d_user_password: String,
    /// ESP3D session timeout in minutes (0 = sessions never expire).
    #[arg(long, default_value_t = 3)]
    pub esp3d_session_timeout: u8,
    /// The printer's SD card capacity: bytes, or a number with K, M or G (e.g. 64M).
    #[arg(long, default_value = "64M", value_parser = parse_size)]
    pub esp3d_sd_capacity: u64,
    /// ESP3D: send the printer's answers to data clients as text frames (ESP3D-TFT) instead of binary.
    #[arg(long)]
    pub esp3d_data_text: bool,
}

impl DeviceFlags for Esp3dArgs {
    fn apply(&self, config: &mut SimConfig) {
        config.ports.insert(HTTP_ENDPOINT.into(), self.esp3d_http_port);
        config.ports.insert(TERMINAL_ENDPOINT.into(), self.terminal_port());
        config.ports.insert(DATA_ENDPOINT.into(), self.esp3d_data_port);
        config.devices.set(self.options());
    }
}

impl Esp3dArgs {
    /// The terminal port: as given, else the HTTP port + 1 (any free port when the HTTP port is 0).
    pub fn terminal_port(&self) -> u16 {
        self.esp3d_terminal_port.unwrap_or(match self.esp3d_http_port {
            0 => 0,
            port => port.saturating_add(1),
        })
    }

    /// The device options these flags describe.
    pub fn options(&self) -> Esp3dOptions {
        Esp3dOptions {
            auth: self.esp3d_auth,
            admin_password: self.esp3d_admin_password.clone(),
            user_password: self.esp3d_user_password.clone(),
            session_timeout_min: self.esp3d_session_timeout,
            sd_capacity: self.esp3d_sd_capacity,
            data_text: self.esp3d_data_text,
        }
    }
}

/// Parses `65536`, `64K`, `64M` or `1G` (binary multiples) into bytes.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (digits, factor) = match text.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let factor = match c.to_ascii_uppercase() {
                'K' => 1 << 10,
                'M' => 1 << 20,
                'G' => 1 << 30,
                _ => return Err(format!("`{text}`: the unit must be K, M or G")),
            };
            (&text[..i], factor)
        }
        _ => (text, 1),
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(factor))
        .filter(|&n| n > 0)
        .ok_or_else(|| format!("`{text}` is not a size such as 64M"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_take_binary_units() {
        assert_eq!(parse_size("64M"), Ok(64 << 20));
        assert_eq!(parse_size("512k"), Ok(512 << 10));
        assert_eq!(parse_size("1000"), Ok(1000));
        for bad in ["", "0", "M", "12X", "-1"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }
}
