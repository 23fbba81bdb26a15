//! The rules a protocol is checked against, read from `features/<protocol>/RULES.md`: a markdown table
//! whose rows start with a rule id such as `ENDRPI-16`, then the rule, then its source.

use std::path::Path;

/// One rule of one protocol.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    /// The id, also used as a scenario tag (`@ENDRPI-16`).
    pub id: String,
    /// What the rule demands.
    pub text: String,
    /// Where it comes from: the seed document, the real implementation, or "ours".
    pub source: String,
}

/// Every rule of every protocol under `features_dir`, in file order.
pub fn load_all(features_dir: &Path) -> Vec<Rule> {
    let Ok(entries) = std::fs::read_dir(features_dir) else {
        return Vec::new();
    };
    let mut dirs: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs.iter()
        .filter_map(|dir| std::fs::read_to_string(dir.join("RULES.md")).ok())
        .flat_map(|text| parse(&text))
        .collect()
}

/// The rule rows of one RULES.md.
pub fn parse(markdown: &str) -> Vec<Rule> {
    markdown
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.trim().trim_matches('|').split('|').map(str::trim).collect();
            let id = cells.first()?.trim_matches('`');
            is_rule_id(id).then(|| Rule {
                id: id.to_string(),
                text: cells.get(1).unwrap_or(&"").to_string(),
                source: cells.get(2).unwrap_or(&"").to_string(),
            })
        })
        .collect()
}

/// `ABC-12`: upper-case letters (digits after the first), a dash, digits; or a decision `ABC-D3` (a `D`
/// before the digits).
pub fn is_rule_id(text: &str) -> bool {
    match text.split_once('-') {
        Some((prefix, number)) => {
            let number = number.strip_prefix('D').unwrap_or(number);
            prefix.starts_with(|c: char| c.is_ascii_uppercase())
                && prefix.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
                && !number.is_empty()
                && number.chars().all(|c| c.is_ascii_digit())
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rule_rows_and_skips_the_rest() {
        let text = "# Rules\n\n| id | rule | source |\n|---|---|---|\n| ENDRPI-15 | One reply per request | real |\n| `ENDRPI-16` | Envelope | seed |\nprose | not a row\n";
        let rules = parse(text);
        assert_eq!(rules.len(), 2);
        assert_eq!(
            rules[0],
            Rule {
                id: "ENDRPI-15".into(),
                text: "One reply per request".into(),
                source: "real".into()
            }
        );
        assert_eq!(rules[1].id, "ENDRPI-16");
    }

    #[test]
    fn rule_ids() {
        assert!(is_rule_id("ENDRPI-1"));
        assert!(is_rule_id("ESP3D-25"));
        assert!(is_rule_id("ESP3D-D4"));
        assert!(!is_rule_id("ESP3D-D"));
        assert!(!is_rule_id("3D-1"));
        assert!(!is_rule_id("endrpi-1"));
        assert!(!is_rule_id("ENDRPI-"));
        assert!(!is_rule_id("sim-only"));
    }
}
