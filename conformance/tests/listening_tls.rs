//! A listening target with TLS (`listen+tls://`): the simulated Obico agent, configured for `https://` and
//! trusting only the checker's certificate, makes its REST calls and opens `wss://.../ws/dev/` on the checker,
//! and the connection scenarios pass over it; the report names the certificate and its fingerprint.

use std::time::Duration;

use understudy_conformance::listen::{ListenIdentity, fingerprint};
use understudy_conformance::runner::{self, RunConfig};
use understudy_conformance::steps::obico::ObicoFlags;
use understudy_sim::devices::obico::ObicoOptions;
use understudy_sim::serve::control::ControlConfig;
use understudy_sim::serve::tls::PemFile;
use understudy_sim::{SimConfig, Simulator};

mod common;

const TOKEN: &str = "tls-listening-token";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simulated_agent_dials_the_checker_over_tls_and_its_scenarios_pass() {
    let made = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string(), "localhost".to_string()]).unwrap();
    let cert = PemFile::write("understudy-listen-tls-cert", &made.cert.pem()).unwrap();
    let key = PemFile::write("understudy-listen-tls-key", &made.signing_key.serialize_pem()).unwrap();
    let listen = common::free_loopback_addr();

    let mut sim_config = SimConfig::for_tests(0);
    sim_config.control = Some(ControlConfig::loopback(0));
    sim_config.only = Some(vec!["obico".into()]);
    let mut agent = ObicoOptions::single(&format!("https://{listen}"), TOKEN);
    agent.ca = Some(cert.path().to_path_buf());
    *sim_config.devices.get_mut::<ObicoOptions>() = agent;
    let sim = Simulator::start(sim_config).await.unwrap();

    let mut config = RunConfig::simulator();
    config.targets.insert("obico".into(), format!("listen+tls://{listen}"));
    config.listen_identity = ListenIdentity {
        cert: Some(cert.path().to_path_buf()),
        key: Some(key.path().to_path_buf()),
    };
    config.options.get_mut::<ObicoFlags>().obico_token = TOKEN.into();
    config.control = sim.control_url().map(str::to_string);
    config.accept_wait = Duration::from_secs(10);
    config.tags = Some("@OBICO-32".into());
    let report = tokio::time::timeout(Duration::from_secs(300), runner::run(config))
        .await
        .expect("the run ends in time")
        .unwrap();
    println!("{}", report.console());
    sim.shutdown().await;

    let (passed, failed, _) = report.counts();
    assert_eq!(failed, 0);
    assert!(passed >= 5, "{passed} passed");
    let line = fingerprint(made.cert.der());
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.contains(&format!("https://{listen}")) && n.contains(&line)),
        "{:?}",
        report.notes
    );
}
