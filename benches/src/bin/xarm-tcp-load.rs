//! `xarm-tcp-load`: the xArm controller's TCP protocol under load. SDK-style round trips on 502 (one
//! connection, one request in flight: `get_state` and `get_servo_angle`) beside a bare tokio TCP server that
//! answers each request with a canned frame of the same size, in alternating turns in the same run; then the
//! 250 Hz real-time report (30000) to N clients beside a bare server ticking a same-size frame to N clients.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use understudy_core::proto::xarm_tcp::frame::{
    PROTOCOL_PRIVATE, Request, decode_answer, encode_answer, encode_request,
};
use understudy_core::proto::xarm_tcp::report::ReportKind;
use understudy_sim::{ClockMode, SimConfig, Simulator};

#[derive(Parser, Debug)]
#[command(name = "xarm-tcp-load")]
struct Args {
    /// Seconds of round trips per target and register, in turns of a quarter second.
    #[arg(long, default_value_t = 2.0)]
    seconds: f64,
    /// Report clients.
    #[arg(long, default_value_t = 100)]
    clients: usize,
    /// Seconds the report clients record for.
    #[arg(long, default_value_t = 3.0)]
    window: f64,
}

/// A round trip's register and the size of its answer's parameters.
const CALLS: [(&str, u8, usize); 2] = [("get_state (13)", 13, 1), ("get_servo_angle (42)", 42, 28)];

async fn round_trip(stream: &mut TcpStream, transaction: u16, register: u8, buffer: &mut Vec<u8>) -> Duration {
    let started = Instant::now();
    let request = encode_request(transaction, PROTOCOL_PRIVATE, register, &[]);
    stream.write_all(&request).await.expect("send");
    loop {
        if let Some((_, used)) = decode_answer(buffer) {
            buffer.drain(..used);
            return started.elapsed();
        }
        let mut chunk = [0u8; 1024];
        let n = stream.read(&mut chunk).await.expect("read");
        assert!(n > 0, "the server closed");
        buffer.extend_from_slice(&chunk[..n]);
    }
}

/// A bare server: every request frame gets a canned answer with `params` parameter bytes.
async fn bare_server(params: usize) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let mut buffer = Vec::new();
                let mut chunk = [0u8; 1024];
                while let Ok(n @ 1..) = stream.read(&mut chunk).await {
                    buffer.extend_from_slice(&chunk[..n]);
                    while buffer.len() >= 6 {
                        let total = 6 + usize::from(u16::from_be_bytes([buffer[4], buffer[5]]));
                        if buffer.len() < total {
                            break;
                        }
                        let frame: Vec<u8> = buffer.drain(..total).collect();
                        let request = Request {
                            transaction: u16::from_be_bytes([frame[0], frame[1]]),
                            protocol: PROTOCOL_PRIVATE,
                            register: frame[6],
                            params: Vec::new(),
                        };
                        if stream
                            .write_all(&encode_answer(&request, 0, &vec![0; params]))
                            .await
                            .is_err()
                        {
                            return;
                        }
                    }
                }
            });
        }
    });
    addr
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1e6
}

async fn requests(sim_addr: SocketAddr, args: &Args) {
    println!("| register | target | round trips | p50 | p99 |");
    println!("|---|---|---|---|---|");
    for (name, register, params) in CALLS {
        let bare_addr = bare_server(params).await;
        let mut sim = TcpStream::connect(sim_addr).await.expect("sim");
        let mut bare = TcpStream::connect(bare_addr).await.expect("bare");
        let _ = sim.set_nodelay(true);
        let _ = bare.set_nodelay(true);
        let (mut sim_lat, mut bare_lat) = (Vec::new(), Vec::new());
        let (mut sim_buf, mut bare_buf) = (Vec::new(), Vec::new());
        let turns = (args.seconds * 4.0).ceil() as usize;
        let mut transaction = 0u16;
        for _ in 0..turns {
            for (stream, buffer, out) in [
                (&mut sim, &mut sim_buf, &mut sim_lat),
                (&mut bare, &mut bare_buf, &mut bare_lat),
            ] {
                let turn_end = Instant::now() + Duration::from_millis(250);
                while Instant::now() < turn_end {
                    transaction = transaction.wrapping_add(1);
                    out.push(round_trip(stream, transaction, register, buffer).await);
                }
            }
        }
        for (target, lat) in [("simulator", &mut sim_lat), ("bare", &mut bare_lat)] {
            lat.sort();
            println!(
                "| {name} | {target} | {} | {:.1} µs | {:.1} µs |",
                lat.len(),
                percentile(lat, 0.5),
                percentile(lat, 0.99)
            );
        }
    }
}

/// One report client: counts whole reports and the largest gap between two, for `window`.
async fn report_client(addr: SocketAddr, size: usize, window: Duration) -> (usize, Duration) {
    let mut stream = TcpStream::connect(addr).await.expect("report connect");
    let mut buffer = vec![0u8; size];
    let mut count = 0;
    let mut worst = Duration::ZERO;
    let end = Instant::now() + window;
    let mut last = Instant::now();
    while Instant::now() < end {
        match tokio::time::timeout_at(end.into(), stream.read_exact(&mut buffer)).await {
            Ok(Ok(_)) => {
                let now = Instant::now();
                if count > 0 {
                    worst = worst.max(now - last);
                }
                last = now;
                count += 1;
            }
            _ => break,
        }
    }
    (count, worst)
}

/// A bare server sending a same-size frame to each client every `period`.
async fn bare_reports(size: usize, period: Duration) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let frame = vec![0u8; size];
                let mut tick = tokio::time::interval(period);
                loop {
                    tick.tick().await;
                    if stream.write_all(&frame).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    addr
}

async fn reports(sim_addr: SocketAddr, args: &Args) {
    let kind = ReportKind::RealTime;
    let period = Duration::from_millis(u64::from(1000 / kind.hz()));
    let window = Duration::from_secs_f64(args.window);
    let bare_addr = bare_reports(kind.size(), period).await;
    println!(
        "\n| 250 Hz report, {} clients | reports per client (expected {:.0}) | worst gap p99 / max |",
        args.clients,
        args.window * f64::from(kind.hz())
    );
    println!("|---|---|---|");
    for (target, addr) in [("simulator", sim_addr), ("bare", bare_addr)] {
        let tasks: Vec<_> = (0..args.clients)
            .map(|_| tokio::spawn(report_client(addr, kind.size(), window)))
            .collect();
        let mut counts = Vec::new();
        let mut gaps = Vec::new();
        for task in tasks {
            let (count, gap) = task.await.expect("client");
            counts.push(count);
            gaps.push(gap);
        }
        counts.sort();
        gaps.sort();
        println!(
            "| {target} | min {} / median {} | {:.1} / {:.1} ms |",
            counts[0],
            counts[counts.len() / 2],
            percentile(&gaps, 0.99) / 1000.0,
            percentile(&gaps, 1.0) / 1000.0
        );
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let mut config = SimConfig::for_tests(0);
        config.clock = ClockMode::Realtime { speed: 1.0 };
        config.only = Some(vec!["xarm".into()]);
        let sim = Simulator::start(config).await.expect("simulator");
        let addr = |name: &str| sim.endpoints().iter().find(|e| e.name == name).map(|e| e.addr);
        let (Some(control), Some(rt)) = (addr("xarm-tcp"), addr(ReportKind::RealTime.name())) else {
            eprintln!("xarm-tcp-load: the simulator serves no controller ports");
            return ExitCode::FAILURE;
        };
        requests(control, &args).await;
        reports(rt, &args).await;
        sim.shutdown().await;
        ExitCode::SUCCESS
    })
}
