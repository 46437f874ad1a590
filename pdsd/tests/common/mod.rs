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

/// Installs aiosmtpd (tests/smtp/setup.sh, idempotent; serialised with flock since test
/// binaries run in parallel) and returns the venv's python.
pub fn smtp_python() -> PathBuf {
    let smtp = repo_root().join("tests/smtp");
    let status = Command::new("flock")
        .arg(smtp.join(".setup.lock"))
        .arg("bash")
        .arg(smtp.join("setup.sh"))
        .stdout(Stdio::null())
        .status()
        .expect("flock and bash are available");
    assert!(status.success(), "tests/smtp/setup.sh failed");
    smtp.join(".venv/bin/python")
}

/// One message the test SMTP server received.
#[derive(Debug, Clone)]
pub struct Mail {
    /// Envelope recipients.
    pub to: Vec<String>,
    pub subject: String,
    /// The whole file: envelope lines, headers and body.
    pub raw: String,
}

impl Mail {
    /// The emailed code (`XXXXX-XXXXX`, base32 upper case) in the body.
    pub fn token(&self) -> String {
        let is_code = |w: &[u8]| {
            w.len() == 11
                && w[5] == b'-'
                && w.iter()
                    .enumerate()
                    .all(|(i, c)| i == 5 || c.is_ascii_uppercase() || (b'2'..=b'7').contains(c))
        };
        let bytes = self.raw.as_bytes();
        bytes
            .windows(11)
            .enumerate()
            .find(|(i, w)| {
                is_code(w)
                    && (*i == 0 || !bytes[i - 1].is_ascii_alphanumeric())
                    && bytes.get(i + 11).is_none_or(|c| !c.is_ascii_alphanumeric())
            })
            .map(|(_, w)| String::from_utf8_lossy(w).into_owned())
            .unwrap_or_else(|| panic!("no code in mail:\n{}", self.raw))
    }
}

/// An SMTP server (tests/smtp/server.py: no TLS, no auth) on a free loopback port that saves
/// each message as a file; killed when dropped.
pub struct SmtpServer {
    child: Child,
    pub port: u16,
    pub maildir: tempfile::TempDir,
    seen: std::sync::Mutex<std::collections::HashSet<PathBuf>>,
}

/// Starts a test SMTP server (installing aiosmtpd first if needed).
pub fn smtp_server() -> SmtpServer {
    let python = smtp_python();
    let script = repo_root().join("tests/smtp/server.py");
    // A port picked by binding :0 may be taken again before the server binds it: retry.
    for _ in 0..5 {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let maildir = tempfile::tempdir().unwrap();
        let mut child = Command::new(&python)
            .arg(&script)
            .arg(port.to_string())
            .arg(maildir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the SMTP test server starts");
        let mut line = String::new();
        let _ = BufReader::new(child.stdout.take().unwrap()).read_line(&mut line);
        if line.trim() == "ready" {
            return SmtpServer {
                child,
                port,
                maildir,
                seen: Default::default(),
            };
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    panic!("the SMTP test server did not start");
}

impl SmtpServer {
    /// pdsd flags that send mail here.
    pub fn pdsd_flags(&self) -> Vec<String> {
        vec![
            "--email-smtp-url".into(),
            format!("smtp://127.0.0.1:{}", self.port),
            "--email-from-address".into(),
            "noreply@test".into(),
        ]
    }

    fn files(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.maildir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
            .collect();
        files.sort();
        files
    }

    /// How many messages arrived so far.
    pub fn count(&self) -> usize {
        self.files().len()
    }

    /// The oldest message to `to` not returned before; waits up to 10 s for one.
    pub fn next_mail(&self, to: &str) -> Mail {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            for path in self.files() {
                if self.seen.lock().unwrap().contains(&path) {
                    continue;
                }
                let raw = std::fs::read_to_string(&path).unwrap();
                let header = |name: &str| -> Vec<String> {
                    raw.lines()
                        .take_while(|l| !l.is_empty())
                        .filter_map(|l| l.strip_prefix(name))
                        .map(|v| v.trim().to_string())
                        .collect()
                };
                let rcpt = header("X-Rcpt-To:");
                if !rcpt.iter().any(|r| r.eq_ignore_ascii_case(to)) {
                    continue;
                }
                self.seen.lock().unwrap().insert(path);
                return Mail {
                    to: rcpt,
                    subject: header("Subject:").into_iter().next().unwrap_or_default(),
                    raw,
                };
            }
            assert!(Instant::now() < deadline, "no mail to {to} arrived");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A running `tests/js` script (for scripts that must be running while the test acts, such as
/// a firehose consumer). Its stderr is echoed; stdout is kept for the JSON result.
pub struct JsChild {
    child: Child,
    script: String,
    stderr_lines: std::sync::mpsc::Receiver<String>,
    stdout: Option<std::thread::JoinHandle<String>>,
}

/// Starts `tests/js/<script>` with Node 22 and the given environment.
pub fn spawn_js(script: &str, env: &[(&str, &str)]) -> JsChild {
    let node = node();
    let js = repo_root().join("tests/js");
    let mut child = Command::new(&node)
        .arg(js.join(script))
        .current_dir(&js)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node runs");
    let (tx, stderr_lines) = std::sync::mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    let name = script.to_string();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            eprintln!("[{name}] {line}");
            let _ = tx.send(line);
        }
    });
    let mut out = child.stdout.take().unwrap();
    // Read stdout as it comes: node blocks on a full pipe.
    let stdout = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut out, &mut s);
        s
    });
    JsChild {
        child,
        script: script.to_string(),
        stderr_lines,
        stdout: Some(stdout),
    }
}

impl JsChild {
    /// Waits for a stderr line starting with `prefix` and returns it.
    pub fn wait_for_stderr(&self, prefix: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stderr_lines.recv_timeout(left) {
                Ok(line) if line.starts_with(prefix) => return line,
                Ok(_) => {}
                Err(_) => panic!("{} wrote no line starting with {prefix:?}", self.script),
            }
        }
    }

    /// Waits for the script to end and returns its result line, parsed.
    pub fn finish(mut self) -> serde_json::Value {
        let _ = self.child.wait();
        let stdout = self.stdout.take().unwrap().join().unwrap_or_default();
        let last = stdout.lines().last().unwrap_or("");
        serde_json::from_str(last)
            .unwrap_or_else(|_| panic!("{} printed no JSON result; stdout: {stdout}", self.script))
    }
}

impl Drop for JsChild {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An account on a test pdsd and its access token.
#[derive(Debug, Clone)]
pub struct Account {
    pub did: String,
    pub handle: String,
    pub access_jwt: String,
}

impl Account {
    pub fn bearer(&self) -> String {
        format!("Bearer {}", self.access_jwt)
    }
}

/// A small XRPC client for one pdsd: JSON in, (status, JSON or bytes) out, no retries.
#[derive(Clone)]
pub struct Xrpc {
    pub http: reqwest::Client,
    pub base: String,
}

impl Xrpc {
    pub fn new(pds: &Pdsd) -> Xrpc {
        Xrpc::for_url(&pds.url())
    }

    pub fn for_url(base: &str) -> Xrpc {
        pdsd::plc::install_crypto_provider();
        Xrpc {
            http: reqwest::Client::new(),
            base: base.to_string(),
        }
    }

    /// A procedure; `Err` only when the request could not be sent or answered.
    pub async fn try_post(
        &self,
        nsid: &str,
        auth: Option<&Account>,
        body: &serde_json::Value,
    ) -> Result<(u16, serde_json::Value), reqwest::Error> {
        let mut req = self
            .http
            .post(format!("{}/xrpc/{nsid}", self.base))
            .json(body);
        if let Some(a) = auth {
            req = req.header("authorization", a.bearer());
        }
        let resp = req.send().await?;
        let status = resp.status().as_u16();
        let text = resp.text().await?;
        Ok((
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
        ))
    }

    pub async fn post(
        &self,
        nsid: &str,
        auth: Option<&Account>,
        body: serde_json::Value,
    ) -> (u16, serde_json::Value) {
        self.try_post(nsid, auth, &body).await.unwrap()
    }

    /// A query; the body as bytes.
    pub async fn get_bytes(&self, nsid: &str, query: &[(&str, &str)]) -> (u16, Vec<u8>) {
        let mut url = format!("{}/xrpc/{nsid}", self.base);
        if !query.is_empty() {
            url.push('?');
            url.push_str(
                &form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(query)
                    .finish(),
            );
        }
        let resp = self.http.get(url).send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.bytes().await.unwrap().to_vec())
    }

    /// A query; the body as JSON (`Null` when it is not JSON).
    pub async fn get(&self, nsid: &str, query: &[(&str, &str)]) -> (u16, serde_json::Value) {
        let (status, body) = self.get_bytes(nsid, query).await;
        (
            status,
            serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
        )
    }

    /// Creates `<name>.test` (pdsd must run with `--invite-required false`).
    pub async fn create_account(&self, name: &str) -> Account {
        let handle = format!("{name}.test");
        let (status, body) = self
            .post(
                "com.atproto.server.createAccount",
                None,
                serde_json::json!({
                    "handle": handle,
                    "email": format!("{name}@example.com"),
                    "password": "hunter22",
                }),
            )
            .await;
        assert_eq!(status, 200, "createAccount {name}: {body}");
        Account {
            did: body["did"].as_str().unwrap().to_string(),
            handle,
            access_jwt: body["accessJwt"].as_str().unwrap().to_string(),
        }
    }

    /// createRecord that must succeed; returns the output.
    pub async fn create_record(
        &self,
        account: &Account,
        collection: &str,
        rkey: Option<&str>,
        record: serde_json::Value,
    ) -> serde_json::Value {
        let mut input = serde_json::json!({
            "repo": account.did,
            "collection": collection,
            "record": record,
        });
        if let Some(k) = rkey {
            input["rkey"] = k.into();
        }
        let (status, body) = self
            .post("com.atproto.repo.createRecord", Some(account), input)
            .await;
        assert_eq!(status, 200, "createRecord {collection}/{rkey:?}: {body}");
        body
    }

    /// The account's `#atproto` signing key, from pdsd's embedded PLC directory.
    pub async fn signing_key(&self, did: &str) -> atproto::crypto::PublicKey {
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
        atproto::crypto::PublicKey::from_multibase(method["publicKeyMultibase"].as_str().unwrap())
            .unwrap()
    }
}

/// A firehose (`com.atproto.sync.subscribeRepos`) connection.
pub type Firehose =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Connects to the firehose of pdsd at `addr` (`host:port`), from `cursor` when given.
pub async fn subscribe_repos(addr: &str, cursor: Option<i64>) -> Firehose {
    let mut url = format!("ws://{addr}/xrpc/com.atproto.sync.subscribeRepos");
    if let Some(c) = cursor {
        url.push_str(&format!("?cursor={c}"));
    }
    let (ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("the firehose accepts the connection");
    ws
}

/// The next binary frame as (header, body), skipping pings; `None` when the stream ends or
/// nothing arrives within `timeout`.
pub async fn next_frame(
    ws: &mut Firehose,
    timeout: Duration,
) -> Option<(atproto::cbor::Value, atproto::cbor::Value)> {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let msg = tokio::time::timeout_at(deadline, ws.next()).await.ok()??;
        match msg.ok()? {
            Message::Binary(bytes) => {
                return Some(pdsd::sequencer::frame::parse_frame(&bytes).expect("frame decodes"));
            }
            Message::Close(_) => return None,
            _ => {}
        }
    }
}

/// A repository CAR (`sync.getRepo`) checked with the `atproto` crate: the first root is a v3
/// commit for `did` signed by `key`, every block hashes to its CID, the MST is complete, is
/// the canonical tree of its entries, and every record it points to is in the CAR. Returns the
/// commit and the records as (`collection/rkey`, CID), in key order.
pub fn verify_repo_car(
    car: &[u8],
    did: &str,
    key: &atproto::crypto::PublicKey,
) -> (atproto::commit::Commit, Vec<(String, atproto::Cid)>) {
    use atproto::blockstore::MemoryBlockStore;
    use atproto::mst::Mst;
    let (roots, blocks) = atproto::car::read_car(car).expect("the CAR reads and its blocks verify");
    let mut store = MemoryBlockStore::new();
    for (cid, bytes) in blocks {
        store.put(cid, bytes);
    }
    let root = *roots.first().expect("the CAR has a root");
    let commit = atproto::commit::Commit::decode(store.get(&root).expect("the commit block"))
        .expect("the root is a commit");
    assert_eq!(commit.did.as_str(), did, "the commit names another DID");
    assert_eq!(commit.version, 3);
    commit
        .verify(key)
        .expect("the commit is signed by the account's key");
    let entries = Mst::load(&store, commit.data)
        .and_then(|mut m| m.entries(&store))
        .expect("the MST is complete");
    // A tree built from nothing stays in memory: the empty store is never read.
    let empty = MemoryBlockStore::new();
    let mut rebuilt = Mst::new();
    for (k, v) in &entries {
        assert!(
            store.contains(v),
            "record {k} ({v}) is missing from the CAR"
        );
        rebuilt.insert(&empty, k, *v).unwrap();
    }
    assert_eq!(rebuilt.root(), commit.data, "the MST is not canonical");
    (commit, entries)
}

/// Installs moto's S3 server (tests/s3/setup.sh, idempotent; serialised with flock since test
/// binaries run in parallel) and returns its `moto_server` binary.
pub fn moto_server() -> PathBuf {
    let s3 = repo_root().join("tests/s3");
    let status = Command::new("flock")
        .arg(s3.join(".setup.lock"))
        .arg("bash")
        .arg(s3.join("setup.sh"))
        .stdout(Stdio::null())
        .status()
        .expect("flock and bash are available");
    assert!(status.success(), "tests/s3/setup.sh failed");
    s3.join(".venv/bin/moto_server")
}

/// An S3 server (moto) on a free loopback port holding one empty bucket; killed when dropped.
pub struct S3Server {
    child: Child,
    pub port: u16,
    pub bucket: String,
}

/// One plain HTTP/1.1 request to 127.0.0.1:`port`; the status and body.
fn http_request(port: u16, method: &str, path: &str) -> std::io::Result<(u16, String)> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )?;
    let mut out = Vec::new();
    s.read_to_end(&mut out)?;
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    Ok((status, body.to_string()))
}

/// Starts an S3 server (installing moto first if needed) and creates its bucket.
pub fn s3_server() -> S3Server {
    let bin = moto_server();
    let bucket = "pdsd-blobs".to_string();
    // A port picked by binding :0 may be taken again before the server binds it: retry.
    for _ in 0..5 {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut child = Command::new(&bin)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server starts");
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            if let Ok((200, _)) = http_request(port, "PUT", &format!("/{bucket}")) {
                return S3Server {
                    child,
                    port,
                    bucket,
                };
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    panic!("the S3 test server did not start");
}

impl S3Server {
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// pdsd flags that keep blobs in this server's bucket.
    pub fn pdsd_flags(&self) -> Vec<String> {
        [
            ("--blobstore-s3-bucket", self.bucket.clone()),
            ("--blobstore-s3-endpoint", self.endpoint()),
            ("--blobstore-s3-region", "us-east-1".into()),
            ("--blobstore-s3-force-path-style", "true".into()),
            ("--blobstore-s3-access-key-id", "test".into()),
            ("--blobstore-s3-secret-access-key", "test".into()),
        ]
        .into_iter()
        .flat_map(|(k, v)| [k.to_string(), v])
        .collect()
    }

    /// Keys of the bucket's objects under `prefix`.
    pub fn keys(&self, prefix: &str) -> Vec<String> {
        let (status, body) = http_request(
            self.port,
            "GET",
            &format!("/{}?list-type=2&prefix={prefix}", self.bucket),
        )
        .unwrap();
        assert_eq!(status, 200, "{body}");
        body.split("<Key>")
            .skip(1)
            .filter_map(|s| s.split("</Key>").next())
            .map(str::to_string)
            .collect()
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
