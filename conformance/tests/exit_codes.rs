//! `understudy-check` exits with a code a CI can trust: non-zero when nothing ran, when a target names a
//! protocol that has no features, or when a target cannot be reached (then one line says so before the
//! per-scenario failures), and zero when scenarios ran and passed. Each case runs the built binary, bounded.

use std::io::Read;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// What the binary did.
struct Output {
    status: ExitStatus,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

/// Runs `understudy-check` with `args`, killing it if it takes longer than a minute.
fn check(args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_understudy-check"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("understudy-check starts");
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            bytes
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("stdout is piped")));
    let stderr = drain(Box::new(child.stderr.take().expect("stderr is piped")));
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().expect("the child can be waited for") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("understudy-check {args:?} did not end within a minute");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn nothing_ran_is_not_a_pass() {
    let out = check(&["--tags", "@no-such-tag"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("conformance: 0 passed, 0 failed"));
    assert!(text(&out.stderr).contains("no scenario ran"));
}

#[test]
fn a_protocol_without_features_cannot_be_named() {
    let out = check(&["--target", "teapot=ws://127.0.0.1:1/"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("unknown protocol teapot"),
        "{}",
        text(&out.stderr)
    );

    // A known protocol whose features are not in the features directory given.
    let dir = std::env::temp_dir().join(format!("understudy-check-features-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("endrpi")).unwrap();
    let out = check(&[
        "--target",
        "endrpi=ws://127.0.0.1:1/",
        "--features",
        dir.to_str().unwrap(),
    ]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("the endrpi protocol has no features"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn an_unreachable_target_fails_with_one_line_before_the_failures() {
    let out = check(&["--target", "endrpi=ws://127.0.0.1:1/", "--tags", "@ENDRPI-15"]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    let line = "UNREACHABLE: the endrpi target ws://127.0.0.1:1/ cannot be reached";
    assert_eq!(stdout.matches(line).count(), 1, "{stdout}");
    let first_failure = stdout.find("FAIL ").expect("the scenarios fail");
    assert!(stdout.find(line).unwrap_or(usize::MAX) < first_failure, "{stdout}");
    assert!(text(&out.stderr).contains("cannot be reached"));
}

#[test]
fn scenarios_that_ran_and_passed_exit_zero() {
    let out = check(&["--tags", "@ENDRPI-25"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("failed"));
}

#[test]
fn a_protocols_own_flags_without_its_target_are_a_usage_error() {
    let out = check(&[
        "--target",
        "endrpi=ws://127.0.0.1:1/",
        "--esp3d-data",
        "ws://127.0.0.1:1/",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("--esp3d-terminal and --esp3d-data need --target esp3d=http://HOST:PORT/"),
        "{}",
        text(&out.stderr)
    );
    let out = check(&["--no-reset"]);
    assert_eq!(out.status.code(), Some(2), "--no-reset needs --control");
}
