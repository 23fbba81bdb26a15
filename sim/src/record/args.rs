//! The `record` subcommand's flags, and the upstream URL they name (scheme, host and port; the path of each
//! request is the client's own).

use std::net::SocketAddr;
use std::path::PathBuf;

/// Record what a client and a real device say to each other.
#[derive(Clone, Debug, clap::Args)]
pub struct RecordArgs {
    /// The real device (or, with --device-dials, the real server): ws://, wss://, http:// or https://HOST[:PORT].
    #[arg(long)]
    pub upstream: String,
    /// Where the recorder listens; clients (or the device that dials) connect here instead.
    #[arg(long, default_value = "127.0.0.1:0")]
    pub listen: SocketAddr,
    /// The transcript to write (JSON lines, the simulator's `--transcript` format).
    #[arg(long)]
    pub out: PathBuf,
    /// The label of the recorded connections (`NAME/1`, `NAME/http`): the endpoint name a replay maps to a
    /// target, e.g. `endrpi` or `xarm`.
    #[arg(long, default_value = "device")]
    pub name: String,
    /// The device under record is the one that connects (an Obico agent dialling its server through the
    /// recorder): its frames are then recorded as the device's (`out`) and the server's as `in`.
    #[arg(long)]
    pub device_dials: bool,
    /// A PEM file of the certificates a wss:// or https:// upstream must chain to (default: the system's roots).
    #[arg(long)]
    pub upstream_ca: Option<PathBuf>,
}

impl RecordArgs {
    /// Recording `upstream` into `out` with connections labelled `name`, listening on a free loopback port.
    pub fn new(upstream: &str, out: PathBuf, name: &str) -> RecordArgs {
        RecordArgs {
            upstream: upstream.to_string(),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            out,
            name: name.to_string(),
            device_dials: false,
            upstream_ca: None,
        }
    }
}

/// Where the recorder forwards to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Upstream {
    /// Over TLS (`wss://`, `https://`).
    pub tls: bool,
    /// Its host name or address (IPv6 in brackets).
    pub host: String,
    /// Its port (80 or 443 when the URL has none).
    pub port: u16,
}

impl Upstream {
    /// Parses `ws://`, `wss://`, `http://` or `https://HOST[:PORT][/...]`.
    pub fn parse(url: &str) -> Result<Upstream, String> {
        let (tls, rest) = if let Some(rest) = url.strip_prefix("wss://").or_else(|| url.strip_prefix("https://")) {
            (true, rest)
        } else if let Some(rest) = url.strip_prefix("ws://").or_else(|| url.strip_prefix("http://")) {
            (false, rest)
        } else {
            return Err(format!(
                "--upstream {url}: want ws://, wss://, http:// or https://HOST[:PORT]"
            ));
        };
        let authority = rest.split(['/', '?']).next().unwrap_or_default();
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) if !port.contains(']') => {
                let port = port
                    .parse()
                    .map_err(|_| format!("--upstream {url}: {port:?} is not a port"))?;
                (host, port)
            }
            _ => (authority, if tls { 443 } else { 80 }),
        };
        if host.is_empty() {
            return Err(format!("--upstream {url}: no host"));
        }
        Ok(Upstream {
            tls,
            host: host.to_string(),
            port,
        })
    }

    /// `host:port`, as a `Host` header names it.
    pub fn authority(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_urls_parse_with_and_without_ports() {
        let plain = Upstream::parse("ws://127.0.0.1:5000/").unwrap();
        assert_eq!((plain.tls, plain.host.as_str(), plain.port), (false, "127.0.0.1", 5000));
        let tls = Upstream::parse("https://printer.local").unwrap();
        assert_eq!((tls.tls, tls.host.as_str(), tls.port), (true, "printer.local", 443));
        let v6 = Upstream::parse("ws://[::1]:81/ws").unwrap();
        assert_eq!((v6.host.as_str(), v6.port), ("[::1]", 81));
        assert!(Upstream::parse("ftp://x").is_err());
        assert!(Upstream::parse("ws://:80").is_err());
        assert!(Upstream::parse("ws://host:port").is_err());
    }
}
