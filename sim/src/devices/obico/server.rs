//! The Obico server's address as the plugin's `endpoint_prefix` gives it: `http(s)://host[:port][/path]`,
//! the REST paths under it and the socket URL `ws(s)://host[:port][/path]/ws/dev/` derived as the plugin does.

/// A parsed endpoint prefix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerUrl {
    /// `https` (then the socket is `wss`).
    pub tls: bool,
    /// The host as written (an IPv6 literal keeps its brackets).
    pub host: String,
    /// The port (80 / 443 when not written).
    pub port: u16,
    /// The path prefix without a trailing slash (`""` for none).
    pub prefix: String,
    /// The `Host` header value: `host[:port]` as written.
    pub authority: String,
}

impl ServerUrl {
    /// Parses an endpoint prefix; surrounding spaces and trailing slashes are dropped, as the plugin does.
    pub fn parse(text: &str) -> Result<ServerUrl, String> {
        let text = text.trim().trim_end_matches('/');
        let bad = |why: &str| format!("`{text}` is not an Obico server URL such as http://127.0.0.1:3334 ({why})");
        let (tls, rest) = if let Some(rest) = text.strip_prefix("https://") {
            (true, rest)
        } else if let Some(rest) = text.strip_prefix("http://") {
            (false, rest)
        } else {
            return Err(bad("it must start with http:// or https://"));
        };
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        if path.contains(['?', '#']) || authority.contains(['?', '#']) {
            return Err(bad("no query or fragment"));
        }
        if authority.contains('@') {
            return Err(bad("no user name or password in the URL"));
        }
        let (host, port) = match authority.rfind(':') {
            Some(i) if !authority[i..].contains(']') => {
                let port = authority[i + 1..].parse::<u16>().map_err(|_| bad("a bad port"))?;
                (&authority[..i], port)
            }
            _ => (authority, if tls { 443 } else { 80 }),
        };
        if host.is_empty() || (host.starts_with('[') != host.ends_with(']')) {
            return Err(bad("no host"));
        }
        Ok(ServerUrl {
            tls,
            host: host.to_owned(),
            port,
            prefix: path.to_owned(),
            authority: authority.to_owned(),
        })
    }

    /// The path of a REST call (`/api/v1/octo/printer/`) under the prefix.
    pub fn path(&self, path: &str) -> String {
        format!("{}{path}", self.prefix)
    }

    /// The socket's URL: the prefix with `http` turned into `ws`, plus `path`.
    pub fn ws_url(&self, path: &str) -> String {
        let scheme = if self.tls { "wss" } else { "ws" };
        format!("{scheme}://{}{}", self.authority, self.path(path))
    }

    /// The prefix as given (for start lines: it holds no secret).
    pub fn prefix_url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}{}", self.authority, self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_give_rest_paths_and_the_socket_url() {
        let url = ServerUrl::parse(" http://127.0.0.1:3334/ ").unwrap();
        assert_eq!((url.tls, url.host.as_str(), url.port), (false, "127.0.0.1", 3334));
        assert_eq!(url.path("/api/v1/octo/printer/"), "/api/v1/octo/printer/");
        assert_eq!(url.ws_url("/ws/dev/"), "ws://127.0.0.1:3334/ws/dev/");
        let url = ServerUrl::parse("https://obico.example/sub").unwrap();
        assert_eq!(
            (url.tls, url.port, url.authority.as_str()),
            (true, 443, "obico.example")
        );
        assert_eq!(url.ws_url("/ws/dev/"), "wss://obico.example/sub/ws/dev/");
        let url = ServerUrl::parse("http://[::1]:9000").unwrap();
        assert_eq!((url.host.as_str(), url.port), ("[::1]", 9000));
        assert_eq!(ServerUrl::parse("http://[::1]").unwrap().port, 80);
    }

    #[test]
    fn other_urls_are_refused() {
        for bad in [
            "ws://h/",
            "h:80",
            "http://",
            "http://h:x",
            "http://h:99999",
            "http://u:p@h",
            "http://h/?a=1",
            "http://[::1",
        ] {
            assert!(ServerUrl::parse(bad).is_err(), "{bad}");
        }
    }
}
