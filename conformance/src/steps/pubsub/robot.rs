//! Pub/sub robot steps: collecting the periodic topics, cmd_vel streams while device time passes, the simulated
//! robot's state, and a reader too slow to keep up.

use std::time::Duration;

use cucumber::{then, when};
use serde_json::{Value, json};

use crate::steps::pubsub::{PubsubState, ack, publish};
use crate::steps::{Check, MAIN, parse_json};

#[when(regex = r"^I collect what has arrived$")]
async fn collect_main(world: &mut Check) -> Result<(), String> {
    world.state::<PubsubState>().collected = world.pubsub_drain(MAIN).await?;
    Ok(())
}

#[when(regex = r"^I collect what has arrived on connection (\w+)$")]
async fn collect_named(world: &mut Check, name: String) -> Result<(), String> {
    world.state::<PubsubState>().collected = world.pubsub_drain(&name).await?;
    Ok(())
}

/// The collected deliveries on `topic`, in arrival order.
fn collected<'a>(world: &'a Check, topic: &str) -> Vec<&'a Value> {
    world
        .state_ref::<PubsubState>()
        .map_or(&[][..], |state| &state.collected)
        .iter()
        .filter(|m| m["action"] == "message" && m["topic"] == topic)
        .collect()
}

fn times(messages: &[&Value]) -> Result<Vec<u64>, String> {
    messages
        .iter()
        .map(|m| {
            m["data"]["data"]["t"]
                .as_u64()
                .ok_or_else(|| format!("a delivery has no sim time t: {m}"))
        })
        .collect()
}

#[then(regex = r"^nothing was collected$")]
async fn nothing_collected(world: &mut Check) -> Result<(), String> {
    let collected = &world.state::<PubsubState>().collected;
    match collected.first() {
        None => Ok(()),
        Some(first) => Err(format!(
            "{} message(s) arrived, the first: {first}",
            collected.len()
        )),
    }
}

#[then(regex = r#"^the collected "(\w+)" deliveries have t = (\d+) to (\d+) every (\d+) ms$"#)]
async fn collected_schedule(world: &mut Check, topic: String, from: u64, to: u64, period: u64) -> Result<(), String> {
    let got = times(&collected(world, &topic))?;
    let expected: Vec<u64> = (from..=to).step_by(period.max(1) as usize).collect();
    if got == expected {
        Ok(())
    } else {
        Err(format!("{topic} deliveries at t = {got:?}, expected {expected:?}"))
    }
}

#[then(regex = r#"^at least (\d+) "(\w+)" deliveries were collected, (\d+) ms apart$"#)]
async fn collected_period(world: &mut Check, count: usize, topic: String, period: u64) -> Result<(), String> {
    let got = times(&collected(world, &topic))?;
    if got.len() < count {
        return Err(format!(
            "{} {topic} deliveries (t = {got:?}), expected at least {count}",
            got.len()
        ));
    }
    match got.windows(2).find(|w| w[1] != w[0] + period) {
        None => Ok(()),
        Some(w) => Err(format!(
            "{topic} deliveries at t = {} then {}: not {period} ms apart",
            w[0], w[1]
        )),
    }
}

#[then(regex = r#"^the collected "(\w+)" delivery at t = (\d+) has "(\w+)" = (-?[\d.]+) ± ([\d.e-]+)$"#)]
async fn collected_value(
    world: &mut Check,
    topic: String,
    t: u64,
    field: String,
    value: f64,
    tolerance: f64,
) -> Result<(), String> {
    let messages = collected(world, &topic);
    let message = messages
        .iter()
        .find(|m| m["data"]["data"]["t"].as_u64() == Some(t))
        .ok_or_else(|| format!("no {topic} delivery at t = {t} was collected"))?;
    let got = message["data"]["data"][&field]
        .as_f64()
        .ok_or_else(|| format!("{field} is not a number in {message}"))?;
    if (got - value).abs() <= tolerance {
        Ok(())
    } else {
        Err(format!(
            "{topic} at t = {t}: {field} is {got}, expected {value} ± {tolerance}"
        ))
    }
}

#[then(regex = r#"^the collected "(\w+)" data (are exactly|are, apart from t):$"#)]
async fn collected_exactly(
    world: &mut Check,
    topic: String,
    how: String,
    step: &cucumber::gherkin::Step,
) -> Result<(), String> {
    let expected: Vec<Value> = step
        .docstring
        .as_deref()
        .ok_or("the step needs a docstring, one JSON value per line")?
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(parse_json)
        .collect::<Result<_, _>>()?;
    let got: Vec<Value> = collected(world, &topic)
        .into_iter()
        .map(|m| {
            let mut data = m["data"]["data"].clone();
            if how != "are exactly" {
                if let Some(fields) = data.as_object_mut() {
                    fields.shift_remove("t");
                }
            }
            data
        })
        .collect();
    if got == expected {
        Ok(())
    } else {
        let lines = |values: &[Value]| values.iter().map(Value::to_string).collect::<Vec<_>>().join("\n  ");
        Err(format!(
            "{topic} data collected:\n  {}\nexpected:\n  {}",
            lines(&got),
            lines(&expected)
        ))
    }
}

#[then(regex = r#"^every collected "battery" voltage is 10\.5 V \+ 2\.1 V × percentage / 100$"#)]
async fn battery_voltage(world: &mut Check) -> Result<(), String> {
    let messages = collected(world, "battery");
    if messages.is_empty() {
        return Err("no battery delivery was collected".into());
    }
    for message in messages {
        let data = &message["data"]["data"];
        let (Some(percentage), Some(voltage)) = (data["percentage"].as_f64(), data["voltage"].as_f64()) else {
            return Err(format!("a battery delivery without numbers: {message}"));
        };
        let expected = 10.5 + 2.1 * percentage / 100.0;
        if (voltage - expected).abs() > 1e-6 {
            return Err(format!("{percentage} % reads {voltage} V, expected {expected} V"));
        }
    }
    Ok(())
}

/// The simulator's `state` answer for the robot.
async fn robot_state(world: &mut Check) -> Result<Value, String> {
    world.control("pubsub", "state", &json!({})).await
}

#[then(regex = r#"^the simulated robot's "(\w+)" is (-?[\d.]+) ± ([\d.e-]+)$"#)]
async fn state_value(world: &mut Check, field: String, value: f64, tolerance: f64) -> Result<(), String> {
    let state = robot_state(world).await?;
    let got = state[&field]
        .as_f64()
        .ok_or_else(|| format!("the robot's state has no number {field}: {state}"))?;
    if (got - value).abs() <= tolerance {
        Ok(())
    } else {
        Err(format!(
            "the robot's {field} is {got}, expected {value} ± {tolerance} (state {state})"
        ))
    }
}

#[then(regex = r#"^the simulated robot's "(\w+)" stays the same while (\d+) ms of device time pass$"#)]
async fn state_steady(world: &mut Check, field: String, ms: u64) -> Result<(), String> {
    let before = robot_state(world).await?[&field].clone();
    world.pass_time(ms).await?;
    let after = robot_state(world).await?[&field].clone();
    if before == after && before.is_number() {
        Ok(())
    } else {
        Err(format!("the robot's {field} went from {before} to {after}"))
    }
}

#[when(regex = r#"^I keep publishing '(.*)' to "(.*)" every (\d+) ms while (\d+) ms of device time pass$"#)]
async fn keep_publishing(
    world: &mut Check,
    payload: String,
    topic: String,
    every: u64,
    total: u64,
) -> Result<(), String> {
    let payload = parse_json(&payload)?;
    let mut elapsed = 0;
    while elapsed < total {
        world.pubsub_send(MAIN, &publish(&topic, payload.clone())).await?;
        world.pubsub_until(MAIN, &ack("published", &topic)).await?;
        let step = every.min(total - elapsed);
        world.pass_time(step).await?;
        elapsed += step;
    }
    Ok(())
}

#[when(
    regex = r#"^connection (\w+) publishes (\d+) KiB messages to "(.*)" until the server log says "\{(\w+)\} closed: subscriber too slow"$"#
)]
async fn flood(world: &mut Check, name: String, kib: usize, topic: String, slow: String) -> Result<(), String> {
    let label = world
        .state::<PubsubState>()
        .labels
        .get(&slow)
        .cloned()
        .ok_or_else(|| format!("{{{slow}}} was never seen in a server log"))?;
    let wanted = format!("{label} closed: subscriber too slow");
    let payload = json!({"name": "bulk", "type": "understudy-check/bulk", "data": "x".repeat(kib * 1024)});
    let request = publish(&topic, payload).to_string();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let mut sent = 0u64;
    while tokio::time::Instant::now() < deadline {
        world.conn(&name)?.send_text(&request).await?;
        sent += 1;
        loop {
            let message = world.pubsub_next(&name).await?;
            if message == ack("published", &topic) {
                break;
            }
            if message["topic"] == "server_logs" {
                let text = message["data"]["data"]["message"].as_str().unwrap_or_default();
                if text == wanted {
                    // The publish that overflowed the queue is still acked.
                    return world.pubsub_until(&name, &ack("published", &topic)).await;
                }
            }
        }
    }
    Err(format!("{sent} publications later, {wanted:?} was never logged"))
}
