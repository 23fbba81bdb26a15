//! The suite must be able to fail: an Endrpi built from the seed document alone (error as a plain string, the
//! seed's `GET_TEMPERATURE` accepted) is checked as a physical target, and the rules it breaks must be named.

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;
use understudy_conformance::report::{Outcome, RuleStatus};
use understudy_conformance::runner::{self, RunConfig};
use understudy_sim::{SimConfig, Simulator};

/// Serves a WebSocket that relays to the simulator but answers as the seed document says a device does.
async fn seed_faithful_endrpi(upstream: String) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let upstream = upstream.clone();
            tokio::spawn(async move {
                let Ok(mut client) = tokio_tungstenite::accept_async(stream).await else {
                    return;
                };
                let Ok((mut device, _)) = tokio_tungstenite::connect_async(upstream.as_str()).await else {
                    return;
                };
                while let Some(Ok(Message::Text(request))) = client.next().await {
                    let asked_get = request.contains("\"GET_TEMPERATURE\"");
                    let forwarded = request.replace("\"GET_TEMPERATURE\"", "\"READ_TEMPERATURE\"");
                    if device.send(Message::text(forwarded)).await.is_err() {
                        return;
                    }
                    let Some(Ok(Message::Text(reply))) = device.next().await else {
                        return;
                    };
                    let mut reply: Value = serde_json::from_str(&reply).unwrap_or(Value::Null);
                    if let Some(message) = reply["error"]["message"].as_str().map(str::to_string) {
                        reply["error"] = Value::String(message);
                    }
                    if asked_get {
                        reply["action"] = Value::String("GET_TEMPERATURE".into());
                    }
                    if client.send(Message::text(reply.to_string())).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    format!("ws://{addr}/")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_that_follows_the_seed_instead_of_the_real_server_fails_by_name() {
    let sim = Simulator::start(SimConfig::for_tests(0)).await.unwrap();
    let wrong = seed_faithful_endrpi(sim.url("endrpi").unwrap().to_string()).await;
    let mut config = RunConfig::simulator();
    config.targets.insert("endrpi".into(), wrong);
    config.tags = Some("not @pi-hardware".into());
    let report = runner::run(config).await.unwrap();
    println!("{}", report.console());

    let failed = report.failed_rules();
    for rule in ["ENDRPI-16", "ENDRPI-17", "ENDRPI-18"] {
        assert!(
            failed.contains(&rule.to_string()),
            "{rule} should fail; failed: {failed:?}"
        );
    }
    let status = |id: &str| {
        report
            .rule_statuses()
            .into_iter()
            .find(|(r, _)| r == id)
            .map(|(_, s)| s)
    };
    // What the wrong device gets right still passes: the suite tells the two apart.
    assert_eq!(status("ENDRPI-22"), Some(RuleStatus::Passed));
    assert_eq!(status("ENDRPI-21"), Some(RuleStatus::Passed));
    // The seed's own example is caught with the reason in the report.
    let seed_example = report
        .results
        .iter()
        .find(|r| r.scenario.starts_with("the seed's example name"))
        .expect("the GET_TEMPERATURE example ran");
    assert!(
        matches!(&seed_example.outcome, Outcome::Failed(reason) if reason.contains("GET_TEMPERATURE")),
        "{seed_example:?}"
    );
    // Physical targets never run simulator-only scenarios.
    assert!(
        report
            .results
            .iter()
            .filter(|r| r.tags.iter().any(|t| t == "sim-only"))
            .all(|r| matches!(r.outcome, Outcome::Skipped(_)))
    );
    assert!(report.has_failures());
    sim.shutdown().await;
}
