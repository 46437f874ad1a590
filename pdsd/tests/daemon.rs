//! Starts the real `pdsd` binary with zero configuration and talks to it over TCP.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Starts pdsd on a free port with its data in `data` and returns the child and its address
/// (read from its log).
fn start_pdsd(data: &Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pdsd"))
        .arg("--port")
        .arg("0")
        .arg("--data-directory")
        .arg(data)
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("pdsd starts");
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let deadline = Instant::now() + Duration::from_secs(30);
    let addr = loop {
        assert!(Instant::now() < deadline, "pdsd did not report its address");
        let line = lines.next().expect("pdsd log ended").unwrap();
        if let Some(rest) = line.split("addr=").nth(1) {
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };
    // Keep draining the log so pdsd never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, addr)
}

fn http_get(addr: &str, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let status = resp[9..12].parse().unwrap();
    let body = resp.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
    (status, body)
}

fn wait_exit(child: &mut Child) -> std::process::ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "pdsd did not stop");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn pdsd_answers_health_and_stops_cleanly_on_sigterm() {
    let data = tempfile::tempdir().unwrap();
    let (mut child, addr) = start_pdsd(data.path());
    let (status, body) = http_get(&addr, "/xrpc/_health");
    assert_eq!(status, 200);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));

    let ok = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(ok.success());
    let status = wait_exit(&mut child);
    assert!(status.success(), "pdsd exited with {status}");
}

#[test]
fn pdsd_stops_cleanly_on_ctrl_c() {
    let data = tempfile::tempdir().unwrap();
    let (mut child, _addr) = start_pdsd(data.path());
    let ok = Command::new("kill")
        .arg("-INT")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(ok.success());
    let status = wait_exit(&mut child);
    assert!(status.success(), "pdsd exited with {status}");
}

#[test]
fn pdsd_refuses_a_bad_setting_with_exit_code_2() {
    let out = Command::new(env!("CARGO_BIN_EXE_pdsd"))
        .arg("--port")
        .arg("not-a-port")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("port"));
}

#[test]
fn pdsd_zero_configuration_creates_its_data_directory_and_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (mut child, addr) = start_pdsd(&data);
    assert_eq!(http_get(&addr, "/xrpc/_health").0, 200);
    for f in [
        "service.sqlite",
        "keys/jwt_secret",
        "keys/admin_password",
        "keys/plc_rotation_key.k256.hex",
    ] {
        assert!(data.join(f).exists(), "{f} missing");
    }
    Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(wait_exit(&mut child).success());
}

#[test]
fn pdsd_refuses_a_database_from_a_newer_version() {
    let dir = tempfile::tempdir().unwrap();
    let conn = rusqlite::Connection::open(dir.path().join("service.sqlite")).unwrap();
    conn.pragma_update(None, "user_version", 999).unwrap();
    drop(conn);
    let out = Command::new(env!("CARGO_BIN_EXE_pdsd"))
        .arg("--port")
        .arg("0")
        .arg("--data-directory")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("newer than this pdsd knows"), "{err}");
}
