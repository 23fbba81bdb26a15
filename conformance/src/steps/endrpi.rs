//! Endrpi steps: connections to the device's socket, requests, and checks of the reply envelope, error
//! texts, each action's data (against its schema and the physical invariants) and pin state.

use std::time::Duration;

use cucumber::{given, then, when};
use serde_json::Value;
use understudy_core::proto::pytime::{round_half_even_centis, timedelta_text};
use understudy_sim::serve::faults::shaper::drop_places;

use crate::client::Frame;
use crate::steps::{Check, MAIN, Protocol, parse_json};

mod asyncapi;

const ENDPOINT: &str = "endrpi";

/// The Endrpi protocol: its steps need nothing of the shared ones.
pub const PROTOCOL: Protocol = Protocol::named(ENDPOINT)
    .with_redactions(REDACTIONS)
    .with_asyncapi(asyncapi::spec);

/// What moves with time or noise in the Pi's answers.
const REDACTIONS: &[(&str, &str)] = &[
        (".data.seconds", "[uptime seconds]"),
        (".data.formatted", "[uptime text]"),
        (".data.systemOnChip.quantity", "[temperature]"),
        (".data.arm.quantity", "[arm clock]"),
        (".data.free.quantity", "[free kB]"),
        (".data.available.quantity", "[available kB]"),
        (".body.seconds", "[uptime seconds]"),
        (".body.formatted", "[uptime text]"),
        (".body.uptime.seconds", "[uptime seconds]"),
        (".body.uptime.formatted", "[uptime text]"),
        (".body.temperature.systemOnChip.quantity", "[temperature]"),
        (".body.frequency.arm.quantity", "[arm clock]"),
        (".body.memory.free.quantity", "[free kB]"),
        (".body.memory.available.quantity", "[available kB]"),
        (".body.systemOnChip.quantity", "[temperature]"),
        (".body.arm.quantity", "[arm clock]"),
        (".body.free.quantity", "[free kB]"),
        (".body.available.quantity", "[available kB]"),
    ];

/// What the Endrpi steps remember within a scenario.
#[derive(Debug, Default)]
struct EndrpiState {
    /// Requests sent without waiting, for the ordering check.
    in_flight: Vec<String>,
}

/// The data schema of each action's successful reply.
fn data_schema(action: &str) -> Option<&'static str> {
    Some(match action {
        "READ_TEMPERATURE" => "endrpi/temperature",
        "READ_THROTTLE" => "endrpi/throttle",
        "READ_UPTIME" => "endrpi/uptime",
        "READ_FREQUENCY" => "endrpi/frequency",
        "READ_MEMORY" => "endrpi/memory",
        "READ_PIN_CONFIGURATIONS" => "endrpi/pin-configuration-map",
        "UPDATE_PIN_CONFIGURATIONS" => "endrpi/update-result",
        _ => return None,
    })
}

#[given(regex = r"^an Endrpi connection$")]
async fn connect(world: &mut Check) -> Result<(), String> {
    open(world, MAIN).await
}

#[given(regex = r"^another Endrpi connection (\w+)$")]
async fn connect_named(world: &mut Check, name: String) -> Result<(), String> {
    open(world, &name).await
}

async fn open(world: &mut Check, name: &str) -> Result<(), String> {
    world.open(ENDPOINT, name, str::to_string).await
}

#[when(regex = r"^I send '(.*)'$")]
async fn send(world: &mut Check, text: String) -> Result<(), String> {
    world.conn(MAIN)?.send_text(&text).await?;
    world.receive(MAIN).await.map(|_| ())
}

#[when(regex = r"^I send '(.*)' and read the reply on connection (\w+)$")]
async fn send_and_read_on(world: &mut Check, text: String, name: String) -> Result<(), String> {
    world.conn(&name)?.send_text(&text).await?;
    world.receive(&name).await.map(|_| ())
}

#[when(regex = r"^I send an empty text frame$")]
async fn send_empty(world: &mut Check) -> Result<(), String> {
    send(world, String::new()).await
}

#[when(regex = r"^I send these requests without waiting:$")]
async fn send_many(world: &mut Check, step: &cucumber::gherkin::Step) -> Result<(), String> {
    let requests: Vec<String> = step
        .docstring
        .as_deref()
        .ok_or("the step needs a docstring, one request per line")?
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    for request in &requests {
        world.conn(MAIN)?.send_text(request).await?;
    }
    world.state::<EndrpiState>().in_flight = requests;
    Ok(())
}

#[then(regex = r"^exactly one reply per request arrives, in request order$")]
async fn replies_in_order(world: &mut Check) -> Result<(), String> {
    let requests = std::mem::take(&mut world.state::<EndrpiState>().in_flight);
    for (index, request) in requests.iter().enumerate() {
        let reply = world.receive(MAIN).await?;
        reply_answers(world, index, request, &reply)?;
    }
    Ok(())
}

#[then(regex = r"^the replies arrive in request order but for one in each run of (\d+), at the places the seed picks for ([\w/-]+)$")]
async fn replies_but_dropped(world: &mut Check, one_in: u64, label: String) -> Result<(), String> {
    let requests = std::mem::take(&mut world.state::<EndrpiState>().in_flight);
    let seed = world.target()?.seed().await?;
    let device = label.split('/').next().unwrap_or_default();
    let places = drop_places(seed, device, &label, one_in, requests.len() as u64);
    let kept = requests
        .iter()
        .enumerate()
        .filter(|(index, _)| !places.contains(&(*index as u64)));
    for (index, request) in kept {
        let reply = world.receive(MAIN).await.map_err(|e| format!("request {index}: {e} (dropped: {places:?})"))?;
        reply_answers(world, index, request, &reply).map_err(|e| format!("{e} (dropped: {places:?})"))?;
    }
    match world.conn(MAIN)?.next_frame(DROPPED_QUIET).await {
        Frame::Timeout => Ok(()),
        other => Err(format!("requests {places:?} should have no reply, but another frame came: {other:?}")),
    }
}

/// How long a scenario waits to be sure that no reply of a dropped frame comes after all.
const DROPPED_QUIET: Duration = Duration::from_millis(300);

/// Whether `reply` answers request `index` (`request`): the same action, and for a pin read the same pins.
fn reply_answers(world: &mut Check, index: usize, request: &str, reply: &str) -> Result<(), String> {
    let reply: Value = parse_json(reply)?;
    world.check_schema("endrpi/envelope", &reply)?;
    let request: Value = parse_json(request)?;
    if reply["action"] != request["action"] {
        return Err(format!(
            "reply {index} is for {} but request {index} was {}",
            reply["action"], request["action"]
        ));
    }
    // Pin reads name their pins: the reply's keys tell the replies apart.
    if let (Some(pins), Some(data)) = (request["params"]["pins"].as_array(), reply["data"].as_object()) {
        let wanted: Vec<&str> = pins.iter().filter_map(Value::as_str).collect();
        let got: Vec<&str> = data.keys().map(String::as_str).collect();
        if wanted != got {
            return Err(format!(
                "reply {index} has pins {got:?}, request {index} asked for {wanted:?}"
            ));
        }
    }
    Ok(())
}

#[then(regex = r"^the reply is exactly '(.*)'$")]
async fn reply_exactly(world: &mut Check, expected: String) -> Result<(), String> {
    let got = world.last_text.get(MAIN).ok_or("no reply was received")?;
    if *got == expected {
        Ok(())
    } else {
        Err(format!("reply\n  got      {got}\n  expected {expected}"))
    }
}

#[then(regex = r#"^the reply is an error for action (null|\w+) with message "(.*)"$"#)]
async fn reply_error(world: &mut Check, action: String, message: String) -> Result<(), String> {
    let reply = envelope(world, MAIN)?;
    let expected_action = if action == "null" {
        Value::Null
    } else {
        Value::String(action)
    };
    if reply["success"] != Value::Bool(false) {
        return Err(format!("expected a failure, got {reply}"));
    }
    if reply["action"] != expected_action {
        return Err(format!(
            "action is {} (expected {expected_action}) in {reply}",
            reply["action"]
        ));
    }
    if reply["error"]["message"] != Value::String(message.clone()) {
        return Err(format!(
            "error message is {} (expected {message:?})",
            reply["error"]["message"]
        ));
    }
    Ok(())
}

#[then(regex = r"^the reply is a success for (\w+)$")]
async fn reply_success(world: &mut Check, action: String) -> Result<(), String> {
    success_on(world, MAIN, &action)
}

#[then(regex = r"^the reply on connection (\w+) is a success for (\w+)$")]
async fn reply_success_on(world: &mut Check, name: String, action: String) -> Result<(), String> {
    success_on(world, &name, &action)
}

fn success_on(world: &Check, name: &str, action: &str) -> Result<(), String> {
    let reply = envelope(world, name)?;
    if reply["success"] != Value::Bool(true) || reply["action"] != Value::String(action.to_string()) {
        return Err(format!("expected a success for {action}, got {reply}"));
    }
    let schema = data_schema(action).ok_or_else(|| format!("{action} is not an Endrpi action"))?;
    world.check_schema(schema, &reply["data"])
}

/// The last reply on `name`, checked against the envelope schema (rule ENDRPI-16).
fn envelope(world: &Check, name: &str) -> Result<Value, String> {
    let reply = world.last_json(name)?;
    world.check_schema("endrpi/envelope", &reply)?;
    Ok(reply)
}

#[then(regex = r"^the reply data is '(.*)'$")]
async fn reply_data(world: &mut Check, expected: String) -> Result<(), String> {
    data_on(world, MAIN, &expected)
}

#[then(regex = r"^the reply data on connection (\w+) is '(.*)'$")]
async fn reply_data_on(world: &mut Check, name: String, expected: String) -> Result<(), String> {
    data_on(world, &name, &expected)
}

fn data_on(world: &Check, name: &str, expected: &str) -> Result<(), String> {
    let reply = envelope(world, name)?;
    let expected = parse_json(expected)?;
    if reply["data"] == expected {
        Ok(())
    } else {
        Err(format!("data is {} (expected {expected})", reply["data"]))
    }
}

#[then(regex = r"^the reply data has exactly the pins (.*)$")]
async fn reply_pins(world: &mut Check, pins: String) -> Result<(), String> {
    let reply = envelope(world, MAIN)?;
    let wanted: Vec<&str> = pins.split(',').map(str::trim).filter(|p| !p.is_empty()).collect();
    let got: Vec<&str> = reply["data"]
        .as_object()
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default();
    if got == wanted {
        Ok(())
    } else {
        Err(format!("pins {got:?}, expected {wanted:?} in this order"))
    }
}

#[then(regex = r#"^pin (\w+) reads io "(\w+)", state ([\d.]+) and pull "(\w+)"$"#)]
async fn pin_reads(world: &mut Check, pin: String, io: String, state: f64, pull: String) -> Result<(), String> {
    let reply = envelope(world, MAIN)?;
    let config = &reply["data"][&pin];
    let ok = config["io"] == Value::String(io.clone())
        && config["state"].as_f64() == Some(state)
        && config["pull"] == Value::String(pull.clone());
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{pin} is {config}, expected io {io}, state {state}, pull {pull}"
        ))
    }
}

#[then(regex = r"^the uptime text is the rounded seconds as a duration$")]
async fn uptime_consistent(world: &mut Check) -> Result<(), String> {
    let reply = envelope(world, MAIN)?;
    let seconds = reply["data"]["seconds"].as_f64().ok_or("seconds is not a number")?;
    let formatted = reply["data"]["formatted"].as_str().ok_or("formatted is not a string")?;
    let centis = (seconds * 100.0).round().max(0.0) as u64;
    let expected = timedelta_text(round_half_even_centis(centis));
    if formatted == expected {
        Ok(())
    } else {
        Err(format!(
            "formatted is {formatted:?}, but {seconds} s rounds (half to even) to {expected:?}"
        ))
    }
}

#[then(regex = r"^the memory reading has free and available within total$")]
async fn memory_consistent(world: &mut Check) -> Result<(), String> {
    let reply = envelope(world, MAIN)?;
    let get = |key: &str| {
        reply["data"][key]["quantity"]
            .as_f64()
            .ok_or(format!("{key} has no quantity"))
    };
    let (total, free, available) = (get("total")?, get("free")?, get("available")?);
    if free <= total && available <= total && free >= 0.0 && available >= 0.0 {
        Ok(())
    } else {
        Err(format!(
            "total {total}, free {free}, available {available}: free and available must be within total"
        ))
    }
}

#[then(regex = r"^the throttle flags are all false$")]
async fn throttle_clear(world: &mut Check) -> Result<(), String> {
    let reply = envelope(world, MAIN)?;
    let flags = reply["data"].as_object().ok_or("data is not an object")?;
    match flags.iter().find(|(_, v)| **v != Value::Bool(false)) {
        None => Ok(()),
        Some((key, value)) => Err(format!("{key} is {value}")),
    }
}
