//! Endrpi round trips through the simulator on loopback, each beside the bare tokio-tungstenite server doing
//! the same parse-and-answer work: latency on one connection, throughput of a fixed batch over 64 connections.

use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use tokio::runtime::Runtime;
use understudy_benches::endrpi::{self, Request, Target};
use understudy_benches::load_client::{self, Client};
use understudy_benches::runtime;

/// Connections in the throughput benches.
const CONNECTIONS: usize = 64;
/// Requests per connection in one throughput iteration.
const PER_CONNECTION: u64 = 32;

fn bench_endrpi(c: &mut Criterion) {
    // Server and client get a runtime each, as two processes on the same machine would.
    let server = runtime(2, "server").expect("server runtime");
    let client = runtime(2, "client").expect("client runtime");
    let targets = server.block_on(endrpi::targets()).expect("targets start");
    for target in targets.list() {
        client.block_on(endrpi::check(target)).expect("target answers");
    }
    for request in endrpi::requests() {
        latency(c, &client, targets.list(), &request);
        throughput(c, &client, targets.list(), &request);
    }
    server.block_on(targets.shutdown());
}

/// One connection, one request at a time: the time of a round trip.
fn latency(c: &mut Criterion, rt: &Runtime, targets: &[Target], request: &Request) {
    let mut group = c.benchmark_group(format!("endrpi/{}/1conn", request.name));
    for target in targets {
        let mut conn = Some(rt.block_on(Client::connect(&target.url)).expect("connect"));
        group.bench_function(target.name, |b| {
            b.iter_custom(|iters| {
                let client = conn.take().expect("the connection is handed back after each run");
                let (client, elapsed) = rt
                    .block_on(load_client::round_trips(client, &request.text, iters))
                    .expect("round trips");
                conn = Some(client);
                elapsed
            })
        });
        if let Some(conn) = conn {
            rt.block_on(conn.close());
        }
    }
    group.finish();
}

/// A fixed batch of requests spread over 64 connections: requests per second.
fn throughput(c: &mut Criterion, rt: &Runtime, targets: &[Target], request: &Request) {
    let mut group = c.benchmark_group(format!("endrpi/{}/{CONNECTIONS}conn", request.name));
    group
        .throughput(Throughput::Elements(CONNECTIONS as u64 * PER_CONNECTION))
        .sampling_mode(SamplingMode::Flat)
        .sample_size(20);
    for target in targets {
        let mut conns = rt
            .block_on(load_client::connect_many(&target.url, CONNECTIONS))
            .expect("connect");
        group.bench_function(target.name, |b| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let start = Instant::now();
                    for _ in 0..iters {
                        let batch = load_client::batch(std::mem::take(&mut conns), &request.text, PER_CONNECTION);
                        conns = batch.await.expect("batch");
                    }
                    start.elapsed()
                })
            })
        });
        rt.block_on(load_client::close_all(conns));
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = bench_endrpi
}
criterion_main!(benches);
