//! Helpers for tests that run the real pdsd and drive it with the real pdsctl binary.
//!
//! Finding pdsd: pdsctl's tests cannot use `CARGO_BIN_EXE_pdsd` (cargo sets that only for
//! pdsd's own tests) and pdsctl must not depend on pdsd. So they look for the binary next to
//! pdsctl's (`$CARGO_TARGET_DIR/debug/pdsd`), which every workspace-wide run (`cargo nextest
//! run --workspace`, `cargo test --workspace`) has just built, since pdsd's own tests need it.
//! When it is missing or older than pdsd's sources (a `cargo test -p pdsctl` run), they build
//! it first with `cargo build -p pdsd` into the same target directory. `PDSD_BIN` overrides all
//! of this.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime};

pub const PDSCTL: &str = env!("CARGO_BIN_EXE_pdsctl");

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Newest modification time of the files under `dir`.
fn newest(dir: &Path) -> SystemTime {
    let mut t = SystemTime::UNIX_EPOCH;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return t;
    };
    for e in entries.flatten() {
        let path = e.path();
        let m = if path.is_dir() {
            newest(&path)
        } else {
            e.metadata()
                .and_then(|m| m.modified())
                .unwrap_or(SystemTime::UNIX_EPOCH)
        };
        t = t.max(m);
    }
    t
}

/// The pdsd binary to run (see the module comment).
pub fn pdsd_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(p) = std::env::var_os("PDSD_BIN") {
            return PathBuf::from(p);
        }
        let dir = Path::new(PDSCTL).parent().unwrap().to_path_buf();
        let bin = dir.join("pdsd");
        let root = repo_root();
        // Source folders only: a Cargo.lock change for another crate leaves pdsd fresh, and
        // cargo would not touch the binary.
        let sources = ["pdsd/src", "pdsd/atproto/src", "proto", "migrations"]
            .iter()
            .map(|p| {
                let p = root.join(p);
                if p.is_dir() {
                    newest(&p)
                } else {
                    std::fs::metadata(&p)
                        .and_then(|m| m.modified())
                        .unwrap_or(SystemTime::UNIX_EPOCH)
                }
            })
            .max()
            .unwrap();
        let built = std::fs::metadata(&bin).and_then(|m| m.modified()).ok();
        if built.is_none_or(|b| b < sources) {
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            let mut cmd = Command::new(cargo);
            cmd.args(["build", "-p", "pdsd", "--bin", "pdsd"])
                .current_dir(&root)
                .env("CARGO_TARGET_DIR", dir.parent().unwrap());
            if dir.ends_with("release") {
                cmd.arg("--release");
            }
            let status = cmd.status().expect("cargo runs");
            assert!(status.success(), "cargo build -p pdsd failed");
        }
        bin
    })
    .clone()
}

/// A pdsd process with its data in a temporary directory, killed when dropped.
pub struct Pdsd {
    pub child: Child,
    pub addr: String,
    pub data: tempfile::TempDir,
}

impl Pdsd {
    pub fn start(extra: &[&str]) -> Pdsd {
        let data = tempfile::tempdir().unwrap();
        let mut child = Command::new(pdsd_bin())
            .arg("--port")
            .arg("0")
            .arg("--data-directory")
            .arg(data.path())
            .args(extra)
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("pdsd starts");
        let stderr = child.stderr.take().unwrap();
        let mut lines = BufReader::new(stderr).lines();
        let deadline = Instant::now() + Duration::from_secs(60);
        let addr = loop {
            assert!(Instant::now() < deadline, "pdsd did not report its address");
            let line = lines.next().expect("pdsd log ended").unwrap();
            if let Some(rest) = line.split("addr=").nth(1) {
                break rest.split_whitespace().next().unwrap().to_string();
            }
        };
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                eprintln!("[pdsd] {line}");
            }
        });
        Pdsd { child, addr, data }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn socket(&self) -> PathBuf {
        self.data.path().join("admin.sock")
    }

    /// pdsctl with `--socket` pointing at this pdsd.
    pub fn pdsctl(&self, args: &[&str]) -> Run {
        run_pdsctl(&self.socket(), args, None)
    }

    /// pdsctl with `--socket` and the given stdin.
    pub fn pdsctl_in(&self, args: &[&str], stdin: &str) -> Run {
        run_pdsctl(&self.socket(), args, Some(stdin))
    }

    /// `pdsctl --json ...` that must exit 0; its stdout as JSON.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        self.pdsctl(&all).ok_json()
    }
}

impl Drop for Pdsd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What one pdsctl run did.
#[derive(Debug)]
pub struct Run {
    pub args: Vec<String>,
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts exit 0 and parses stdout as one JSON document.
    pub fn ok_json(&self) -> serde_json::Value {
        assert_eq!(self.code, 0, "{self:#?}");
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {self:#?}"))
    }

    /// Asserts the exit code and that stderr is a `--json` error object; returns it.
    pub fn json_error(&self, code: i32) -> serde_json::Value {
        assert_eq!(self.code, code, "{self:#?}");
        assert!(self.stdout.is_empty(), "an error printed data: {self:#?}");
        let line = self.stderr.lines().last().unwrap_or_default();
        let err: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("stderr is not a JSON error ({e}): {self:#?}"));
        assert!(
            err["error"].is_string() && err["message"].is_string(),
            "{err}"
        );
        assert_eq!(err["exitCode"], code);
        err
    }

    /// stdout as JSON Lines.
    pub fn json_lines(&self) -> Vec<serde_json::Value> {
        self.stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect()
    }
}

/// Runs pdsctl (stdin from `stdin`, or empty), with a clean environment for the settings it
/// reads.
pub fn run_pdsctl(socket: &Path, args: &[&str], stdin: Option<&str>) -> Run {
    let mut child = Command::new(PDSCTL)
        .arg("--socket")
        .arg(socket)
        .args(args)
        .env_remove("PDSCTL_SOCKET")
        .env_remove("PDS_ADMIN_SOCKET")
        .env_remove("PDS_DATA_DIRECTORY")
        .env_remove("RUST_LOG")
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("pdsctl runs");
    {
        let mut input = child.stdin.take().unwrap();
        if let Some(s) = stdin {
            input.write_all(s.as_bytes()).unwrap();
        }
    }
    let out = child.wait_with_output().unwrap();
    Run {
        args: args.iter().map(|s| s.to_string()).collect(),
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs pdsctl on a pseudo-terminal (util-linux `script`), so stdout is a tty: what an
/// operator sees. Returns the output with `\r\n` turned into `\n`.
pub fn pdsctl_on_tty(socket: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
    pdsctl_on_tty_typing(socket, args, env, None)
}

/// [`pdsctl_on_tty`] with `typed` entered on the terminal (for prompts). The input stays
/// open until pdsctl exits: `script` stops passing keys on once its stdin ends.
pub fn pdsctl_on_tty_typing(
    socket: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    typed: Option<&str>,
) -> String {
    let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
    let mut line = format!(
        "{} --socket {}",
        quote(PDSCTL),
        quote(&socket.to_string_lossy())
    );
    for a in args {
        line.push(' ');
        line.push_str(&quote(a));
    }
    let mut child = Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .env_remove("NO_COLOR")
        .env("TERM", "xterm")
        .envs(env.iter().copied())
        .stdin(if typed.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("script (util-linux) runs");
    let stdin = child.stdin.take().map(|mut s| {
        s.write_all(typed.unwrap_or_default().as_bytes()).unwrap();
        s
    });
    let out = child.wait_with_output().unwrap();
    drop(stdin);
    String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n")
}

/// A small XRPC client for writing test data over HTTP.
pub struct Xrpc {
    pub http: reqwest::Client,
    pub base: String,
}

impl Xrpc {
    pub fn new(pds: &Pdsd) -> Xrpc {
        let _ = rustls::crypto::ring::default_provider().install_default();
        Xrpc {
            http: reqwest::Client::new(),
            base: pds.url(),
        }
    }

    /// Logs in; the access token.
    pub async fn login(&self, identifier: &str, password: &str) -> String {
        let (status, body) = self
            .post(
                "com.atproto.server.createSession",
                None,
                serde_json::json!({ "identifier": identifier, "password": password }),
            )
            .await;
        assert_eq!(status, 200, "login {identifier}: {body}");
        body["accessJwt"].as_str().unwrap().to_string()
    }

    pub async fn post(
        &self,
        nsid: &str,
        token: Option<&str>,
        body: serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let mut req = self
            .http
            .post(format!("{}/xrpc/{nsid}", self.base))
            .json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(serde_json::Value::Null))
    }

    /// Uploads a blob; the blob ref.
    pub async fn upload(&self, token: &str, mime: &str, bytes: Vec<u8>) -> serde_json::Value {
        let resp = self
            .http
            .post(format!("{}/xrpc/com.atproto.repo.uploadBlob", self.base))
            .bearer_auth(token)
            .header("content-type", mime)
            .body(bytes)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200);
        let body: serde_json::Value = resp.json().await.unwrap();
        body["blob"].clone()
    }

    /// Creates `count` posts with applyWrites, 200 per call (the lexicon's limit).
    pub async fn create_posts(&self, token: &str, did: &str, count: usize) {
        let mut done = 0;
        while done < count {
            let n = (count - done).min(200);
            let writes: Vec<serde_json::Value> = (done..done + n)
                .map(|i| {
                    serde_json::json!({
                        "$type": "com.atproto.repo.applyWrites#create",
                        "collection": "app.bsky.feed.post",
                        "value": {
                            "$type": "app.bsky.feed.post",
                            "text": format!("post {i}"),
                            "createdAt": "2026-01-01T00:00:00.000Z",
                        },
                    })
                })
                .collect();
            let (status, body) = self
                .post(
                    "com.atproto.repo.applyWrites",
                    Some(token),
                    serde_json::json!({ "repo": did, "writes": writes }),
                )
                .await;
            assert_eq!(status, 200, "applyWrites: {body}");
            done += n;
        }
    }

    /// The account's `#atproto` signing key as a did:key, from pdsd's embedded PLC directory.
    pub async fn signing_key(&self, did: &str) -> String {
        let doc: serde_json::Value = self
            .http
            .get(format!("{}/plc/{did}", self.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let method = doc["verificationMethod"]
            .as_array()
            .and_then(|m| {
                m.iter()
                    .find(|v| v["id"].as_str().is_some_and(|id| id.ends_with("#atproto")))
            })
            .unwrap_or_else(|| panic!("no #atproto key in {doc}"));
        format!("did:key:{}", method["publicKeyMultibase"].as_str().unwrap())
    }
}

/// Installs Node 22 and the official JS clients (tests/js/setup.sh, idempotent; serialised
/// with flock as pdsd's tests do) and returns the node binary.
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

/// Runs `pdsctl/tests/js/<script>` as an ES module from tests/js (where the packages are);
/// returns its last stdout line as JSON.
pub fn run_js_module(script: &str, env: &[(&str, &str)]) -> serde_json::Value {
    let node = node();
    let source = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/js")
            .join(script),
    )
    .unwrap();
    let mut child = Command::new(node)
        .args(["--input-type=module", "-"])
        .current_dir(repo_root().join("tests/js"))
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node runs");
    child.stdin.take().unwrap().write_all(&source).unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout.lines().last().unwrap_or("");
    serde_json::from_str(last).unwrap_or_else(|_| {
        panic!(
            "{script} printed no JSON result; stdout: {stdout}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}
