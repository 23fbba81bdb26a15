//! What a protocol says about its sockets for the AsyncAPI export: servers, channels with their bindings,
//! messages (payloads naming the suite's own schemas), operations with their replies. Filled by each protocol.

use serde_json::{Value, json};

/// A payload part that is the suite's schema `name` (`endrpi/envelope`): the export puts the schema file in.
pub fn suite(name: &str) -> Value {
    json!({ SUITE_KEY: name })
}

/// The key that marks a suite schema inside a payload (see [`suite`]).
pub const SUITE_KEY: &str = "$suite";

/// The WebSocket channel binding (`bindings.ws`): the upgrade's method, its query and headers as schemas.
pub fn ws_binding(query: Option<Value>, headers: Option<Value>) -> Value {
    let mut ws = json!({ "method": "GET", "bindingVersion": "0.1.0" });
    if let Some(query) = query {
        ws["query"] = query;
    }
    if let Some(headers) = headers {
        ws["headers"] = headers;
    }
    json!({ "ws": ws })
}

/// The HTTP operation binding (`bindings.http`) of a request with this method (and query, as a schema).
pub fn http_binding(method: &str, query: Option<Value>) -> Value {
    let mut http = json!({ "method": method, "bindingVersion": "0.3.0" });
    if let Some(query) = query {
        http["query"] = query;
    }
    json!({ "http": http })
}

/// An object schema whose properties are all strings, `required` of them present (a query or headers).
pub fn string_fields(fields: &[(&str, &str)], required: &[&str]) -> Value {
    let properties: serde_json::Map<String, Value> = fields
        .iter()
        .map(|(name, description)| {
            (
                (*name).to_string(),
                json!({"type": "string", "description": description}),
            )
        })
        .collect();
    json!({ "type": "object", "properties": properties, "required": required })
}

/// One protocol's AsyncAPI description: the device is the application the document describes.
#[derive(Clone, Debug)]
pub struct Spec {
    /// The document's title.
    pub title: String,
    /// What the device is and how it talks (markdown); the export appends the rules.
    pub description: String,
    /// Where the device is reached (or, for a device that dials out, the server it dials).
    pub servers: Vec<Server>,
    /// Its sockets and HTTP paths.
    pub channels: Vec<Channel>,
    /// Security schemes by name (AsyncAPI objects), for [`Server::security`].
    pub security_schemes: Vec<(&'static str, Value)>,
}

/// A server of the document: its default host and port, and protocol (`ws`, `wss`, `http`, `tcp`).
#[derive(Clone, Debug)]
pub struct Server {
    /// The server's key.
    pub name: &'static str,
    /// `HOST:PORT` with the device's default port.
    pub host: String,
    /// The protocol, e.g. `ws`.
    pub protocol: &'static str,
    /// What it serves.
    pub description: String,
    /// The security schemes it needs, by name.
    pub security: Vec<&'static str>,
}

impl Server {
    /// A server with no security.
    pub fn new(name: &'static str, host: impl Into<String>, protocol: &'static str, description: &str) -> Server {
        Server {
            name,
            host: host.into(),
            protocol,
            description: description.to_string(),
            security: Vec::new(),
        }
    }

    /// Needing the security scheme `scheme`.
    pub fn secured_by(mut self, scheme: &'static str) -> Server {
        self.security.push(scheme);
        self
    }
}

/// A channel: an address on some servers, its bindings, its messages and the operations on it.
#[derive(Clone, Debug)]
pub struct Channel {
    /// The channel's key.
    pub id: &'static str,
    /// The path (`/ws`).
    pub address: &'static str,
    /// The servers it is on, by name.
    pub servers: Vec<&'static str>,
    /// What it is.
    pub description: String,
    /// Its bindings (see [`ws_binding`]).
    pub bindings: Option<Value>,
    /// The `{name}` parameters of its address, with what each is.
    pub parameters: Vec<(&'static str, &'static str)>,
    /// Every message that travels on it.
    pub messages: Vec<Message>,
    /// What the device does on it.
    pub operations: Vec<Operation>,
}

impl Channel {
    /// A channel at `address` on `servers`.
    pub fn new(id: &'static str, address: &'static str, servers: &[&'static str], description: &str) -> Channel {
        Channel {
            id,
            address,
            servers: servers.to_vec(),
            description: description.to_string(),
            bindings: None,
            parameters: Vec::new(),
            messages: Vec::new(),
            operations: Vec::new(),
        }
    }

    /// With the address parameter `{name}`.
    pub fn parameter(mut self, name: &'static str, description: &'static str) -> Channel {
        self.parameters.push((name, description));
        self
    }

    /// With these bindings.
    pub fn bindings(mut self, bindings: Value) -> Channel {
        self.bindings = Some(bindings);
        self
    }

    /// With this message.
    pub fn message(mut self, message: Message) -> Channel {
        self.messages.push(message);
        self
    }

    /// With this operation.
    pub fn operation(mut self, operation: Operation) -> Channel {
        self.operations.push(operation);
        self
    }
}

/// One kind of message: its payload (suite schemas marked with [`suite`]), the rules that check it, how a
/// reply is matched to its request, and examples taken from the suite's snapshots.
#[derive(Clone, Debug)]
pub struct Message {
    /// The message's key (unique in its document).
    pub id: &'static str,
    /// A short title.
    pub title: String,
    /// More words, if any.
    pub description: String,
    /// The content type when not JSON (`application/octet-stream`, `text/plain`).
    pub content_type: Option<&'static str>,
    /// The payload schema.
    pub payload: Value,
    /// Rules checking it beyond its suite schemas' own `x-rule`.
    pub rules: Vec<&'static str>,
    /// Where the correlation id is (`$message.payload#/id`) and what it means.
    pub correlation: Option<(&'static str, &'static str)>,
    /// Snapshots (`endrpi/read_throttle`) and the JSON pointer of the payload in each (`""`: all of it).
    pub examples: Vec<(&'static str, &'static str)>,
}

impl Message {
    /// A JSON message with this payload.
    pub fn new(id: &'static str, title: &str, payload: Value) -> Message {
        Message {
            id,
            title: title.to_string(),
            description: String::new(),
            content_type: None,
            payload,
            rules: Vec::new(),
            correlation: None,
            examples: Vec::new(),
        }
    }

    /// With a description.
    pub fn describe(mut self, text: &str) -> Message {
        self.description = text.to_string();
        self
    }

    /// Of this content type.
    pub fn content_type(mut self, content_type: &'static str) -> Message {
        self.content_type = Some(content_type);
        self
    }

    /// Checked by these rules too.
    pub fn rules(mut self, rules: &[&'static str]) -> Message {
        self.rules.extend_from_slice(rules);
        self
    }

    /// Matched to its request by the value at `location`.
    pub fn correlated_by(mut self, location: &'static str, description: &'static str) -> Message {
        self.correlation = Some((location, description));
        self
    }

    /// With the payload at `pointer` of the snapshot `snapshot` as an example.
    pub fn example(mut self, snapshot: &'static str, pointer: &'static str) -> Message {
        self.examples.push((snapshot, pointer));
        self
    }
}

/// Whether the device sends or receives an operation's messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// The device sends them.
    Send,
    /// The device receives them.
    Receive,
}

/// What the device does on a channel: sends or receives some of its messages, maybe answering with others.
#[derive(Clone, Debug)]
pub struct Operation {
    /// The operation's key (unique in its document).
    pub id: &'static str,
    /// Send or receive.
    pub action: Action,
    /// What it does.
    pub summary: String,
    /// Its messages, by id (of the same channel).
    pub messages: Vec<&'static str>,
    /// The messages that answer it, by id (of the same channel); empty: no reply.
    pub reply: Vec<&'static str>,
    /// Its bindings (see [`http_binding`]).
    pub bindings: Option<Value>,
}

impl Operation {
    /// The device sends `messages`.
    pub fn send(id: &'static str, summary: &str, messages: &[&'static str]) -> Operation {
        Operation::new(id, Action::Send, summary, messages)
    }

    /// The device receives `messages`.
    pub fn receive(id: &'static str, summary: &str, messages: &[&'static str]) -> Operation {
        Operation::new(id, Action::Receive, summary, messages)
    }

    fn new(id: &'static str, action: Action, summary: &str, messages: &[&'static str]) -> Operation {
        Operation {
            id,
            action,
            summary: summary.to_string(),
            messages: messages.to_vec(),
            reply: Vec::new(),
            bindings: None,
        }
    }

    /// Answered with one of `messages`.
    pub fn reply(mut self, messages: &[&'static str]) -> Operation {
        self.reply = messages.to_vec();
        self
    }

    /// With these bindings.
    pub fn bindings(mut self, bindings: Value) -> Operation {
        self.bindings = Some(bindings);
        self
    }
}
