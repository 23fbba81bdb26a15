//! Builds one AsyncAPI 3.0 document from a protocol's [`Spec`]: the suite's JSON Schemas put in as payloads
//! (written for AsyncAPI's Draft-07-based schema dialect), its RULES.md as descriptions, its snapshots as examples.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use super::spec::{Action, Channel, Message, SUITE_KEY, Spec};
use crate::error::{Error, Result};
use crate::rules::{self, Rule};

/// Where the suite's own files are: the schemas, the features (with each protocol's RULES.md), the snapshots.
#[derive(Clone, Debug)]
pub struct Sources {
    /// `conformance/schemas`.
    pub schemas: PathBuf,
    /// `features`.
    pub features: PathBuf,
    /// `snapshots`.
    pub snapshots: PathBuf,
}

fn unreadable(path: &Path, reason: impl std::fmt::Display) -> Error {
    Error::SuiteFile {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    }
}

impl Sources {
    /// The suite schema `name` (`endrpi/envelope`) as an AsyncAPI schema.
    fn schema(&self, name: &str) -> Result<Value> {
        let path = self.schemas.join(format!("{name}.json"));
        let text = std::fs::read_to_string(&path).map_err(|e| unreadable(&path, e))?;
        let schema: Value = serde_json::from_str(&text).map_err(|e| unreadable(&path, e))?;
        Ok(draft07(schema))
    }

    /// The payload at `pointer` of the snapshot `name` (`endrpi/read_throttle`): the body after insta's
    /// header, as JSON, or the JSON of its last line when a status line comes first (an HTTP answer).
    fn example(&self, name: &str, pointer: &str) -> Result<Value> {
        let path = self.snapshots.join(format!("{name}.snap"));
        let text = std::fs::read_to_string(&path).map_err(|e| unreadable(&path, e))?;
        let body = text
            .splitn(3, "---\n")
            .nth(2)
            .ok_or_else(|| unreadable(&path, "no insta header"))?;
        let parsed = serde_json::from_str::<Value>(body)
            .or_else(|_| serde_json::from_str::<Value>(body.trim_end().lines().last().unwrap_or("")))
            .map_err(|e| unreadable(&path, format!("the snapshot is not JSON: {e}")))?;
        parsed
            .pointer(pointer)
            .cloned()
            .ok_or_else(|| unreadable(&path, format!("nothing at {pointer:?}")))
    }
}

/// A Draft 2020-12 schema in AsyncAPI's dialect (a superset of Draft 07): no `$schema`, and `prefixItems`
/// (with `items` for the rest) written as Draft 07's `items` list (with `additionalItems`).
fn draft07(schema: Value) -> Value {
    match schema {
        Value::Object(map) => {
            let mut out = Map::new();
            let prefix = map.get("prefixItems").cloned();
            for (key, value) in map {
                match key.as_str() {
                    "$schema" | "prefixItems" => {}
                    "items" if prefix.is_some() => {
                        out.insert("additionalItems".into(), draft07(value));
                    }
                    _ => {
                        out.insert(key, draft07(value));
                    }
                }
            }
            if let Some(prefix) = prefix {
                out.insert("items".into(), draft07(prefix));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.into_iter().map(draft07).collect()),
        other => other,
    }
}

/// `payload` with every `{"$suite": NAME}` replaced by that schema, and the names and rules of those put in.
fn resolve(payload: &Value, sources: &Sources, used: &mut Vec<String>, rules: &mut BTreeSet<String>) -> Result<Value> {
    Ok(match payload {
        Value::Object(map) => match map.get(SUITE_KEY).and_then(Value::as_str) {
            Some(name) => {
                let mut schema = sources.schema(name)?;
                if let Some(rule) = schema.get("x-rule").and_then(Value::as_str) {
                    rules.insert(rule.to_string());
                }
                schema["x-schema"] = json!(format!("conformance/schemas/{name}.json"));
                used.push(name.to_string());
                schema
            }
            None => Value::Object(
                map.iter()
                    .map(|(k, v)| -> Result<(String, Value)> { Ok((k.clone(), resolve(v, sources, used, rules)?)) })
                    .collect::<Result<Map<_, _>>>()?,
            ),
        },
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| resolve(v, sources, used, rules))
                .collect::<Result<_>>()?,
        ),
        other => other.clone(),
    })
}

/// `- **ID** (source): text` for each rule, in table order.
fn rule_lines<'a>(ids: impl Iterator<Item = &'a str>, table: &[Rule]) -> String {
    ids.map(|id| match table.iter().find(|r| r.id == id) {
        Some(rule) => format!("- **{id}** ({}): {}", rule.source, rule.text),
        None => format!("- **{id}**"),
    })
    .collect::<Vec<_>>()
    .join("\n")
}

fn message_object(message: &Message, sources: &Sources, table: &[Rule]) -> Result<Value> {
    let mut used = Vec::new();
    let mut rules: BTreeSet<String> = message.rules.iter().map(|r| r.to_string()).collect();
    let payload = resolve(&message.payload, sources, &mut used, &mut rules)?;
    let ordered: Vec<&str> = table
        .iter()
        .map(|r| r.id.as_str())
        .filter(|id| rules.contains(*id))
        .chain(
            rules
                .iter()
                .map(String::as_str)
                .filter(|id| !table.iter().any(|r| r.id == *id)),
        )
        .collect();
    let mut description = message.description.clone();
    if !ordered.is_empty() {
        if !description.is_empty() {
            description.push_str("\n\n");
        }
        description.push_str("Checked by:\n");
        description.push_str(&rule_lines(ordered.iter().copied(), table));
    }
    let mut object = json!({ "name": message.id, "title": message.title });
    if !description.is_empty() {
        object["description"] = json!(description);
    }
    if let Some(content_type) = message.content_type {
        object["contentType"] = json!(content_type);
    }
    if !payload.is_null() {
        object["payload"] = payload;
    }
    if let Some((location, what)) = message.correlation {
        object["correlationId"] = json!({ "description": what, "location": location });
    }
    if !message.examples.is_empty() {
        let examples = message
            .examples
            .iter()
            .map(|&(snapshot, pointer)| -> Result<Value> {
                Ok(json!({
                    "name": snapshot.rsplit('/').next().unwrap_or(snapshot),
                    "summary": format!("snapshots/{snapshot}.snap"),
                    "payload": sources.example(snapshot, pointer)?,
                }))
            })
            .collect::<Result<Vec<_>>>()?;
        object["examples"] = json!(examples);
    }
    object["x-rules"] = json!(ordered);
    Ok(object)
}

fn channel_ref(channel: &Channel, ids: &[&str]) -> Value {
    json!(
        ids.iter()
            .map(|id| json!({ "$ref": format!("#/channels/{}/messages/{id}", channel.id) }))
            .collect::<Vec<_>>()
    )
}

/// The AsyncAPI 3.0 document of the protocol `name` described by `spec`.
pub fn document(name: &str, spec: &Spec, sources: &Sources) -> Result<Value> {
    let table = std::fs::read_to_string(sources.features.join(name).join("RULES.md"))
        .map(|text| rules::parse(&text))
        .unwrap_or_default();
    let description = format!(
        "{}\n\nGenerated by `understudy-check export asyncapi` from the suite's JSON Schemas \
         (`conformance/schemas/{name}/`), rules (`features/{name}/RULES.md`) and snapshots (`snapshots/{name}/`). \
         The device is the application this document describes: `send` is what it sends, `receive` what it \
         receives.\n\nRules:\n{}",
        spec.description,
        rule_lines(table.iter().map(|r| r.id.as_str()), &table)
    );
    let mut servers = Map::new();
    for server in &spec.servers {
        let mut object = json!({
            "host": server.host,
            "protocol": server.protocol,
            "description": server.description,
        });
        if !server.security.is_empty() {
            let refs: Vec<Value> = server
                .security
                .iter()
                .map(|s| json!({ "$ref": format!("#/components/securitySchemes/{s}") }))
                .collect();
            object["security"] = json!(refs);
        }
        servers.insert(server.name.to_string(), object);
    }
    let (mut channels, mut operations, mut messages) = (Map::new(), Map::new(), Map::new());
    for channel in &spec.channels {
        let mut refs = Map::new();
        for message in &channel.messages {
            refs.insert(
                message.id.to_string(),
                json!({ "$ref": format!("#/components/messages/{}", message.id) }),
            );
            messages.insert(message.id.to_string(), message_object(message, sources, &table)?);
        }
        let servers: Vec<Value> = channel
            .servers
            .iter()
            .map(|s| json!({ "$ref": format!("#/servers/{s}") }))
            .collect();
        let mut object = json!({
            "address": channel.address,
            "description": channel.description,
            "servers": servers,
            "messages": refs,
        });
        if let Some(bindings) = &channel.bindings {
            object["bindings"] = bindings.clone();
        }
        if !channel.parameters.is_empty() {
            let parameters: Map<String, Value> = channel
                .parameters
                .iter()
                .map(|(name, what)| ((*name).to_string(), json!({ "description": what })))
                .collect();
            object["parameters"] = Value::Object(parameters);
        }
        channels.insert(channel.id.to_string(), object);
        for operation in &channel.operations {
            let mut object = json!({
                "action": if operation.action == Action::Send { "send" } else { "receive" },
                "channel": { "$ref": format!("#/channels/{}", channel.id) },
                "summary": operation.summary,
                "messages": channel_ref(channel, &operation.messages),
            });
            if !operation.reply.is_empty() {
                object["reply"] = json!({
                    "channel": { "$ref": format!("#/channels/{}", channel.id) },
                    "messages": channel_ref(channel, &operation.reply),
                });
            }
            if let Some(bindings) = &operation.bindings {
                object["bindings"] = bindings.clone();
            }
            operations.insert(operation.id.to_string(), object);
        }
    }
    let mut components = json!({ "messages": messages });
    if !spec.security_schemes.is_empty() {
        let schemes: Map<String, Value> = spec
            .security_schemes
            .iter()
            .map(|(name, scheme)| ((*name).to_string(), scheme.clone()))
            .collect();
        components["securitySchemes"] = Value::Object(schemes);
    }
    Ok(json!({
        "asyncapi": "3.0.0",
        "id": format!("urn:understudy:{name}"),
        "info": {
            "title": spec.title,
            "version": env!("CARGO_PKG_VERSION"),
            "description": description,
        },
        "defaultContentType": "application/json",
        "servers": servers,
        "channels": channels,
        "operations": operations,
        "components": components,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_2020_12_tuple_becomes_a_draft_07_items_list() {
        let schema = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "array",
            "prefixItems": [{"type": "number"}],
            "items": {"type": "string"},
            "properties": {"inner": {"prefixItems": [{"const": 1}]}}
        });
        assert_eq!(
            draft07(schema),
            json!({
                "type": "array",
                "additionalItems": {"type": "string"},
                "properties": {"inner": {"items": [{"const": 1}]}},
                "items": [{"type": "number"}]
            })
        );
    }
}
