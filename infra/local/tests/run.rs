//! Runs the real `tradesense-local` binary (what `make run` starts): it must come up on the given port with
//! its banner, serve health, and on SIGTERM stop cleanly, moto included.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tradesense_local::emulator::free_port;

fn http_get(port: u16, path: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

/// Kills the child (by PID) if the test fails before stopping it, so a failed assertion leaks no process.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(self.0.id().to_string())
                .status();
            let _ = self.0.wait();
        }
    }
}

#[test]
fn make_run_serves_health_and_stops_everything_on_sigterm() {
    let (port, moto_port) = (free_port().unwrap(), free_port().unwrap());
    let child = Command::new(env!("CARGO_BIN_EXE_tradesense-local"))
        .env("PORT", port.to_string())
        .env("MOTO_PORT", moto_port.to_string())
        .env("LOG_FORMAT", "text")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("start tradesense-local");
    let mut child = KillOnDrop(child);
    let mut lines = BufReader::new(child.0.stderr.take().unwrap()).lines();
    let mut banner = String::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        banner.push_str(&line);
        banner.push('\n');
        if line.contains("Ctrl-C stops everything") {
            break;
        }
    }
    // Keep draining, as a terminal would, until the process exits.
    let drain = std::thread::spawn(move || lines.map_while(Result::ok).collect::<Vec<_>>().join("\n"));
    assert!(banner.contains(&format!("http://127.0.0.1:{port}")), "{banner}");
    assert!(
        banner.contains("Demo users (password TradeSense-demo-2026)"),
        "{banner}"
    );
    for role in ["admin", "trader", "viewer"] {
        let line = format!("  {role:<7} {role}@demo.tradesense.in");
        assert!(banner.contains(&line), "demo {role} login missing:\n{banner}");
    }

    let health = http_get(port, "/v1/health");
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(health.contains("x-content-type-options: nosniff"), "{health}");
    assert!(http_get(port, "/v1/admin/health").starts_with("HTTP/1.1 401"));

    Command::new("kill")
        .arg("-TERM")
        .arg(child.0.id().to_string())
        .status()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(100));
    };
    let tail = drain.join().unwrap();
    assert!(status.success(), "{status}: {tail}");
    assert!(tail.contains("stopping"), "{tail}");
    let moto_gone = (0..50).any(|_| {
        std::thread::sleep(Duration::from_millis(100));
        TcpStream::connect(("127.0.0.1", moto_port)).is_err()
    });
    assert!(
        moto_gone,
        "moto still listening on {moto_port} after the stack stopped"
    );
}
