//! The pub/sub robot's fan-out of one publish (time until every subscriber has it) through the simulator,
//! beside a bare tokio-tungstenite broadcast server, for 10 and 100 subscribers.

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use understudy_benches::bare_broadcast::BareBroadcast;
use understudy_benches::pubsub::{self, Fanout};
use understudy_benches::runtime;
use understudy_sim::serve::pubsub::PubsubTls;

fn bench_pubsub(c: &mut Criterion) {
    let server = runtime(1, "server").expect("server runtime");
    let client = runtime(1, "client").expect("client runtime");
    let (sim, sim_url) = server
        .block_on(pubsub::start_sim(PubsubTls::Plain))
        .expect("simulator starts");
    let bare = server.block_on(BareBroadcast::start()).expect("bare server starts");
    for subscribers in [10, 100] {
        let mut group = c.benchmark_group(format!("pubsub/fanout/{subscribers}"));
        for (name, url, subscribe) in [("sim", sim_url.as_str(), true), ("bare", bare.url(), false)] {
            let mut fanout = client
                .block_on(Fanout::connect(url, subscribers, subscribe))
                .expect("subscribers connect");
            group.bench_function(name, |b| {
                b.iter_custom(|iters| {
                    client.block_on(async {
                        let mut total = Duration::ZERO;
                        for _ in 0..iters {
                            total += fanout.round().await.expect("every subscriber gets the message");
                        }
                        total
                    })
                })
            });
            client.block_on(fanout.close());
        }
        group.finish();
    }
    drop((sim, bare));
    drop(client);
    drop(server);
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2));
    targets = bench_pubsub
}
criterion_main!(benches);
