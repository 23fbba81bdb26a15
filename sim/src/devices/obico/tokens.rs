//! One auth token per agent: the one given, a pattern with `{n}` (the agent's number, 1..N), or a file
//! with one token a line. Tokens go into HTTP headers, so each must be visible ASCII with no spaces.

use std::path::Path;

/// The tokens of `agents` agents (never printed: errors name the line, not the token).
pub fn resolve(token: Option<&str>, file: Option<&Path>, agents: usize) -> Result<Vec<String>, String> {
    let tokens: Vec<String> = match (token, file) {
        (_, Some(path)) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read the token file {}: {e}", path.display()))?;
            let lines: Vec<String> = text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .take(agents)
                .map(str::to_owned)
                .collect();
            if lines.len() < agents {
                return Err(format!(
                    "the token file {} has {} tokens for {agents} agents",
                    path.display(),
                    lines.len()
                ));
            }
            lines
        }
        (Some(pattern), None) if pattern.contains("{n}") => {
            (1..=agents).map(|n| pattern.replace("{n}", &n.to_string())).collect()
        }
        (Some(token), None) if agents == 1 => vec![token.trim().to_owned()],
        (Some(_), None) => {
            return Err(format!(
                "{agents} agents need {agents} tokens: give a pattern with {{n}} (e.g. tok-{{n}}) or --obico-token-file"
            ));
        }
        (None, None) => return Err("--obico-server needs --obico-token or --obico-token-file".into()),
    };
    for (i, t) in tokens.iter().enumerate() {
        if t.is_empty() || !t.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(format!(
                "the token of agent {} is empty or holds spaces or control characters",
                i + 1
            ));
        }
    }
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_a_pattern_or_a_file() {
        assert_eq!(resolve(Some("abc"), None, 1).unwrap(), ["abc"]);
        assert_eq!(resolve(Some("t-{n}"), None, 3).unwrap(), ["t-1", "t-2", "t-3"]);
        assert!(resolve(Some("same"), None, 2).is_err());
        assert!(resolve(None, None, 1).is_err());
        assert!(resolve(Some("has space"), None, 1).is_err());
        let path = std::env::temp_dir().join(format!("understudy-obico-tokens-{}", std::process::id()));
        std::fs::write(&path, "one\n\n two \nthree\n").unwrap();
        assert_eq!(resolve(None, Some(&path), 2).unwrap(), ["one", "two"]);
        let short = resolve(None, Some(&path), 4).unwrap_err();
        assert!(short.contains("3 tokens for 4 agents"), "{short}");
        std::fs::remove_file(&path).unwrap();
        assert!(resolve(None, Some(&path), 1).is_err());
    }
}
