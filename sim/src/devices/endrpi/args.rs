//! The Endrpi device's command-line flags: its port and the throttle bits it starts with.

use crate::devices::DeviceFlags;
use crate::devices::endrpi::{DEFAULT_PORT, EndrpiOptions};
use crate::serve::SimConfig;

/// Flags of the simulated Pi.
#[derive(Clone, Debug, clap::Args)]
pub struct EndrpiArgs {
    /// Endrpi port (WebSocket at / and the REST API); 0 = any free port.
    #[arg(long, default_value_t = DEFAULT_PORT)]
    pub endrpi_port: u16,
    /// Endrpi: throttle bits set from the start, as vcgencmd get_throttled reports them (e.g. 0x50005).
    #[arg(long, default_value = "0x0", value_parser = parse_hex_u32)]
    pub endrpi_throttle: u32,
}

impl DeviceFlags for EndrpiArgs {
    fn apply(&self, config: &mut SimConfig) {
        config.ports.insert("endrpi".into(), self.endrpi_port);
        config.devices.set(EndrpiOptions {
            throttle: self.endrpi_throttle,
        });
    }
}

fn parse_hex_u32(text: &str) -> Result<u32, String> {
    let digits = text.trim_start_matches("0x").trim_start_matches("0X");
    u32::from_str_radix(digits, 16).map_err(|_| format!("`{text}` is not a hex number such as 0x50005"))
}
