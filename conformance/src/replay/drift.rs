//! How far what a target sent drifts from what was recorded, frame by frame: identical, equal after the
//! protocol's redactions, the same shape (keys and types), different (with the JSON paths that differ),
//! missing or extra. Frames are paired in order by their kind (`action`, `type`, ... or their first word).

use serde::Serialize;
use serde_json::Value;

use super::script::Frame;

/// A frame's verdict, from no drift to the most.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Class {
    /// Byte for byte what was recorded.
    Identical,
    /// Equal once the values that move with time or noise are redacted.
    Redacted,
    /// The same keys and JSON types (the same close code; a binary frame of the same type byte and length).
    Shape,
    /// Something else.
    Different,
    /// Recorded, never received.
    Missing,
    /// Received, never recorded.
    Extra,
}

impl Class {
    /// Every class, in order.
    pub const ALL: [Class; 6] = [
        Class::Identical,
        Class::Redacted,
        Class::Shape,
        Class::Different,
        Class::Missing,
        Class::Extra,
    ];

    /// Its name on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Class::Identical => "identical",
            Class::Redacted => "redacted",
            Class::Shape => "shape",
            Class::Different => "different",
            Class::Missing => "missing",
            Class::Extra => "extra",
        }
    }

    /// Whether this class is drift at all (identical and redacted-equal frames are not).
    pub fn is_drift(self) -> bool {
        self > Class::Redacted
    }

    /// Parses a class name.
    pub fn parse(name: &str) -> Option<Class> {
        Class::ALL.into_iter().find(|c| c.name() == name)
    }
}

/// One difference inside two JSON values: where, and what each side holds there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Difference {
    /// A JSON pointer (`/data/systemOnChip/quantity`); empty for the whole value.
    pub path: String,
    pub recorded: String,
    pub received: String,
}

/// A compared pair (or a lone frame) and its verdict.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub class: Class,
    /// The frame's kind, the key it was paired by.
    pub kind: String,
    pub recorded: Option<String>,
    pub received: Option<String>,
    /// For `shape` and `different`: the paths that differ (at most [`MAX_DIFFERENCES`]).
    pub differences: Vec<Difference>,
}

/// The most differences a verdict lists.
pub const MAX_DIFFERENCES: usize = 16;
/// How far ahead a received frame of the same kind is looked for before a recorded one counts as missing.
const PAIRING_WINDOW: usize = 64;

/// The protocol's redactions: insta-style selectors (`.data.seconds`, `.items[].t`, `.*.t`) whose values
/// are replaced by their placeholder before frames are compared.
pub type Redactions = [(&'static str, &'static str)];

/// A frame as the report shows it: text as is, binary as hex, a close as `close CODE REASON`.
pub fn shown(frame: &Frame) -> String {
    match frame {
        Frame::Text(text) => text.clone(),
        Frame::Binary(bytes) => bytes.iter().map(|b| format!("{b:02x}")).collect(),
        Frame::Close(code, reason) => format!("close {code} {reason}").trim_end().to_string(),
    }
}

/// The kind two frames are paired by: a JSON object's `action`, `type`, `topic`, `event` or `cmd` (else its
/// keys), a text line's first word, a binary frame's first byte, or `close`.
pub fn kind_of(frame: &Frame) -> String {
    match frame {
        Frame::Close(..) => "close".into(),
        Frame::Binary(bytes) => format!("binary {:02x}", bytes.first().copied().unwrap_or(0)),
        Frame::Text(text) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => ["action", "type", "topic", "event", "cmd"]
                .iter()
                .find_map(|key| map.get(*key).and_then(Value::as_str).map(str::to_string))
                .unwrap_or_else(|| map.keys().cloned().collect::<Vec<_>>().join(",")),
            Ok(_) => "json".into(),
            Err(_) => text
                .split(|c: char| c.is_whitespace() || c == ':')
                .next()
                .unwrap_or_default()
                .to_string(),
        },
    }
}

/// Pairs recorded and received frames in order by kind and judges each pair; what is left over is missing
/// or extra.
pub fn compare(recorded: &[Frame], received: &[Frame], redactions: &Redactions) -> Vec<Verdict> {
    let received_kinds: Vec<String> = received.iter().map(kind_of).collect();
    let mut verdicts = Vec::new();
    let mut next = 0;
    for frame in recorded {
        let kind = kind_of(frame);
        let window = next..received.len().min(next + PAIRING_WINDOW);
        match window.clone().find(|&i| received_kinds[i] == kind) {
            Some(i) => {
                for extra in &received[next..i] {
                    verdicts.push(lone(Class::Extra, extra, None));
                }
                verdicts.push(judge(frame, &received[i], kind, redactions));
                next = i + 1;
            }
            None => verdicts.push(lone(Class::Missing, frame, Some(kind))),
        }
    }
    for extra in &received[next..] {
        verdicts.push(lone(Class::Extra, extra, None));
    }
    verdicts
}

fn lone(class: Class, frame: &Frame, kind: Option<String>) -> Verdict {
    let shown = Some(shown(frame));
    Verdict {
        class,
        kind: kind.unwrap_or_else(|| kind_of(frame)),
        recorded: if class == Class::Missing { shown.clone() } else { None },
        received: if class == Class::Extra { shown } else { None },
        differences: Vec::new(),
    }
}

/// Judges one pair of frames of the same kind.
pub fn judge(recorded: &Frame, received: &Frame, kind: String, redactions: &Redactions) -> Verdict {
    let mut verdict = Verdict {
        class: Class::Identical,
        kind,
        recorded: Some(shown(recorded)),
        received: Some(shown(received)),
        differences: Vec::new(),
    };
    if recorded == received {
        return verdict;
    }
    verdict.class = match (recorded, received) {
        (Frame::Text(a), Frame::Text(b)) => {
            match (serde_json::from_str::<Value>(a), serde_json::from_str::<Value>(b)) {
                (Ok(a), Ok(b)) => {
                    let (a, b) = (redact(a, redactions), redact(b, redactions));
                    if a == b {
                        Class::Redacted
                    } else {
                        diff(&a, &b, "", &mut verdict.differences);
                        verdict.differences.truncate(MAX_DIFFERENCES);
                        if same_shape(&a, &b) {
                            Class::Shape
                        } else {
                            Class::Different
                        }
                    }
                }
                _ => Class::Different,
            }
        }
        (Frame::Close(a, _), Frame::Close(b, _)) if a == b => Class::Shape,
        (Frame::Binary(a), Frame::Binary(b)) if a.len() == b.len() && a.first() == b.first() => Class::Shape,
        _ => Class::Different,
    };
    verdict
}

/// `value` with every value a selector names replaced by its placeholder.
pub fn redact(mut value: Value, redactions: &Redactions) -> Value {
    for (selector, placeholder) in redactions {
        let segments = parse_selector(selector);
        replace(&mut value, &segments, placeholder);
    }
    value
}

#[derive(Debug, PartialEq, Eq)]
enum Segment<'a> {
    Key(&'a str),
    AnyKey,
    AnyElement,
}

fn parse_selector(selector: &str) -> Vec<Segment<'_>> {
    let mut segments = Vec::new();
    for part in selector.split('.').filter(|p| !p.is_empty()) {
        let (key, elements) = match part.find("[]") {
            Some(at) => (&part[..at], part[at..].matches("[]").count()),
            None => (part, 0),
        };
        match key {
            "" => {}
            "*" => segments.push(Segment::AnyKey),
            key => segments.push(Segment::Key(key)),
        }
        segments.extend((0..elements).map(|_| Segment::AnyElement));
    }
    segments
}

fn replace(value: &mut Value, segments: &[Segment<'_>], placeholder: &str) {
    let Some((first, rest)) = segments.split_first() else {
        *value = Value::String(placeholder.to_string());
        return;
    };
    match (first, value) {
        (Segment::Key(key), Value::Object(map)) => {
            if let Some(inner) = map.get_mut(*key) {
                replace(inner, rest, placeholder);
            }
        }
        (Segment::AnyKey, Value::Object(map)) => map.values_mut().for_each(|v| replace(v, rest, placeholder)),
        (Segment::AnyElement, Value::Array(items)) => items.iter_mut().for_each(|v| replace(v, rest, placeholder)),
        _ => {}
    }
}

/// Whether two values have the same keys and JSON types all the way down (arrays: element by element when
/// their lengths agree, else by the shapes their elements have).
pub fn same_shape(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len() && a.iter().all(|(k, v)| b.get(k).is_some_and(|w| same_shape(v, w)))
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => a.iter().zip(b).all(|(v, w)| same_shape(v, w)),
        (Value::Array(a), Value::Array(b)) => {
            a.iter().all(|v| b.iter().any(|w| same_shape(v, w))) && b.iter().all(|w| a.iter().any(|v| same_shape(v, w)))
        }
        (Value::Number(a), Value::Number(b)) => a.is_f64() == b.is_f64(),
        _ => std::mem::discriminant(a) == std::mem::discriminant(b),
    }
}

/// Appends every path at which `a` and `b` differ.
fn diff(a: &Value, b: &Value, path: &str, out: &mut Vec<Difference>) {
    if out.len() > MAX_DIFFERENCES {
        return;
    }
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (key, v) in x {
                let inner = format!("{path}/{}", key.replace('~', "~0").replace('/', "~1"));
                match y.get(key) {
                    Some(w) => diff(v, w, &inner, out),
                    None => out.push(difference(&inner, Some(v), None)),
                }
            }
            for (key, w) in y.iter().filter(|(k, _)| !x.contains_key(*k)) {
                let inner = format!("{path}/{}", key.replace('~', "~0").replace('/', "~1"));
                out.push(difference(&inner, None, Some(w)));
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            for i in 0..x.len().max(y.len()) {
                let inner = format!("{path}/{i}");
                match (x.get(i), y.get(i)) {
                    (Some(v), Some(w)) => diff(v, w, &inner, out),
                    (v, w) => out.push(difference(&inner, v, w)),
                }
            }
        }
        _ if a != b => out.push(difference(path, Some(a), Some(b))),
        _ => {}
    }
}

fn difference(path: &str, recorded: Option<&Value>, received: Option<&Value>) -> Difference {
    let shown = |v: Option<&Value>| v.map_or("(absent)".to_string(), Value::to_string);
    Difference {
        path: path.to_string(),
        recorded: shown(recorded),
        received: shown(received),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOISE: &Redactions = &[(".data.systemOnChip.quantity", "[temperature]"), (".items[].t", "[t]")];

    fn text(s: &str) -> Frame {
        Frame::Text(s.to_string())
    }

    fn classes(verdicts: &[Verdict]) -> Vec<Class> {
        verdicts.iter().map(|v| v.class).collect()
    }

    #[test]
    fn each_class_is_told_apart() {
        let recorded = [
            text(r#"{"action":"A","data":{"systemOnChip":{"quantity":44.1}}}"#),
            text(r#"{"action":"B","n":1}"#),
            text(r#"{"action":"C","n":1}"#),
            text(r#"{"action":"D","n":1}"#),
            text(r#"{"action":"E"}"#),
        ];
        let received = [
            text(r#"{"action":"A","data":{"systemOnChip":{"quantity":45.3}}}"#),
            text(r#"{"action":"B","n":2}"#),
            text(r#"{"action":"C","n":"1"}"#),
            text(r#"{"action":"D","n":1}"#),
            text(r#"{"action":"F"}"#),
        ];
        let verdicts = compare(&recorded, &received, NOISE);
        assert_eq!(
            classes(&verdicts),
            [
                Class::Redacted,
                Class::Shape,
                Class::Different,
                Class::Identical,
                Class::Missing,
                Class::Extra
            ]
        );
        assert_eq!(verdicts[1].differences[0].path, "/n");
        assert_eq!(
            (
                verdicts[2].differences[0].recorded.as_str(),
                verdicts[2].differences[0].received.as_str()
            ),
            ("1", "\"1\"")
        );
    }

    #[test]
    fn frames_pair_by_kind_across_an_extra_one() {
        let recorded = [text(r#"{"type":"x"}"#), text(r#"{"type":"y"}"#)];
        let received = [
            text(r#"{"type":"x"}"#),
            text(r#"{"type":"report"}"#),
            text(r#"{"type":"y"}"#),
        ];
        assert_eq!(
            classes(&compare(&recorded, &received, NOISE)),
            [Class::Identical, Class::Extra, Class::Identical]
        );
    }

    #[test]
    fn selectors_reach_into_arrays_and_any_key() {
        let value: Value = serde_json::from_str(r#"{"items":[{"t":1},{"t":2}],"a":{"t":3},"b":{"t":4}}"#).unwrap();
        let out = redact(value, &[(".items[].t", "[t]"), (".*.t", "[any]")]);
        assert_eq!(out["items"][1]["t"], "[t]");
        assert_eq!(out["a"]["t"], "[any]");
        assert_eq!(out["b"]["t"], "[any]");
    }

    #[test]
    fn lines_binary_frames_and_closes_have_kinds_and_shapes() {
        assert_eq!(kind_of(&text("ok T:20.0 /0.0")), "ok");
        assert_eq!(kind_of(&Frame::Binary(vec![0x81, 1])), "binary 81");
        let same_type = judge(
            &Frame::Binary(vec![0x81, 1]),
            &Frame::Binary(vec![0x81, 2]),
            "b".into(),
            NOISE,
        );
        assert_eq!(same_type.class, Class::Shape);
        let close = judge(
            &Frame::Close(1003, "a".into()),
            &Frame::Close(1003, "b".into()),
            "close".into(),
            NOISE,
        );
        assert_eq!(close.class, Class::Shape);
        let other = judge(
            &Frame::Close(1003, "a".into()),
            &Frame::Close(1000, "a".into()),
            "close".into(),
            NOISE,
        );
        assert_eq!(other.class, Class::Different);
        assert!(Class::Shape.is_drift() && !Class::Redacted.is_drift());
    }
}
