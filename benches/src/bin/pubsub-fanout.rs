//! `pubsub-fanout`: one publish fanned out to 10/100/1000 subscribers (time until all have it), and wss
//! handshakes per second; the simulator's pub/sub robot vs a bare broadcast server, in the same run.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use understudy_benches::bare_broadcast::BareBroadcast;
use understudy_benches::stats::{percentile, rate};
use understudy_benches::tls::{self, BareTlsBroadcast, CertFiles};
use understudy_benches::{Error, pubsub, runtime};
use understudy_sim::serve::pubsub::PubsubTls;

#[derive(Parser, Debug)]
#[command(name = "pubsub-fanout")]
struct Args {
    /// Subscriber counts.
    #[arg(long, value_delimiter = ',', default_value = "10,100,1000")]
    subscribers: Vec<usize>,
    /// Publishes per subscriber count.
    #[arg(long, default_value_t = 50)]
    rounds: u32,
    /// Seconds of handshakes per target.
    #[arg(long, default_value_t = 4.0)]
    seconds: f64,
    /// Slices the handshake measurement is cut into, the targets taking turns.
    #[arg(long, default_value_t = 10)]
    turns: u32,
    /// Concurrent connecting tasks in the handshake measurement.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Worker threads of the servers' runtime and of the clients' runtime.
    #[arg(long, default_value_t = 1)]
    threads: usize,
}

fn main() -> ExitCode {
    match run(&Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("pubsub-fanout: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<(), Error> {
    let servers = runtime(args.threads, "server")?;
    let clients = runtime(args.threads, "client")?;
    let files: CertFiles = tls::cert_files()?;
    let tls_files = PubsubTls::Files {
        cert: files.cert.path().to_path_buf(),
        key: files.key.path().to_path_buf(),
    };
    let (plain_sim, plain_url, wss_sim, wss_url, bare, bare_tls) = servers.block_on(async {
        let (plain_sim, plain_url) = pubsub::start_sim(PubsubTls::Plain).await?;
        let (wss_sim, wss_url) = pubsub::start_sim(tls_files).await?;
        let bare = BareBroadcast::start().await?;
        let bare_tls = BareTlsBroadcast::start(&files).await?;
        Ok::<_, Error>((plain_sim, plain_url, wss_sim, wss_url, bare, bare_tls))
    })?;
    let bare_url = bare.url().to_owned();
    println!(
        "fan-out of one publish, time until every subscriber has it ({} rounds):",
        args.rounds
    );
    println!("subscribers  sim_p50_ms  sim_p99_ms  bare_p50_ms  bare_p99_ms  ratio_p50  ratio_p99");
    for &n in &args.subscribers {
        let mut sim_times = clients.block_on(pubsub::fanout_times(&plain_url, n, args.rounds, true))?;
        let mut bare_times = clients.block_on(pubsub::fanout_times(&bare_url, n, args.rounds, false))?;
        let (s50, s99) = (percentile(&mut sim_times, 50.0), percentile(&mut sim_times, 99.0));
        let (b50, b99) = (percentile(&mut bare_times, 50.0), percentile(&mut bare_times, 99.0));
        println!(
            "{n:>11}  {:>10.2}  {:>10.2}  {:>11.2}  {:>11.2}  {:>9.2}  {:>9.2}",
            ms(s50),
            ms(s99),
            ms(b50),
            ms(b99),
            s50.as_secs_f64() / b50.as_secs_f64(),
            s99.as_secs_f64() / b99.as_secs_f64()
        );
    }
    let config = tls::client_config(&files.der)?;
    // The targets take turns in short slices (alternating who goes first), so that a burst of other load
    // on the machine falls on both.
    let turns = args.turns.clamp(1, 1000);
    let slice = Duration::from_secs_f64(args.seconds.clamp(0.2, 60.0)) / turns;
    let bare_tls_url = bare_tls.url().to_owned();
    let (mut counts, mut times) = ([0u64; 2], [Duration::ZERO; 2]);
    for turn in 0..turns {
        let order = if turn % 2 == 0 { [0, 1] } else { [1, 0] };
        for i in order {
            let url = if i == 0 { &wss_url } else { &bare_tls_url };
            let (count, elapsed) = clients.block_on(pubsub::handshakes(url, &config, args.concurrency, slice))?;
            counts[i] += count;
            times[i] += elapsed;
            // Let the server close what the dropped connections left behind.
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    let rates = [rate(counts[0], times[0]), rate(counts[1], times[1])];
    println!(
        "wss handshakes/s (TCP + TLS + upgrade, {} concurrent):",
        args.concurrency
    );
    println!(
        "sim {:.0}  bare {:.0}  ratio {:.2}",
        rates[0],
        rates[1],
        rates[0] / rates[1].max(1e-9)
    );
    drop((plain_sim, wss_sim, bare, bare_tls));
    drop(clients);
    drop(servers);
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
