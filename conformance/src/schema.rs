//! JSON Schema checks of every message: the schemas live in `conformance/schemas/<protocol>/<kind>.json`
//! (usable by other tools too); a failure names the message, the JSON path and the rule (`x-rule`).

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::error::{Error, Result};

/// Every schema of every protocol, compiled.
pub struct Schemas {
    compiled: BTreeMap<String, (jsonschema::Validator, String)>,
}

impl std::fmt::Debug for Schemas {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.compiled.keys()).finish()
    }
}

/// The schemas directory that ships with the crate.
pub fn default_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/schemas"))
}

impl Schemas {
    /// Loads `dir/<protocol>/<kind>.json` as `<protocol>/<kind>`.
    pub fn load(dir: &Path) -> Result<Schemas> {
        let unreadable = |path: &Path, e: &dyn std::fmt::Display| Error::SuiteFile {
            path: path.to_path_buf(),
            reason: e.to_string(),
        };
        let mut compiled = BTreeMap::new();
        let protocols = std::fs::read_dir(dir).map_err(|e| unreadable(dir, &e))?;
        for protocol in protocols
            .filter_map(std::result::Result::ok)
            .filter(|e| e.path().is_dir())
        {
            let files = std::fs::read_dir(protocol.path()).map_err(|e| unreadable(&protocol.path(), &e))?;
            for file in files.filter_map(std::result::Result::ok).map(|e| e.path()) {
                if file.extension().and_then(|e| e.to_str()) != Some("json") {
                    continue;
                }
                let text = std::fs::read_to_string(&file).map_err(|e| unreadable(&file, &e))?;
                let schema: Value = serde_json::from_str(&text).map_err(|e| unreadable(&file, &e))?;
                let rule = schema.get("x-rule").and_then(Value::as_str).unwrap_or("").to_string();
                let validator = jsonschema::validator_for(&schema).map_err(|e| unreadable(&file, &e))?;
                let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
                let name = format!("{}/{stem}", protocol.file_name().to_string_lossy());
                compiled.insert(name, (validator, rule));
            }
        }
        Ok(Schemas { compiled })
    }

    /// The names of every loaded schema.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.compiled.keys().map(String::as_str)
    }

    /// Checks `message` against the schema `name`; the error names the message, each failing JSON path,
    /// and the rule the schema belongs to.
    pub fn check(&self, name: &str, message: &Value) -> Result<()> {
        let (validator, rule) = self
            .compiled
            .get(name)
            .ok_or_else(|| Error::NoSchema(name.to_string()))?;
        let problems: Vec<String> = validator
            .iter_errors(message)
            .map(|error| {
                let path = error.instance_path().to_string();
                format!("at {}: {error}", if path.is_empty() { "/" } else { path.as_str() })
            })
            .collect();
        if problems.is_empty() {
            return Ok(());
        }
        let rule = if rule.is_empty() {
            String::new()
        } else {
            format!(" (rule {rule})")
        };
        Err(Error::Schema {
            schema: name.to_string(),
            rule,
            problems: problems.join("; "),
            message: message.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_shipped_schema_compiles_and_a_failure_names_path_and_rule() {
        let schemas = Schemas::load(default_dir()).unwrap();
        assert!(schemas.names().any(|n| n == "endrpi/envelope"), "{schemas:?}");
        let bad = json!({"action": "READ_UPTIME", "success": true, "data": null, "error": "oops"});
        let error = schemas.check("endrpi/envelope", &bad).unwrap_err().to_string();
        assert!(error.contains("at /error"), "{error}");
        assert!(error.contains("rule ENDRPI-16"), "{error}");
    }
}
