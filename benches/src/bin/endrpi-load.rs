//! `endrpi-load`: runs the Endrpi comparison (simulator vs a bare tokio-tungstenite server, on loopback; or the
//! cost of recording, `--against transcript|proxy`) for a few seconds and prints latency, throughput and ratios.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use tokio_tungstenite::tungstenite::Utf8Bytes;
use understudy_benches::endrpi::{self, Target};
use understudy_benches::load_client::{self, Client};
use understudy_benches::pair::{Comparison, Targets};
use understudy_benches::stats::{percentile, rate};
use understudy_benches::{Error, cpu, runtime};

/// Compares the simulator's Endrpi endpoint with a bare tokio-tungstenite server doing the same work.
#[derive(Parser, Debug)]
#[command(name = "endrpi-load")]
struct Args {
    /// Seconds each target is measured for, per measurement (after a warm-up of a quarter of that).
    #[arg(long, default_value_t = 0.6)]
    seconds: f64,
    /// Slices each measurement is cut into; the targets take turns slice by slice, so that a burst of
    /// other load on the machine falls on both.
    #[arg(long, default_value_t = 12)]
    rounds: u32,
    /// Connections in the throughput measurement.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Worker threads of the servers' runtime.
    #[arg(long, default_value_t = 2)]
    server_threads: usize,
    /// Worker threads of the load client's runtime.
    #[arg(long, default_value_t = 2)]
    client_threads: usize,
    /// What the simulator is compared with: the bare server; or the simulator writing a transcript (first)
    /// against one writing none; or the simulator through the recording proxy (first) against it directly.
    #[arg(long, value_enum, default_value_t = Comparison::Bare)]
    against: Comparison,
}

/// One measured cell of the table, for both targets: `[sim, bare]`.
struct Row {
    request: &'static str,
    measure: String,
    values: [f64; 2],
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(rows) => {
            print_table(&args, &rows);
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("endrpi-load: {error}");
            ExitCode::FAILURE
        }
    }
}

/// The name of the servers' runtime threads, whose CPU time is read.
const SERVER_THREADS: &str = "server";

/// How a measurement is cut up: `turns` slices of `slice` per target, after a warm-up of `warm_up` each.
#[derive(Clone, Copy)]
struct Plan {
    turns: u32,
    slice: Duration,
    warm_up: Duration,
}

impl Plan {
    fn new(args: &Args) -> Plan {
        let turns = args.rounds.clamp(1, 10_000);
        let total = Duration::from_secs_f64(args.seconds.clamp(0.01, 60.0));
        Plan {
            turns,
            slice: total / turns,
            warm_up: total / 4,
        }
    }

    /// Which target goes first in turn `turn`: alternating, so neither always runs on a warmer machine.
    fn order(turn: u32) -> [usize; 2] {
        if turn % 2 == 0 { [0, 1] } else { [1, 0] }
    }
}

fn run(args: &Args) -> Result<Vec<Row>, Error> {
    let plan = Plan::new(args);
    let server = runtime(args.server_threads, SERVER_THREADS)?;
    let client = runtime(args.client_threads, "client")?;
    let targets = match args.against {
        Comparison::Bare => server.block_on(endrpi::targets())?,
        other => server.block_on(Targets::recording_cost("endrpi", "endrpi", other))?,
    };
    let rows = client.block_on(async {
        for target in targets.list() {
            endrpi::check(target).await?;
        }
        let mut rows = Vec::new();
        for request in endrpi::requests() {
            rows.extend(latency_rows(targets.list(), &request.text, request.name, plan).await?);
            rows.extend(throughput_rows(targets.list(), &request.text, request.name, args.connections, plan).await?);
        }
        Ok::<_, Error>(rows)
    });
    server.block_on(targets.shutdown());
    rows
}

async fn latency_rows(
    targets: &[Target; 2],
    request: &Utf8Bytes,
    name: &'static str,
    plan: Plan,
) -> Result<[Row; 2], Error> {
    let mut clients = Vec::with_capacity(2);
    for target in targets {
        let client = Client::connect(&target.url).await?;
        clients.push(Some(load_client::latencies(client, request, plan.warm_up).await?.0));
    }
    let mut samples: [Vec<Duration>; 2] = Default::default();
    for turn in 0..plan.turns {
        for i in Plan::order(turn) {
            let Some(client) = clients[i].take() else { continue };
            let (client, slice) = load_client::latencies(client, request, plan.slice).await?;
            samples[i].extend(slice);
            clients[i] = Some(client);
        }
    }
    for client in clients.into_iter().flatten() {
        client.close().await;
    }
    let micros = |d: Duration| d.as_secs_f64() * 1e6;
    let [mut sim, mut bare] = samples;
    Ok([
        Row {
            request: name,
            measure: "1-conn p50 (µs)".into(),
            values: [micros(percentile(&mut sim, 50.0)), micros(percentile(&mut bare, 50.0))],
        },
        Row {
            request: name,
            measure: "1-conn p99 (µs)".into(),
            values: [micros(percentile(&mut sim, 99.0)), micros(percentile(&mut bare, 99.0))],
        },
    ])
}

/// Requests/s over many connections, and the server threads' CPU time per request (when readable).
async fn throughput_rows(
    targets: &[Target; 2],
    request: &Utf8Bytes,
    name: &'static str,
    connections: usize,
    plan: Plan,
) -> Result<Vec<Row>, Error> {
    let mut conns = [
        load_client::connect_many(&targets[0].url, connections).await?,
        load_client::connect_many(&targets[1].url, connections).await?,
    ];
    let mut counts = [0u64; 2];
    let mut elapsed = [Duration::ZERO; 2];
    let mut server_cpu = [Some(Duration::ZERO); 2];
    for slot in conns.iter_mut() {
        *slot = load_client::sustained(std::mem::take(slot), request, plan.warm_up)
            .await?
            .clients;
    }
    for turn in 0..plan.turns {
        for i in Plan::order(turn) {
            let cpu_before = cpu::threads_cpu(SERVER_THREADS);
            let run = load_client::sustained(std::mem::take(&mut conns[i]), request, plan.slice).await?;
            let cpu_used = cpu::threads_cpu(SERVER_THREADS)
                .zip(cpu_before)
                .map(|(after, before)| after - before);
            server_cpu[i] = server_cpu[i].zip(cpu_used).map(|(sum, used)| sum + used);
            counts[i] += run.round_trips;
            elapsed[i] += run.elapsed;
            conns[i] = run.clients;
        }
    }
    for slot in conns {
        load_client::close_all(slot).await;
    }
    let mut rows = vec![Row {
        request: name,
        measure: format!("{connections}-conn req/s"),
        values: [rate(counts[0], elapsed[0]), rate(counts[1], elapsed[1])],
    }];
    if let [Some(sim), Some(bare)] = server_cpu {
        let per_request = |cpu: Duration, count: u64| cpu.as_secs_f64() * 1e6 / count.max(1) as f64;
        rows.push(Row {
            request: name,
            measure: "server CPU µs/req".into(),
            values: [per_request(sim, counts[0]), per_request(bare, counts[1])],
        });
    }
    Ok(rows)
}

fn print_table(args: &Args, rows: &[Row]) {
    let (first, second, compared) = match args.against {
        Comparison::Bare => ("sim", "bare", "simulator vs bare tokio-tungstenite"),
        Comparison::Transcript => ("transcript", "sim", "simulator writing a transcript vs writing none"),
        Comparison::Proxy => ("proxy", "sim", "simulator through the recording proxy vs directly"),
    };
    println!(
        "Endrpi on loopback: {compared}, {} s per target and cell in {} turns; server {} threads, client {} threads",
        args.seconds, args.rounds, args.server_threads, args.client_threads
    );
    let ratio = format!("{first}/{second}");
    println!(
        "{:<12} {:<18} {:>10} {:>10} {:>11}",
        "request", "measure", first, second, ratio
    );
    for row in rows {
        let [sim, bare] = row.values;
        let ratio = if bare > 0.0 { sim / bare } else { f64::NAN };
        let digits = if sim >= 1000.0 {
            0
        } else if sim >= 10.0 {
            1
        } else {
            2
        };
        println!(
            "{:<12} {:<18} {:>10.digits$} {:>10.digits$} {:>11.2}",
            row.request, row.measure, sim, bare, ratio
        );
    }
}
