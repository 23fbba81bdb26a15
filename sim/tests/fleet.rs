//! A small fleet in one process (Endrpi and xArm on 127.16.x/127.17.x addresses, or on a port range): each
//! device answers on its own address with its own state and certificate, the map lists them, a control route
//! reaches one device or the kind, and shards partition the fleet the same way on every run.

mod common;

use std::collections::BTreeSet;

use serde_json::{Value, json};
use understudy_sim::fleet::{Addressing, DEFAULT_NET, FleetConfig, Shard};
use understudy_sim::serve::pubsub::{PubsubOptions, PubsubTls};
use understudy_sim::{SimConfig, Simulator};

/// Which of 3 shards runs endrpi-1, -2 and -3.
const PINNED_ENDRPI_SHARDS_OF_3: [u32; 3] = [1, 2, 1];
const SET_GPIO17: &str =
    r#"{"action":"UPDATE_PIN_CONFIGURATIONS","params":{"pins":{"GPIO17":{"io":"OUTPUT","state":1}}}}"#;
const READ_GPIO17: &str = r#"{"action":"READ_PIN_CONFIGURATIONS","params":{"pins":["GPIO17"]}}"#;

fn fleet_config(addressing: Addressing, shard: Shard) -> SimConfig {
    SimConfig {
        fleet: Some(FleetConfig {
            counts: vec![("endrpi", 3), ("xarm", 2)],
            addressing,
        }),
        shard,
        ..SimConfig::for_tests(11)
    }
}

/// The GPIO17 state device `url` reports.
async fn gpio17(url: &str) -> Value {
    let mut client = common::connect(url).await;
    let reply: Value = serde_json::from_str(&common::ask(&mut client, READ_GPIO17).await).unwrap();
    reply["data"]["GPIO17"]["state"].clone()
}

#[tokio::test]
async fn each_device_answers_on_its_own_address_with_its_own_state() {
    let map_file = std::env::temp_dir().join(format!("understudy-fleet-map-{}.json", std::process::id()));
    let config = SimConfig {
        fleet_map: Some(map_file.clone()),
        ..fleet_config(Addressing::Net(DEFAULT_NET), Shard::ALL)
    };
    let sim = Simulator::start(config).await.unwrap();
    let urls: Vec<String> = (1..=3)
        .map(|i| sim.url(&format!("endrpi-{i}")).unwrap().to_string())
        .collect();
    for (i, url) in urls.iter().enumerate() {
        assert!(url.starts_with(&format!("ws://127.16.0.{}:", i + 1)), "{url}");
    }
    assert!(sim.url("xarm-2").unwrap().starts_with("ws://127.17.0.2:"));
    assert!(sim.url("endrpi").is_none(), "no single Endrpi runs beside the fleet");

    let mut second = common::connect(&urls[1]).await;
    common::ask(&mut second, SET_GPIO17).await;
    assert_eq!(gpio17(&urls[1]).await, json!(1.0));
    assert_eq!(
        gpio17(&urls[0]).await,
        json!(0.0),
        "a pin set on endrpi-2 does not show on endrpi-1"
    );
    assert_eq!(gpio17(&urls[2]).await, json!(0.0));

    let map: Value = serde_json::from_str(&std::fs::read_to_string(&map_file).unwrap()).unwrap();
    std::fs::remove_file(&map_file).unwrap();
    assert_eq!(map, sim.fleet_map());
    assert_eq!(map["shard"], json!({ "index": 0, "count": 1 }));
    let devices = map["devices"].as_array().unwrap();
    let labels: Vec<&str> = devices.iter().map(|d| d["label"].as_str().unwrap()).collect();
    assert_eq!(labels, ["endrpi-1", "endrpi-2", "endrpi-3", "xarm-1", "xarm-2"]);
    assert_eq!(devices[1]["kind"], "endrpi");
    assert_eq!(devices[1]["index"], 2);
    assert_eq!(devices[1]["control"], "/devices/endrpi/2");
    assert_eq!(devices[1]["urls"]["endrpi"], urls[1].as_str());
    assert_eq!(devices[1]["seed"], understudy_sim::fleet::seed_of(11, "endrpi", 2));
    let xarm = devices[4]["urls"].as_object().unwrap();
    assert!(xarm.contains_key("xarm") && xarm.contains_key("xarm-tcp"), "{xarm:?}");
    assert!(
        xarm.values().all(|u| u.as_str().unwrap().contains("127.17.0.2:")),
        "{xarm:?}"
    );
    let seeds: BTreeSet<u64> = devices.iter().map(|d| d["seed"].as_u64().unwrap()).collect();
    assert_eq!(seeds.len(), 5, "every device has a seed of its own");
    sim.shutdown().await;
}

#[tokio::test]
async fn a_control_command_reaches_one_device_or_every_device_of_the_kind() {
    let sim = Simulator::start(fleet_config(Addressing::Net(DEFAULT_NET), Shard::ALL))
        .await
        .unwrap();
    let answer = sim
        .control_member("endrpi", 2, "throttle", &json!({ "bits": "0x50005" }))
        .unwrap();
    assert_eq!(answer["throttled"], "0x50005");
    // Read back through each device's own socket: the bits are set on endrpi-2 only.
    let read = |url: String| async move {
        let mut client = common::connect(&url).await;
        let reply: Value =
            serde_json::from_str(&common::ask(&mut client, r#"{"action":"READ_THROTTLE"}"#).await).unwrap();
        reply["data"].clone()
    };
    let on_two = read(sim.url("endrpi-2").unwrap().to_string()).await;
    let on_one = read(sim.url("endrpi-1").unwrap().to_string()).await;
    assert_ne!(on_two, on_one, "{on_two} vs {on_one}");
    let all = sim.control("endrpi", "throttle", &json!({ "bits": 4 })).unwrap();
    assert_eq!(all["kind"], "endrpi");
    assert_eq!(all["devices"].as_object().map(|d| d.len()), Some(3), "{all}");
    assert_eq!(
        all["devices"]["endrpi-3"]["throttled"], "0x40004",
        "the occurred bit is set with it"
    );
    assert!(
        sim.control_member("endrpi", 4, "throttle", &json!({ "bits": 4 }))
            .is_err()
    );
    assert!(sim.control("endrpi", "throttle", &json!({ "bits": "zz" })).is_err());
    sim.shutdown().await;
}

#[tokio::test]
async fn shards_partition_the_fleet_and_give_each_device_the_same_address_and_seed() {
    let whole = Simulator::start(fleet_config(Addressing::Net(DEFAULT_NET), Shard::ALL))
        .await
        .unwrap();
    let everything = whole.fleet_map()["devices"].as_array().unwrap().clone();
    whole.shutdown().await;
    let mut seen: Vec<Value> = Vec::new();
    for index in 0..3 {
        let shard = Shard { index, count: 3 };
        let sim = Simulator::start(fleet_config(Addressing::Net(DEFAULT_NET), shard))
            .await
            .unwrap();
        let map = sim.fleet_map();
        assert_eq!(map["shard"]["count"], 3);
        seen.extend(map["devices"].as_array().unwrap().iter().cloned());
        sim.shutdown().await;
    }
    let key = |d: &Value| (d["kind"].as_str().unwrap().to_string(), d["index"].as_u64().unwrap());
    let mut seen_keys: Vec<_> = seen.iter().map(key).collect();
    seen_keys.sort();
    let mut all_keys: Vec<_> = everything.iter().map(key).collect();
    all_keys.sort();
    assert_eq!(seen_keys, all_keys, "every device runs in exactly one shard");
    for device in &everything {
        let twin = seen.iter().find(|d| key(d) == key(device)).unwrap();
        assert_eq!((&twin["seed"], &twin["label"]), (&device["seed"], &device["label"]));
    }
    // The rule is pinned: a device's shard never changes between runs or releases.
    let rule: Vec<u32> = (1..=3)
        .map(|i| understudy_core::fleet::shard_of("endrpi", i, 3))
        .collect();
    assert_eq!(rule, PINNED_ENDRPI_SHARDS_OF_3);
}

#[tokio::test]
async fn on_a_port_range_each_device_has_its_own_port_by_the_documented_rule() {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = probe.local_addr().unwrap().port().saturating_sub(2000).max(20_000);
    drop(probe);
    let sim = match Simulator::start(fleet_config(Addressing::Ports(base), Shard::ALL)).await {
        Ok(sim) => sim,
        // Another process holds a port of the range: the rule is still checked by the unit tests.
        Err(understudy_sim::SimError::Bind { .. }) => return,
        Err(other) => panic!("{other}"),
    };
    let port = |label: &str| sim.endpoints().iter().find(|e| e.label == label).unwrap().addr.port();
    assert_eq!(port("endrpi-1"), base);
    assert_eq!(port("endrpi-3"), base + 2);
    assert_eq!(port("xarm-1"), base + 3);
    let xarm_width = sim.endpoints().iter().filter(|e| e.device == "xarm-1").count() as u16;
    assert_eq!(port("xarm-2"), base + 3 + xarm_width);
    let url = sim.url("endrpi-2").unwrap().to_string();
    let mut client = common::connect(&url).await;
    common::ask(&mut client, SET_GPIO17).await;
    assert_eq!(gpio17(&url).await, json!(1.0));
    assert_eq!(gpio17(sim.url("endrpi-3").unwrap()).await, json!(0.0));
    sim.shutdown().await;
}

#[tokio::test]
async fn a_fleet_robot_certificate_names_its_own_address() {
    let mut config = SimConfig {
        fleet: Some(FleetConfig {
            counts: vec![("pubsub", 2)],
            addressing: Addressing::Net(DEFAULT_NET),
        }),
        ..SimConfig::for_tests(11)
    };
    config.devices.get_mut::<PubsubOptions>().tls = PubsubTls::SelfSigned;
    let sim = Simulator::start(config).await.unwrap();
    let announced = |key: &str| {
        sim.announcements()
            .into_iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v)
            .unwrap_or_else(|| panic!("no {key} announced"))
    };
    let url = sim.url("pubsub-2").unwrap().to_string();
    let authority = url.trim_start_matches("wss://").split('/').next().unwrap();
    let addr: std::net::SocketAddr = authority.parse().unwrap();
    assert_eq!(addr.ip().to_string(), "127.18.0.2", "{url}");
    let host = rustls::pki_types::ServerName::IpAddress(addr.ip().into());
    let own = common::tls_connector(&announced("pubsub-ca-2"));
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    own.connect(host.clone(), tcp)
        .await
        .expect("the robot's certificate names its fleet address");
    // The other robot's certificate is another one: trusting it does not trust this robot.
    let other = common::tls_connector(&announced("pubsub-ca-1"));
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    assert!(
        other.connect(host, tcp).await.is_err(),
        "each robot has its own certificate"
    );
    sim.shutdown().await;
}
