//! `esp3d-load`: the ESP3D data socket (simulator vs a bare tokio-tungstenite server, on loopback): upload
//! MB/s through transfer frames, M105 round-trip p50, and server CPU per M105 line, with the ratios.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use understudy_benches::esp3d::{self, Target, Upload};
use understudy_benches::load_client::Client;
use understudy_benches::stats::percentile;
use understudy_benches::{Error, cpu, runtime};
use understudy_core::proto::esp3d::tx_buffer::FLUSH_TIMEOUT_MS;

/// Compares the simulator's ESP3D data socket with a bare tokio-tungstenite server doing the same exchanges.
#[derive(Parser, Debug)]
#[command(name = "esp3d-load")]
struct Args {
    /// Size of each upload, MiB.
    #[arg(long, default_value_t = 10)]
    upload_mib: usize,
    /// Uploads per target (the targets take turns).
    #[arg(long, default_value_t = 3)]
    uploads: u32,
    /// M105 round trips on the simulator (each waits for the firmware's 500 ms flush).
    #[arg(long, default_value_t = 10)]
    m105_sim: usize,
    /// M105 round trips on the bare server.
    #[arg(long, default_value_t = 2000)]
    m105_bare: usize,
    /// M105 lines per burst in the CPU measurement (sent back to back, then all answers awaited).
    #[arg(long, default_value_t = 2000)]
    burst: usize,
    /// Bursts per target (the targets take turns).
    #[arg(long, default_value_t = 3)]
    bursts: u32,
    /// Worker threads of the servers' runtime.
    #[arg(long, default_value_t = 2)]
    server_threads: usize,
    /// Worker threads of the load client's runtime.
    #[arg(long, default_value_t = 2)]
    client_threads: usize,
}

/// The name of the servers' runtime threads, whose CPU time is read.
const SERVER_THREADS: &str = "server";

/// One row of the table: `[sim, bare]`, and the sim/bare ratio's target (`>=` or `<=` a value).
struct Row {
    measure: String,
    values: [f64; 2],
    target: Option<(&'static str, f64)>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(rows) => {
            print_table(&args, &rows);
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("esp3d-load: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Which target goes first in turn `turn`: alternating, so neither always runs on a warmer machine.
fn order(turn: u32) -> [usize; 2] {
    if turn % 2 == 0 { [0, 1] } else { [1, 0] }
}

fn run(args: &Args) -> Result<Vec<Row>, Error> {
    let server = runtime(args.server_threads, SERVER_THREADS)?;
    let client = runtime(args.client_threads, "client")?;
    let targets = server.block_on(esp3d::targets())?;
    let rows = client.block_on(async {
        let mut clients = Vec::new();
        for target in targets.list() {
            clients.push(Client::connect(&target.url).await?);
        }
        let mut rows = vec![upload_row(args, targets.list(), &mut clients).await?];
        rows.extend(m105_rows(args, targets.list(), &mut clients).await?);
        rows.push(burst_row(args, &mut clients).await?);
        for client in clients {
            client.close().await;
        }
        Ok::<_, Error>(rows)
    });
    server.block_on(targets.shutdown());
    rows
}

/// Upload throughput: file bytes over the time from `SU` to the last `PU`, all uploads of a target.
async fn upload_row(args: &Args, targets: &[Target; 2], clients: &mut [Client]) -> Result<Row, Error> {
    let upload = Upload::new("bench.g", args.upload_mib.clamp(1, 60) << 20);
    let mut elapsed = [Duration::ZERO; 2];
    // One upload each to warm up.
    for (client, target) in clients.iter_mut().zip(targets) {
        upload.send(client, target.name).await?;
    }
    for turn in 0..args.uploads.max(1) {
        for i in order(turn) {
            elapsed[i] += upload.send(&mut clients[i], targets[i].name).await?;
        }
    }
    let mb_per_s = |d: Duration| upload.size() as f64 * f64::from(args.uploads.max(1)) / d.as_secs_f64() / 1e6;
    Ok(Row {
        measure: format!("upload {} MiB, MB/s", args.upload_mib.clamp(1, 60)),
        values: [mb_per_s(elapsed[0]), mb_per_s(elapsed[1])],
        target: Some((">=", 0.5)),
    })
}

/// M105 round trips one at a time: p50, and how far the simulator's p50 lies past the firmware's flush.
async fn m105_rows(args: &Args, targets: &[Target; 2], clients: &mut [Client]) -> Result<Vec<Row>, Error> {
    let counts = [args.m105_sim.max(1), args.m105_bare.max(1)];
    let mut samples: [Vec<Duration>; 2] = Default::default();
    for i in 0..2 {
        esp3d::m105(&mut clients[i], targets[i].name).await?;
        for _ in 0..counts[i] {
            samples[i].push(esp3d::m105(&mut clients[i], targets[i].name).await?);
        }
    }
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let [mut sim, mut bare] = samples;
    let [sim50, bare50] = [ms(percentile(&mut sim, 50.0)), ms(percentile(&mut bare, 50.0))];
    let flush = FLUSH_TIMEOUT_MS as f64;
    Ok(vec![
        Row {
            measure: "M105 1-conn p50, ms".into(),
            values: [sim50, bare50],
            target: Some(("<=", 1.5)),
        },
        Row {
            measure: format!("M105 p50 less the {FLUSH_TIMEOUT_MS} ms flush, ms"),
            values: [sim50 - flush, bare50],
            target: None,
        },
    ])
}

/// Server CPU per M105 line: bursts of M105 lines, the server threads' CPU time over the lines answered.
async fn burst_row(args: &Args, clients: &mut [Client]) -> Result<Row, Error> {
    let burst = args.burst.max(1);
    let mut cpu_used = [Some(Duration::ZERO); 2];
    for turn in 0..args.bursts.max(1) {
        for i in order(turn) {
            let before = cpu::threads_cpu(SERVER_THREADS);
            esp3d::m105_burst(&mut clients[i], burst).await?;
            let used = cpu::threads_cpu(SERVER_THREADS)
                .zip(before)
                .map(|(after, before)| after - before);
            cpu_used[i] = cpu_used[i].zip(used).map(|(sum, used)| sum + used);
        }
    }
    let lines = (burst * args.bursts.max(1) as usize) as f64;
    let per_line = |cpu: Option<Duration>| cpu.map_or(f64::NAN, |c| c.as_secs_f64() * 1e6 / lines);
    Ok(Row {
        measure: "M105 server CPU µs/line".into(),
        values: [per_line(cpu_used[0]), per_line(cpu_used[1])],
        target: Some(("<=", 1.5)),
    })
}

fn print_table(args: &Args, rows: &[Row]) {
    println!(
        "ESP3D data socket on loopback: simulator vs bare tokio-tungstenite; {} uploads, {}/{} M105 round trips, \
         {} bursts of {} M105; server {} threads, client {} threads",
        args.uploads, args.m105_sim, args.m105_bare, args.bursts, args.burst, args.server_threads, args.client_threads
    );
    println!(
        "{:<36} {:>10} {:>10} {:>9}  target",
        "measure", "sim", "bare", "sim/bare"
    );
    for row in rows {
        let [sim, bare] = row.values;
        let ratio = if bare > 0.0 { sim / bare } else { f64::NAN };
        let verdict = match row.target {
            Some((">=", want)) => format!(">= {want}: {}", if ratio >= want { "met" } else { "missed" }),
            Some((_, want)) => format!("<= {want}: {}", if ratio <= want { "met" } else { "missed" }),
            None => String::new(),
        };
        println!(
            "{:<36} {:>10.3} {:>10.3} {:>9.2}  {verdict}",
            row.measure, sim, bare, ratio
        );
    }
}
