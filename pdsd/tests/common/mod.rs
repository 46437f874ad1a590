//! Shared helpers for tests that run the real `pdsd` binary.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A pdsd process on a free loopback port, stopped (SIGKILL) when dropped.
pub struct Pdsd {
    pub child: Child,
    pub addr: String,
    pub data: PathBuf,
}

impl Pdsd {
    /// Starts pdsd with its data in `data` and extra flags.
    pub fn start(data: &Path, extra: &[&str]) -> Pdsd {
        let mut child = Command::new(env!("CARGO_BIN_EXE_pdsd"))
            .arg("--port")
            .arg("0")
            .arg("--data-directory")
            .arg(data)
            .args(extra)
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
        // Keep draining the log so pdsd never blocks on a full pipe; echo it for failures.
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                eprintln!("[pdsd] {line}");
            }
        });
        Pdsd {
            child,
            addr,
            data: data.to_path_buf(),
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn admin_password(&self) -> String {
        std::fs::read_to_string(self.data.join("keys/admin_password"))
            .unwrap()
            .trim()
            .to_string()
    }

    /// Sends a signal by name (TERM, INT, KILL).
    pub fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        assert!(ok.success());
    }

    pub fn wait(&mut self) -> std::process::ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "pdsd did not stop");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Pdsd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The repository root (for tests/js).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Installs Node 22 and the official JS clients (tests/js/setup.sh, idempotent; serialised
/// with flock since test binaries run in parallel) and returns the node binary.
pub fn node() -> PathBuf {
    let js = repo_root().join("tests/js");
    let status = Command::new("flock")
        .arg(js.join(".setup.lock"))
        .arg("bash")
        .arg(js.join("setup.sh"))
        .stdout(Stdio::null())
        .status()
        .expect("flock and bash are available");
    assert!(status.success(), "tests/js/setup.sh failed");
    js.join(".node/bin/node")
}

/// Runs `tests/js/<script>` with Node 22 and the given environment; returns its last stdout
/// line parsed as JSON (the scripts' contract: `{"ok": true, ...}` or `{"ok": false, ...}`).
pub fn run_js(script: &str, env: &[(&str, &str)]) -> serde_json::Value {
    let node = node();
    let js = repo_root().join("tests/js");
    let out = Command::new(&node)
        .arg(js.join(script))
        .current_dir(&js)
        .envs(env.iter().copied())
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout.lines().last().unwrap_or("");
    serde_json::from_str(last).unwrap_or_else(|_| {
        panic!(
            "{script} printed no JSON result; stdout: {stdout}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}
