//! What drift a replay accepts: whole classes (`--allow shape,extra`), and documented deviations from an
//! allow file, one per line: `ENDPOINT KIND CLASS [PATH] # reason` (`*` matches any endpoint or kind, and a
//! kind ending in `*` any kind it begins: `PUT:/pins/*`).

use std::path::Path;

use super::drift::{Class, Verdict};
use crate::error::{Error, Result};

/// One documented deviation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AllowRule {
    endpoint: String,
    kind: String,
    class: Class,
    /// For `shape` and `different`: every differing JSON path must start with this one.
    path: Option<String>,
    reason: String,
}

/// Everything a replay accepts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Allowance {
    classes: Vec<Class>,
    rules: Vec<AllowRule>,
}

impl Allowance {
    /// Accepts every frame of these classes.
    pub fn classes(classes: Vec<Class>) -> Allowance {
        Allowance {
            classes,
            rules: Vec::new(),
        }
    }

    /// Adds the rules of an allow file.
    pub fn load_file(&mut self, path: &Path) -> Result<()> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::SuiteFile {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        self.add_rules(&text).map_err(|reason| Error::SuiteFile {
            path: path.to_path_buf(),
            reason,
        })
    }

    /// Adds rules from allow-file text; a bad line is an error naming its number.
    pub fn add_rules(&mut self, text: &str) -> std::result::Result<(), String> {
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (rule, reason) = line
                .split_once('#')
                .ok_or_else(|| format!("line {}: a deviation needs its reason after `#`", n + 1))?;
            let fields: Vec<&str> = rule.split_whitespace().collect();
            let (endpoint, kind, class, path) = match fields[..] {
                [endpoint, kind, class] => (endpoint, kind, class, None),
                [endpoint, kind, class, path] => (endpoint, kind, class, Some(path.to_string())),
                _ => return Err(format!("line {}: want ENDPOINT KIND CLASS [PATH] # reason", n + 1)),
            };
            let class = Class::parse(class)
                .filter(|c| c.is_drift())
                .ok_or_else(|| format!("line {}: {class} is not shape, different, missing or extra", n + 1))?;
            self.rules.push(AllowRule {
                endpoint: endpoint.to_string(),
                kind: kind.to_string(),
                class,
                path,
                reason: reason.trim().to_string(),
            });
        }
        Ok(())
    }

    /// Why `verdict`, on `endpoint`, is accepted; `None` when it is drift nothing allows (or no drift).
    pub fn allows(&self, endpoint: &str, verdict: &Verdict) -> Option<String> {
        if !verdict.class.is_drift() {
            return None;
        }
        if self.classes.contains(&verdict.class) {
            return Some(format!("--allow {}", verdict.class.name()));
        }
        self.rules
            .iter()
            .find(|rule| rule.covers(endpoint, verdict))
            .map(|rule| rule.reason.clone())
    }
}

impl AllowRule {
    fn covers(&self, endpoint: &str, verdict: &Verdict) -> bool {
        let matches = |pattern: &str, value: &str| match pattern.strip_suffix('*') {
            Some(prefix) => value.starts_with(prefix),
            None => pattern == value,
        };
        matches(&self.endpoint, endpoint)
            && matches(&self.kind, &verdict.kind)
            && self.class == verdict.class
            && match &self.path {
                None => true,
                Some(prefix) => {
                    !verdict.differences.is_empty()
                        && verdict.differences.iter().all(|d| {
                            d.path == *prefix || d.path.starts_with(&format!("{}/", prefix.trim_end_matches('/')))
                        })
                }
            }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::drift::Difference;

    fn verdict(class: Class, kind: &str, paths: &[&str]) -> Verdict {
        Verdict {
            class,
            kind: kind.into(),
            recorded: None,
            received: None,
            differences: paths
                .iter()
                .map(|p| Difference {
                    path: p.to_string(),
                    recorded: "1".into(),
                    received: "2".into(),
                })
                .collect(),
        }
    }

    #[test]
    fn a_rule_covers_only_its_endpoint_kind_class_and_paths() {
        let mut allowance = Allowance::classes(vec![Class::Extra]);
        allowance
            .add_rules("# documented\nendrpi READ_PIN_CONFIGURATIONS different /data # ENDRPI-D3: no GPIO on a PC\n")
            .unwrap();
        let pins = verdict(
            Class::Different,
            "READ_PIN_CONFIGURATIONS",
            &["/data/GPIO2", "/data/GPIO3/state"],
        );
        assert_eq!(
            allowance.allows("endrpi", &pins).as_deref(),
            Some("ENDRPI-D3: no GPIO on a PC")
        );
        assert_eq!(allowance.allows("xarm", &pins), None);
        let outside = verdict(
            Class::Different,
            "READ_PIN_CONFIGURATIONS",
            &["/data/GPIO2", "/success"],
        );
        assert_eq!(allowance.allows("endrpi", &outside), None);
        assert_eq!(
            allowance.allows("endrpi", &verdict(Class::Shape, "READ_PIN_CONFIGURATIONS", &["/data"])),
            None
        );
        assert_eq!(
            allowance.allows("x", &verdict(Class::Extra, "k", &[])).as_deref(),
            Some("--allow extra")
        );
        assert_eq!(allowance.allows("x", &verdict(Class::Redacted, "k", &[])), None);
        allowance
            .add_rules("* PUT:/pins/* shape /body/message # the enum's name")
            .unwrap();
        let put = verdict(Class::Shape, "PUT:/pins/GPIO24", &["/body/message"]);
        assert_eq!(allowance.allows("endrpi", &put).as_deref(), Some("the enum's name"));
        assert_eq!(
            allowance.allows("endrpi", &verdict(Class::Shape, "PUT:/system", &["/body/message"])),
            None
        );
    }

    #[test]
    fn bad_lines_are_named() {
        let mut allowance = Allowance::default();
        assert!(
            allowance
                .add_rules("endrpi X different")
                .unwrap_err()
                .starts_with("line 1")
        );
        assert!(
            allowance
                .add_rules("\nendrpi X identical # no")
                .unwrap_err()
                .starts_with("line 2")
        );
        assert!(allowance.add_rules("endrpi # too few").is_err());
    }
}
