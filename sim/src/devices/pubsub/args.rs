//! Command-line flags of the pub/sub robot (port, TLS, JWT secret) and of `understudy-sim token`, which
//! prints a token the robot accepts.

use std::path::PathBuf;

use crate::devices::DeviceFlags;
use crate::devices::pubsub::{DEFAULT_PORT, DEV_SECRET, PubsubOptions, PubsubTls};
use crate::serve::SimConfig;
use understudy_core::proto::pubsub::auth::{self as jwt_auth, AuthConfig};

/// Flags of the pub/sub robot.
#[derive(Clone, Debug, clap::Args)]
pub struct PubsubArgs {
    /// Pub/sub robot port (wss://HOST:PORT/wss?token=JWT); 0 = any free port.
    #[arg(long, default_value_t = DEFAULT_PORT)]
    pub pubsub_port: u16,
    /// Pub/sub robot: serve plain ws:// instead of wss://.
    #[arg(long, conflicts_with_all = ["tls_cert", "tls_key"])]
    pub pubsub_plain: bool,
    /// TLS certificate chain (PEM) for wss:// endpoints; without it a self-signed certificate for
    /// localhost and 127.0.0.1 is made at start and its file printed as `pubsub-ca PATH`.
    #[arg(long, requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// TLS private key (PEM) that goes with --tls-cert.
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// HS256 secret of the pub/sub robot's tokens. The default is public: use it for development only.
    #[arg(long, default_value = DEV_SECRET)]
    pub jwt_secret: String,
}

impl PubsubArgs {
    /// The device options these flags describe.
    pub fn options(&self) -> PubsubOptions {
        let tls = match (&self.tls_cert, &self.tls_key) {
            _ if self.pubsub_plain => PubsubTls::Plain,
            (Some(cert), Some(key)) => PubsubTls::Files {
                cert: cert.clone(),
                key: key.clone(),
            },
            _ => PubsubTls::SelfSigned,
        };
        PubsubOptions {
            jwt_secret: self.jwt_secret.clone(),
            tls,
        }
    }
}

impl DeviceFlags for PubsubArgs {
    fn apply(&self, config: &mut SimConfig) {
        config.ports.insert("pubsub".into(), self.pubsub_port);
        config.devices.set(self.options());
    }
}

/// Flags of `understudy-sim token`.
#[derive(Clone, Debug, clap::Args)]
pub struct TokenArgs {
    /// How long the token is valid: seconds, or a number with s, m, h or d (e.g. 90, 15m, 1h, 2d).
    #[arg(long, default_value = "1h", value_parser = parse_ttl)]
    pub ttl: u64,
    /// The token's subject (`sub` claim).
    #[arg(long, default_value = "dev")]
    pub sub: String,
    /// HS256 secret; must match the simulator's --jwt-secret. The default is public: development only.
    #[arg(long, default_value = DEV_SECRET)]
    pub jwt_secret: String,
}

impl TokenArgs {
    /// A token issued at Unix time `now_unix_ms`.
    pub fn mint(&self, now_unix_ms: u64) -> String {
        let auth = AuthConfig::new(self.jwt_secret.as_bytes());
        jwt_auth::mint(&auth, &self.sub, self.ttl, now_unix_ms / 1000)
    }
}

/// Parses a lifetime such as `90`, `90s`, `15m`, `1h` or `2d` into seconds (at least 1).
pub fn parse_ttl(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (digits, unit) = match text.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&text[..i], c),
        _ => (text, 's'),
    };
    let factor = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        _ => return Err(format!("`{text}`: the unit must be s, m, h or d")),
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(factor))
        .filter(|&secs| secs > 0)
        .ok_or_else(|| format!("`{text}` is not a lifetime such as 90, 15m, 1h or 2d"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes() {
        assert_eq!(parse_ttl("90"), Ok(90));
        assert_eq!(parse_ttl("90s"), Ok(90));
        assert_eq!(parse_ttl("15m"), Ok(900));
        assert_eq!(parse_ttl("1h"), Ok(3600));
        assert_eq!(parse_ttl("2d"), Ok(172_800));
        for bad in ["", "h", "0", "1w", "-1h", "1.5h", "99999999999999999999d"] {
            assert!(parse_ttl(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn minted_tokens_carry_sub_and_ttl() {
        let args = TokenArgs {
            ttl: 60,
            sub: "robot-app".into(),
            jwt_secret: "s3cret".into(),
        };
        let now = 1_700_000_000;
        let token = args.mint(now * 1000);
        let claims = jwt_auth::validate(Some(&token), &AuthConfig::new("s3cret"), now).unwrap();
        assert_eq!((claims.sub.as_deref(), claims.exp), (Some("robot-app"), now + 60));
        assert!(jwt_auth::validate(Some(&token), &AuthConfig::new(DEV_SECRET), now).is_err());
    }
}
