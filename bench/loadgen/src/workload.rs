//! The workloads. Each timed workload runs `concurrency` workers, each with its own keep-alive
//! connection, for a warm-up then a measured window; CPU is sampled at the window's edges.

use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::RunArgs;
use crate::http::{Body, Conn};
use crate::stats::{self, CpuUse, DirSize, Latency, Procs, round};
use crate::ws::{WsConn, decode_frame};

const POST: &str = "app.bsky.feed.post";
/// A collection without a lexicon, for records that hold a 1 MiB blob (the image embed of
/// app.bsky.feed.post caps blobs at 1,000,000 bytes and wants image/*).
const BLOB_COLLECTION: &str = "com.example.bench.blob";
const PASSWORD: &str = "bench-password-1";

/// One workload's figures.
#[derive(Serialize, Deserialize, Clone, Default)]
pub struct Phase {
    /// Stable identifier (`create_record_c32`), used to pair the two servers' figures.
    pub key: String,
    pub name: String,
    /// Unit of `value`, the headline figure.
    pub unit: String,
    pub value: f64,
    pub concurrency: usize,
    /// Successful requests in the measured window.
    pub ok: u64,
    pub errors: u64,
    #[serde(default)]
    pub error_samples: Vec<String>,
    /// Records, pages or bytes moved in the window (what `value` counts).
    pub items: u64,
    pub latency: Latency,
    pub cpu: CpuUse,
    /// Server CPU per successful request, in microseconds.
    pub server_cpu_us_per_op: f64,
    /// Server RSS and peak RSS (VmHWM) right after the workload, MiB.
    pub server_rss_mib: f64,
    pub server_peak_rss_mib: f64,
    #[serde(default)]
    pub extra: BTreeMap<String, Value>,
}

#[derive(Serialize, Deserialize, Clone)]
pub struct RunResult {
    pub label: String,
    pub url: String,
    pub started_at: String,
    pub args: RunArgs,
    pub phases: Vec<Phase>,
    pub peak_rss_mib: f64,
    #[serde(default)]
    pub aux_peak_rss_mib: BTreeMap<String, f64>,
    /// Records written over the whole run (every workload), for the at-rest disk figure.
    pub records_written: u64,
    pub disk: Disk,
}

#[derive(Serialize, Deserialize, Clone, Default)]
pub struct Disk {
    pub fresh: DirSize,
    pub after_accounts: DirSize,
    pub after_writes: DirSize,
    /// Records written between `after_accounts` and `after_writes`.
    pub records_between: u64,
    /// (after_writes - after_accounts) / records_between, WAL files included.
    pub live_bytes_per_record: f64,
    /// The same without SQLite's -wal and -shm files.
    pub live_bytes_per_record_no_wal: f64,
    /// The stopped server's data directory (filled in by `loadgen at-rest`).
    pub at_rest: Option<DirSize>,
    /// (at_rest - fresh) / records_written: every file left after a clean stop.
    pub at_rest_bytes_per_record: Option<f64>,
}

#[derive(Clone)]
pub struct Account {
    pub did: String,
    /// `Bearer <accessJwt>`.
    pub auth: String,
}

#[derive(Clone)]
struct BlobRef {
    acct: usize,
    cid: String,
    mime: String,
    size: u64,
}

/// What one request of a workload does.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Job {
    CreateRecord,
    ApplyWrites(usize),
    GetRecord,
    ListRecords,
    GetRepo,
    UploadBlob,
    GetBlob,
}

/// Read-only state shared by the workers of one workload.
struct Shared {
    job: Job,
    accounts: Arc<Vec<Account>>,
    /// Accounts this workload writes to or reads from.
    targets: Vec<usize>,
    records: Arc<Vec<(u32, String)>>,
    blobs: Vec<BlobRef>,
    blob: Arc<Vec<u8>>,
    /// Upload answers each worker keeps (for the getBlob records).
    keep_uploads: usize,
    tag: u64,
    counter: AtomicU64,
    measuring: AtomicBool,
    stop: AtomicBool,
    /// Paced writer: request k is sent at `start + k / rate`.
    rate: Option<f64>,
    start: Instant,
}

#[derive(Default)]
struct WorkerOut {
    ok: u64,
    errors: u64,
    items: u64,
    /// Everything successful, warm-up included (records written, for disk per record).
    ok_items_all: u64,
    lat_us: Vec<i64>,
    err_samples: Vec<String>,
    created: Vec<(u32, String)>,
    /// (hash of repo DID and rev, when the writer read the answer)
    acks: Vec<(u64, Instant)>,
    uploaded: Vec<BlobRef>,
}

impl WorkerOut {
    fn error(&mut self, measuring: bool, e: String) {
        if measuring {
            self.errors += 1;
        }
        if self.err_samples.len() < 4 && !self.err_samples.contains(&e) {
            self.err_samples.push(e);
        }
    }
}

pub fn commit_key(did: &str, rev: &str) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    did.hash(&mut h);
    rev.hash(&mut h);
    h.finish()
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// RFC 3339 UTC with milliseconds, as atproto datetimes want.
pub fn now_rfc3339() -> String {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = d.as_secs() as i64;
    let (days, sod) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        sod / 3600,
        sod / 60 % 60,
        sod % 60,
        d.subsec_millis()
    )
}

fn post_json(k: u64) -> String {
    format!(
        r#"{{"$type":"{POST}","text":"loadgen post {k}: the quick brown fox jumps over the lazy dog","createdAt":"{}"}}"#,
        now_rfc3339()
    )
}

fn err_text(status: u16, body: &[u8]) -> String {
    let b = String::from_utf8_lossy(&body[..body.len().min(200)]);
    format!("HTTP {status}: {b}")
}

#[derive(Deserialize)]
struct CreateOut {
    uri: String,
    commit: Option<CommitMeta>,
}

#[derive(Deserialize)]
struct CommitMeta {
    rev: String,
}

fn json_auth(a: &Account) -> [(&'static str, &str); 2] {
    [
        ("Content-Type", "application/json"),
        ("Authorization", a.auth.as_str()),
    ]
}

/// One request of the workload's job. Returns the items it moved (records, pages, bytes).
async fn do_job(
    conn: &mut Conn,
    sh: &Shared,
    k: u64,
    out: &mut WorkerOut,
    scratch: &mut Vec<u8>,
) -> Result<u64, String> {
    match sh.job {
        Job::CreateRecord => {
            let ai = sh.targets[(k % sh.targets.len() as u64) as usize];
            let a = &sh.accounts[ai];
            let body = format!(
                r#"{{"repo":"{}","collection":"{POST}","record":{}}}"#,
                a.did,
                post_json(k)
            );
            let r = conn
                .request(
                    "POST",
                    "/xrpc/com.atproto.repo.createRecord",
                    &json_auth(a),
                    body.as_bytes(),
                    Body::Keep,
                )
                .await
                .map_err(|e| e.to_string())?;
            let acked = Instant::now();
            if !r.ok() {
                return Err(err_text(r.status, &r.body));
            }
            let o: CreateOut =
                serde_json::from_slice(&r.body).map_err(|e| format!("createRecord answer: {e}"))?;
            if let Some(c) = &o.commit {
                out.acks.push((commit_key(&a.did, &c.rev), acked));
            }
            if let Some(rkey) = o.uri.rsplit('/').next() {
                out.created.push((ai as u32, rkey.to_string()));
            }
            Ok(1)
        }
        Job::ApplyWrites(n) => {
            let ai = sh.targets[(k % sh.targets.len() as u64) as usize];
            let a = &sh.accounts[ai];
            let mut body = format!(r#"{{"repo":"{}","writes":["#, a.did);
            for i in 0..n {
                if i > 0 {
                    body.push(',');
                }
                body.push_str(r#"{"$type":"com.atproto.repo.applyWrites#create","collection":""#);
                body.push_str(POST);
                body.push_str(r#"","value":"#);
                body.push_str(&post_json(k * 1000 + i as u64));
                body.push('}');
            }
            body.push_str("]}");
            let r = conn
                .request(
                    "POST",
                    "/xrpc/com.atproto.repo.applyWrites",
                    &json_auth(a),
                    body.as_bytes(),
                    Body::Keep,
                )
                .await
                .map_err(|e| e.to_string())?;
            if !r.ok() {
                return Err(err_text(r.status, &r.body));
            }
            Ok(n as u64)
        }
        Job::GetRecord => {
            let (ai, rkey) = &sh.records[(splitmix(k ^ sh.tag) % sh.records.len() as u64) as usize];
            let did = &sh.accounts[*ai as usize].did;
            let path = format!(
                "/xrpc/com.atproto.repo.getRecord?repo={did}&collection={POST}&rkey={rkey}"
            );
            let r = conn
                .request("GET", &path, &[], &[], Body::Keep)
                .await
                .map_err(|e| e.to_string())?;
            if !r.ok() {
                return Err(err_text(r.status, &r.body));
            }
            Ok(1)
        }
        Job::ListRecords => {
            let did = &sh.accounts[sh.targets[(k % sh.targets.len() as u64) as usize]].did;
            let path = format!(
                "/xrpc/com.atproto.repo.listRecords?repo={did}&collection={POST}&limit=100"
            );
            let r = conn
                .request("GET", &path, &[], &[], Body::Keep)
                .await
                .map_err(|e| e.to_string())?;
            if !r.ok() {
                return Err(err_text(r.status, &r.body));
            }
            // Cheap check that a full page came back without parsing it.
            let n = r.body.windows(6).filter(|w| w == b"\"uri\":").count();
            if n < 100 {
                return Err(format!("listRecords returned {n} records, expected 100"));
            }
            Ok(1)
        }
        Job::GetRepo => {
            let did = &sh.accounts[sh.targets[(k % sh.targets.len() as u64) as usize]].did;
            let path = format!("/xrpc/com.atproto.sync.getRepo?did={did}");
            let r = conn
                .request("GET", &path, &[], &[], Body::Discard)
                .await
                .map_err(|e| e.to_string())?;
            if !r.ok() {
                return Err(format!("HTTP {}", r.status));
            }
            Ok(r.body_len)
        }
        Job::UploadBlob => {
            let ai = sh.targets[(k % sh.targets.len() as u64) as usize];
            let a = &sh.accounts[ai];
            if scratch.len() != sh.blob.len() {
                scratch.clear();
                scratch.extend_from_slice(&sh.blob);
            }
            // Every upload distinct: the first 16 bytes carry the run tag and the request number.
            scratch[..8].copy_from_slice(&sh.tag.to_le_bytes());
            scratch[8..16].copy_from_slice(&k.to_le_bytes());
            let r = conn
                .request(
                    "POST",
                    "/xrpc/com.atproto.repo.uploadBlob",
                    &[
                        ("Content-Type", "application/octet-stream"),
                        ("Authorization", a.auth.as_str()),
                    ],
                    scratch,
                    Body::Keep,
                )
                .await
                .map_err(|e| e.to_string())?;
            if !r.ok() {
                return Err(err_text(r.status, &r.body));
            }
            if out.uploaded.len() < sh.keep_uploads {
                let v: Value = serde_json::from_slice(&r.body)
                    .map_err(|e| format!("uploadBlob answer: {e}"))?;
                let b = &v["blob"];
                out.uploaded.push(BlobRef {
                    acct: ai,
                    cid: b["ref"]["$link"].as_str().unwrap_or_default().to_string(),
                    mime: b["mimeType"].as_str().unwrap_or_default().to_string(),
                    size: b["size"].as_u64().unwrap_or_default(),
                });
            }
            Ok(sh.blob.len() as u64)
        }
        Job::GetBlob => {
            let b = &sh.blobs[(k % sh.blobs.len() as u64) as usize];
            let did = &sh.accounts[b.acct].did;
            let path = format!("/xrpc/com.atproto.sync.getBlob?did={did}&cid={}", b.cid);
            let r = conn
                .request("GET", &path, &[], &[], Body::Discard)
                .await
                .map_err(|e| e.to_string())?;
            if !r.ok() {
                return Err(format!("HTTP {}", r.status));
            }
            if r.body_len != b.size {
                return Err(format!(
                    "getBlob returned {} bytes, expected {}",
                    r.body_len, b.size
                ));
            }
            Ok(r.body_len)
        }
    }
}

async fn worker(addr: SocketAddr, sh: Arc<Shared>) -> WorkerOut {
    let mut conn = Conn::new(addr);
    let mut out = WorkerOut::default();
    let mut scratch = Vec::new();
    loop {
        if sh.stop.load(Ordering::Relaxed) {
            break;
        }
        let k = sh.counter.fetch_add(1, Ordering::Relaxed);
        if let Some(rate) = sh.rate {
            let due = sh.start + Duration::from_secs_f64(k as f64 / rate);
            tokio::time::sleep_until(due.into()).await;
            if sh.stop.load(Ordering::Relaxed) {
                break;
            }
        }
        let measuring_at_start = sh.measuring.load(Ordering::Relaxed);
        let t0 = Instant::now();
        let r = do_job(&mut conn, &sh, k, &mut out, &mut scratch).await;
        let measuring = measuring_at_start && sh.measuring.load(Ordering::Relaxed);
        match r {
            Ok(items) => {
                out.ok_items_all += items;
                if measuring {
                    out.ok += 1;
                    out.items += items;
                    out.lat_us.push(t0.elapsed().as_micros() as i64);
                }
            }
            Err(e) => {
                out.error(measuring, e);
                // Do not spin on a dead server.
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
    }
    out
}

struct Merged {
    ok: u64,
    errors: u64,
    items: u64,
    ok_items_all: u64,
    lat_us: Vec<i64>,
    err_samples: Vec<String>,
    created: Vec<(u32, String)>,
    acks: Vec<(u64, Instant)>,
    uploaded: Vec<BlobRef>,
    cpu: CpuUse,
    wall: f64,
}

/// Runs a workload's workers for `warmup` then `duration` (measured).
async fn run_workers(
    addr: SocketAddr,
    procs: &Procs,
    sh: Shared,
    concurrency: usize,
    warmup: Duration,
    duration: Duration,
) -> Merged {
    let sh = Arc::new(sh);
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        set.spawn(worker(addr, sh.clone()));
    }
    tokio::time::sleep(warmup).await;
    let a = procs.snap();
    sh.measuring.store(true, Ordering::Relaxed);
    tokio::time::sleep(duration).await;
    sh.measuring.store(false, Ordering::Relaxed);
    let b = procs.snap();
    sh.stop.store(true, Ordering::Relaxed);
    let mut m = Merged {
        ok: 0,
        errors: 0,
        items: 0,
        ok_items_all: 0,
        lat_us: Vec::new(),
        err_samples: Vec::new(),
        created: Vec::new(),
        acks: Vec::new(),
        uploaded: Vec::new(),
        cpu: stats::cpu_between(procs, &a, &b),
        wall: (b.at - a.at).as_secs_f64(),
    };
    while let Some(r) = set.join_next().await {
        let o = r.expect("worker panicked");
        m.ok += o.ok;
        m.errors += o.errors;
        m.items += o.items;
        m.ok_items_all += o.ok_items_all;
        m.lat_us.extend(o.lat_us);
        for e in o.err_samples {
            if m.err_samples.len() < 6 && !m.err_samples.contains(&e) {
                m.err_samples.push(e);
            }
        }
        m.created.extend(o.created);
        m.acks.extend(o.acks);
        m.uploaded.extend(o.uploaded);
    }
    m
}

struct Bench {
    args: RunArgs,
    addr: SocketAddr,
    procs: Procs,
    accounts: Arc<Vec<Account>>,
    writers: Vec<usize>,
    big: Option<usize>,
    apply_targets: Vec<usize>,
    records: Vec<(u32, String)>,
    records_written: u64,
    phases: Vec<Phase>,
    tag: u64,
    http_rt: tokio::runtime::Runtime,
    fh_rt: tokio::runtime::Runtime,
}

fn runtime(threads: usize) -> tokio::runtime::Runtime {
    if threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_all()
            .build()
    }
    .expect("tokio runtime")
}

fn rss(pid: u32) -> (f64, f64) {
    let mib = |k: Option<u64>| round(k.unwrap_or(0) as f64 / 1024.0, 1);
    (
        mib(stats::status_kib(pid, "VmRSS")),
        mib(stats::status_kib(pid, "VmHWM")),
    )
}

impl Bench {
    fn shared(&self, job: Job, targets: Vec<usize>) -> Shared {
        Shared {
            job,
            accounts: self.accounts.clone(),
            targets,
            records: Arc::new(Vec::new()),
            blobs: Vec::new(),
            blob: Arc::new(Vec::new()),
            keep_uploads: 0,
            tag: self.tag,
            counter: AtomicU64::new(0),
            measuring: AtomicBool::new(false),
            stop: AtomicBool::new(false),
            rate: None,
            start: Instant::now(),
        }
    }

    fn wanted(&self, group: &str) -> bool {
        self.args.only.is_empty() || self.args.only.iter().any(|g| g == group)
    }

    fn finish_phase(&mut self, mut p: Phase) {
        let (rss_now, hwm) = rss(self.procs.server);
        p.server_rss_mib = rss_now;
        p.server_peak_rss_mib = hwm;
        p.server_cpu_us_per_op = if p.ok > 0 {
            round(p.cpu.server_cpu_s * 1e6 / p.ok as f64, 1)
        } else {
            0.0
        };
        let lat = if p.latency.p50_ms != 0.0 || p.latency.p99_ms != 0.0 {
            format!(
                " p50 {:.2} ms p99 {:.2} ms",
                p.latency.p50_ms, p.latency.p99_ms
            )
        } else {
            String::new()
        };
        eprintln!(
            "  {:<32} {:>10.1} {:<12} ok {:>7} err {:>4}{lat}  cores: server {:.2} loadgen {:.2} other {:.2}",
            p.name,
            p.value,
            p.unit,
            p.ok,
            p.errors,
            p.cpu.server_cores,
            p.cpu.loadgen_cores,
            p.cpu.other_cores
        );
        for e in &p.error_samples {
            eprintln!("    error: {e}");
        }
        self.phases.push(p);
    }

    /// A timed workload; `value` is items per second, divided by `scale` (bytes -> MB).
    fn timed(
        &mut self,
        key: &str,
        name: &str,
        unit: &str,
        scale: f64,
        sh: Shared,
        concurrency: usize,
    ) -> Merged {
        let warmup = Duration::from_secs_f64(self.args.warmup);
        let duration = Duration::from_secs_f64(self.args.duration);
        let m = self.http_rt.block_on(run_workers(
            self.addr,
            &self.procs,
            sh,
            concurrency,
            warmup,
            duration,
        ));
        let mut lat = m.lat_us.clone();
        let p = Phase {
            key: key.into(),
            name: name.into(),
            unit: unit.into(),
            value: round(m.items as f64 / scale / m.wall, 2),
            concurrency,
            ok: m.ok,
            errors: m.errors,
            error_samples: m.err_samples.clone(),
            items: m.items,
            latency: stats::latency(&mut lat),
            cpu: m.cpu.clone(),
            ..Default::default()
        };
        self.finish_phase(p);
        m
    }

    fn create_accounts(&mut self) -> Result<(), String> {
        let n = self.args.accounts;
        let addr = self.addr;
        let tag = self.tag;
        let procs = self.procs.clone();
        let (accounts, m, errors) = self.http_rt.block_on(async move {
            let mut conn = Conn::new(addr);
            let mut accounts = Vec::new();
            let mut lat = Vec::new();
            let mut errors = Vec::new();
            let a = procs.snap();
            for i in 0..n {
                let handle = format!("b{i}-{:06x}.test", tag & 0xff_ffff);
                let body = json!({
                    "handle": handle,
                    "email": format!("b{i}-{:06x}@bench.test", tag & 0xff_ffff),
                    "password": PASSWORD,
                })
                .to_string();
                let t0 = Instant::now();
                let r = conn
                    .request(
                        "POST",
                        "/xrpc/com.atproto.server.createAccount",
                        &[("Content-Type", "application/json")],
                        body.as_bytes(),
                        Body::Keep,
                    )
                    .await;
                match r {
                    Ok(r) if r.ok() => {
                        lat.push(t0.elapsed().as_micros() as i64);
                        let v: Value =
                            serde_json::from_slice(&r.body).map_err(|e| e.to_string())?;
                        let did = v["did"].as_str().unwrap_or_default().to_string();
                        let jwt = v["accessJwt"].as_str().unwrap_or_default().to_string();
                        accounts.push(Account {
                            auth: format!("Bearer {jwt}"),
                            did,
                        });
                    }
                    Ok(r) => errors.push(err_text(r.status, &r.body)),
                    Err(e) => errors.push(e.to_string()),
                }
            }
            let b = procs.snap();
            Ok::<_, String>((
                accounts,
                (
                    stats::cpu_between(&procs, &a, &b),
                    lat,
                    (b.at - a.at).as_secs_f64(),
                ),
                errors,
            ))
        })?;
        let (cpu, mut lat, wall) = m;
        let p = Phase {
            key: "create_account".into(),
            name: "createAccount (sequential)".into(),
            unit: "accounts/s".into(),
            value: round(accounts.len() as f64 / wall, 2),
            concurrency: 1,
            ok: accounts.len() as u64,
            errors: errors.len() as u64,
            error_samples: errors.iter().take(4).cloned().collect(),
            items: accounts.len() as u64,
            latency: stats::latency(&mut lat),
            cpu,
            ..Default::default()
        };
        self.finish_phase(p);
        if accounts.len() < self.args.writers + 1 {
            return Err(format!(
                "only {} of {n} accounts were created; the workloads need {}",
                accounts.len(),
                self.args.writers + 1
            ));
        }
        let w = self.args.writers;
        self.writers = (0..w).collect();
        self.big = Some(w);
        // applyWrites gets accounts of its own when there are enough: its hundreds of thousands
        // of records would otherwise make the later createRecord-based workloads (the firehose
        // writer) run on repositories whose size depends on how fast applyWrites was.
        self.apply_targets = (w + 1..accounts.len().min(2 * w + 1)).collect();
        if self.apply_targets.is_empty() {
            self.apply_targets = self.writers.clone();
        }
        self.accounts = Arc::new(accounts);
        Ok(())
    }

    fn create_records(&mut self) {
        for c in self.args.create_concurrency.clone() {
            let sh = self.shared(Job::CreateRecord, self.writers.clone());
            let m = self.timed(
                &format!("create_record_c{c}"),
                &format!("createRecord c={c}"),
                "records/s",
                1.0,
                sh,
                c,
            );
            self.records_written += m.ok_items_all;
            self.records.extend(m.created);
        }
    }

    fn apply_writes(&mut self) {
        for n in self.args.apply_sizes.clone() {
            let sh = self.shared(Job::ApplyWrites(n), self.apply_targets.clone());
            let c = self.args.apply_concurrency;
            let m = self.timed(
                &format!("apply_writes_{n}"),
                &format!("applyWrites {n} creates c={c}"),
                "records/s",
                1.0,
                sh,
                c,
            );
            self.records_written += m.ok_items_all;
        }
    }

    /// Fills the repository that getRepo downloads, with applyWrites of 200 (not a workload).
    fn fill_big_repo(&mut self) -> Result<(), String> {
        let Some(big) = self.big else { return Ok(()) };
        let want = self.args.repo_records;
        let addr = self.addr;
        let mut sh = self.shared(Job::ApplyWrites(200), vec![big]);
        sh.measuring = AtomicBool::new(true);
        let t0 = Instant::now();
        let (done, errors) = self.http_rt.block_on(async move {
            let mut conn = Conn::new(addr);
            let mut out = WorkerOut::default();
            let mut scratch = Vec::new();
            let mut done = 0usize;
            let mut k = 0;
            let mut failures = 0;
            while done < want && failures < 10 {
                let n = (want - done).min(200);
                sh.job = Job::ApplyWrites(n);
                match do_job(&mut conn, &sh, k, &mut out, &mut scratch).await {
                    Ok(items) => done += items as usize,
                    Err(e) => {
                        failures += 1;
                        out.error(true, e);
                    }
                }
                k += 1;
            }
            (done, out.err_samples)
        });
        self.records_written += done as u64;
        eprintln!(
            "  filled a {done}-record repository for getRepo in {:.1} s",
            t0.elapsed().as_secs_f64()
        );
        if done < want {
            return Err(format!("could not fill the getRepo repository: {errors:?}"));
        }
        Ok(())
    }

    fn reads(&mut self) {
        if self.wanted("get_record") {
            if self.records.is_empty() {
                eprintln!("  getRecord skipped: no records were created");
            } else {
                let mut sh = self.shared(Job::GetRecord, vec![]);
                sh.records = Arc::new(self.records.clone());
                let c = self.args.get_concurrency;
                self.timed(
                    &format!("get_record_c{c}"),
                    &format!("getRecord c={c}"),
                    "req/s",
                    1.0,
                    sh,
                    c,
                );
            }
        }
        if self.wanted("list_records") {
            let sh = self.shared(Job::ListRecords, self.writers.clone());
            let c = self.args.list_concurrency;
            self.timed(
                &format!("list_records_c{c}"),
                &format!("listRecords 100 c={c}"),
                "pages/s",
                1.0,
                sh,
                c,
            );
        }
        if self.wanted("get_repo")
            && let Some(big) = self.big
        {
            let sh = self.shared(Job::GetRepo, vec![big]);
            let c = self.args.getrepo_concurrency;
            let m = self.timed(
                "get_repo",
                &format!("sync.getRepo {} records", self.args.repo_records),
                "MB/s",
                1e6,
                sh,
                c,
            );
            if m.ok > 0
                && let Some(p) = self.phases.last_mut()
            {
                p.extra.insert("car_bytes".into(), json!(m.items / m.ok));
            }
        }
    }

    fn blobs(&mut self) -> Result<(), String> {
        let mut blob = vec![0u8; self.args.blob_bytes];
        let mut x = self.tag;
        for chunk in blob.chunks_mut(8) {
            x = splitmix(x);
            let b = x.to_le_bytes();
            chunk.copy_from_slice(&b[..chunk.len()]);
        }
        let blob = Arc::new(blob);
        let c = self.args.blob_concurrency;
        let mib = self.args.blob_bytes as f64 / (1 << 20) as f64;
        let mut sh = self.shared(Job::UploadBlob, self.writers.clone());
        sh.blob = blob.clone();
        sh.keep_uploads = self.args.blob_refs;
        let m = self.timed(
            "upload_blob",
            &format!("uploadBlob {mib} MiB c={c}"),
            "MB/s",
            1e6,
            sh,
            c,
        );
        settle();
        // Blobs are served only once a record uses them: one record per blob.
        let refs: Vec<BlobRef> = m.uploaded.into_iter().take(self.args.blob_refs).collect();
        if refs.is_empty() {
            return Err("no blob was uploaded".into());
        }
        let accounts = self.accounts.clone();
        let addr = self.addr;
        let refs2 = refs.clone();
        let linked = self.http_rt.block_on(async move {
            let mut conn = Conn::new(addr);
            let mut linked = Vec::new();
            for b in refs2 {
                let a = &accounts[b.acct];
                let body = json!({
                    "repo": a.did,
                    "collection": BLOB_COLLECTION,
                    "record": {
                        "$type": BLOB_COLLECTION,
                        "blob": {"$type": "blob", "ref": {"$link": b.cid}, "mimeType": b.mime, "size": b.size},
                        "createdAt": now_rfc3339(),
                    },
                })
                .to_string();
                let r = conn
                    .request(
                        "POST",
                        "/xrpc/com.atproto.repo.createRecord",
                        &[("Content-Type", "application/json"), ("Authorization", a.auth.as_str())],
                        body.as_bytes(),
                        Body::Keep,
                    )
                    .await;
                match r {
                    Ok(r) if r.ok() => linked.push(b),
                    Ok(r) => eprintln!("    blob record refused: {}", err_text(r.status, &r.body)),
                    Err(e) => eprintln!("    blob record failed: {e}"),
                }
            }
            linked
        });
        self.records_written += linked.len() as u64;
        if linked.is_empty() {
            return Err("no record could reference an uploaded blob".into());
        }
        let mut sh = self.shared(Job::GetBlob, vec![]);
        sh.blobs = linked;
        self.timed(
            "get_blob",
            &format!("getBlob {mib} MiB c={c}"),
            "MB/s",
            1e6,
            sh,
            c,
        );
        Ok(())
    }

    fn firehose(&mut self) {
        for subs in self.args.firehose_subscribers.clone() {
            for rate in [Some(self.args.firehose_rate), None] {
                self.firehose_phase(subs, rate);
            }
        }
    }

    fn firehose_phase(&mut self, subs: usize, rate: Option<f64>) {
        let (key, name) = match rate {
            Some(r) => (
                format!("firehose_{subs}_rate"),
                format!("firehose {subs} sub, writer {r}/s"),
            ),
            None => (
                format!("firehose_{subs}_full"),
                format!(
                    "firehose {subs} sub, writer full c={}",
                    self.args.firehose_writer_concurrency
                ),
            ),
        };
        let addr = self.addr;
        let procs = self.procs.clone();
        let duration = Duration::from_secs_f64(self.args.firehose_duration);
        let warmup = Duration::from_secs_f64(self.args.warmup);
        let mut sh = self.shared(Job::CreateRecord, self.writers.clone());
        sh.rate = rate;
        let writer_c = match rate {
            // Enough writers that a slow answer does not hold back the pace.
            Some(_) => 4,
            None => self.args.firehose_writer_concurrency,
        };
        let res = self.fh_rt.block_on(async move {
            let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
            let counts: Vec<Arc<AtomicU64>> = (0..subs).map(|_| Arc::new(AtomicU64::new(0))).collect();
            let ready = Arc::new(tokio::sync::Semaphore::new(0));
            let mut set = tokio::task::JoinSet::new();
            for count in &counts {
                let count = count.clone();
                let ready = ready.clone();
                let mut stop_rx = stop_rx.clone();
                set.spawn(async move {
                    let mut sub = Subscriber::default();
                    let mut ws = match WsConn::connect(addr, "/xrpc/com.atproto.sync.subscribeRepos").await {
                        Ok(ws) => ws,
                        Err(e) => {
                            sub.error = Some(e.to_string());
                            ready.add_permits(1);
                            return sub;
                        }
                    };
                    ready.add_permits(1);
                    loop {
                        tokio::select! {
                            m = ws.next_message() => match m {
                                Ok(Some(frame)) => {
                                    let t = Instant::now();
                                    match decode_frame(frame) {
                                        Ok(ev) => {
                                            if ev.op == -1 {
                                                sub.error = Some(format!("error frame: {}", ev.error));
                                                break;
                                            }
                                            let k = if ev.kind == "#commit" {
                                                count.fetch_add(1, Ordering::Relaxed);
                                                commit_key(&ev.repo, &ev.rev)
                                            } else {
                                                sub.other += 1;
                                                0
                                            };
                                            sub.events.push((ev.seq.unwrap_or(-1), k, t));
                                        }
                                        Err(e) => {
                                            sub.error = Some(format!("undecodable frame: {e}"));
                                            break;
                                        }
                                    }
                                }
                                Ok(None) => { sub.error = Some("server closed the stream".into()); break; }
                                Err(e) => { sub.error = Some(e.to_string()); break; }
                            },
                            _ = stop_rx.changed() => break,
                        }
                    }
                    sub
                });
            }
            let _ = tokio::time::timeout(Duration::from_secs(10), ready.acquire_many(subs as u32)).await;
            // Let the servers register the subscriptions before the first write.
            tokio::time::sleep(Duration::from_millis(500)).await;
            let writer_start = Instant::now();
            let mut sh = sh;
            sh.start = writer_start;
            let sh = Arc::new(sh);
            let mut writers = tokio::task::JoinSet::new();
            for _ in 0..writer_c {
                writers.spawn(worker(addr, sh.clone()));
            }
            // The warm-up also wakes up a server that polls less often when idle (the
            // reference's sequencer backs off up to 1 s): lag is measured in steady state.
            tokio::time::sleep(warmup).await;
            let a = procs.snap();
            let window_start = Instant::now();
            sh.measuring.store(true, Ordering::Relaxed);
            tokio::time::sleep(duration).await;
            sh.measuring.store(false, Ordering::Relaxed);
            let window_end = Instant::now();
            sh.stop.store(true, Ordering::Relaxed);
            let mut w = WorkerOut::default();
            while let Some(r) = writers.join_next().await {
                let o = r.expect("writer panicked");
                w.ok += o.ok;
                w.errors += o.errors;
                w.lat_us.extend(o.lat_us);
                w.acks.extend(o.acks);
                w.created.extend(o.created);
                w.ok_items_all += o.ok_items_all;
                for e in o.err_samples {
                    if w.err_samples.len() < 6 {
                        w.err_samples.push(e);
                    }
                }
            }
            // Drain: wait until every subscriber has seen as many commits as were acknowledged.
            let want = w.acks.len() as u64;
            let drain_start = Instant::now();
            while drain_start.elapsed() < Duration::from_secs(10)
                && counts.iter().any(|c| c.load(Ordering::Relaxed) < want)
            {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            let drain_secs = drain_start.elapsed().as_secs_f64();
            let b = procs.snap();
            let _ = stop_tx.send(true);
            let mut subs_out = Vec::new();
            while let Some(r) = set.join_next().await {
                subs_out.push(r.expect("subscriber panicked"));
            }
            (
                w,
                subs_out,
                (window_start, window_end),
                drain_secs,
                stats::cpu_between(&procs, &a, &b),
            )
        });
        let (w, subs_out, (window_start, window_end), drain_secs, cpu) = res;
        let window_secs = (window_end - window_start).as_secs_f64();
        self.records_written += w.ok_items_all;
        self.records.extend(w.created.iter().cloned());

        // Every acknowledged commit must reach every subscriber; lag and rate count the commits
        // acknowledged inside the measured window.
        let acks: HashMap<u64, Instant> = w.acks.iter().cloned().collect();
        let in_window = |t: &Instant| *t >= window_start && *t <= window_end;
        let signed_us = |t: Instant, ack: Instant| {
            if t >= ack {
                (t - ack).as_micros() as i64
            } else {
                -((ack - t).as_micros() as i64)
            }
        };
        let mut lags = Vec::new();
        let mut lags_all = Vec::new();
        let mut missing = 0u64;
        let mut gaps = 0u64;
        let mut out_of_order = 0u64;
        let mut rates = Vec::new();
        let mut sub_errors = Vec::new();
        for s in &subs_out {
            if let Some(e) = &s.error {
                sub_errors.push(e.clone());
            }
            let mut seen = 0u64;
            let mut seen_window = 0u64;
            let mut last_seq: Option<i64> = None;
            let mut last_t = window_start;
            for &(seq, key, t) in &s.events {
                if let Some(p) = last_seq {
                    if seq <= p {
                        out_of_order += 1;
                    } else if seq != p + 1 {
                        gaps += 1;
                    }
                }
                last_seq = Some(seq);
                if let Some(&ack) = acks.get(&key) {
                    seen += 1;
                    lags_all.push(signed_us(t, ack));
                    if in_window(&ack) {
                        seen_window += 1;
                        last_t = last_t.max(t);
                        lags.push(signed_us(t, ack));
                    }
                }
            }
            missing += acks.len() as u64 - seen.min(acks.len() as u64);
            let secs = (last_t - window_start).as_secs_f64().max(window_secs);
            rates.push(seen_window as f64 / secs);
        }
        let mean_rate = if rates.is_empty() {
            0.0
        } else {
            rates.iter().sum::<f64>() / rates.len() as f64
        };
        let min_rate = rates.iter().cloned().fold(f64::INFINITY, f64::min);
        let lag = stats::latency(&mut lags);
        let lag_all = stats::latency(&mut lags_all);
        let mut wl = w.lat_us.clone();
        let all_delivered = missing == 0 && sub_errors.is_empty() && subs_out.len() == subs;
        let mut extra = BTreeMap::new();
        extra.insert("subscribers".into(), json!(subs));
        extra.insert(
            "writer_rate".into(),
            json!(round(w.ok as f64 / window_secs, 1)),
        );
        extra.insert("writer_target_rate".into(), json!(rate));
        extra.insert("writer_concurrency".into(), json!(writer_c));
        extra.insert("writer_latency".into(), json!(stats::latency(&mut wl)));
        extra.insert("commits_acked".into(), json!(acks.len()));
        extra.insert("lag".into(), json!(lag));
        extra.insert("lag_including_warmup".into(), json!(lag_all));
        extra.insert(
            "events_per_s_min".into(),
            json!(round(if min_rate.is_finite() { min_rate } else { 0.0 }, 1)),
        );
        extra.insert("missing".into(), json!(missing));
        extra.insert("seq_gaps".into(), json!(gaps));
        extra.insert("seq_out_of_order".into(), json!(out_of_order));
        extra.insert("all_delivered".into(), json!(all_delivered));
        extra.insert("drain_s".into(), json!(round(drain_secs, 3)));
        extra.insert(
            "other_events".into(),
            json!(subs_out.iter().map(|s| s.other).sum::<u64>()),
        );
        let mut errs = w.err_samples.clone();
        errs.extend(sub_errors.into_iter().take(4));
        let p = Phase {
            key,
            name,
            unit: "events/s/sub".into(),
            value: round(mean_rate, 1),
            concurrency: writer_c,
            ok: w.ok,
            errors: w.errors,
            error_samples: errs,
            items: acks.len() as u64,
            latency: lag.clone(),
            cpu,
            extra,
            ..Default::default()
        };
        let line = format!(
            "    delivered all: {all_delivered} (missing {missing}, seq gaps {gaps}), writer {:.0}/s, lag = receive time - writer's answer time",
            w.ok as f64 / window_secs
        );
        self.finish_phase(p);
        eprintln!("{line}");
    }
}

#[derive(Default)]
struct Subscriber {
    events: Vec<(i64, u64, Instant)>,
    other: u64,
    error: Option<String>,
}

fn resolve(url: &str) -> Result<SocketAddr, String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("only http:// URLs are supported: {url}"))?;
    let hostport = rest.split('/').next().unwrap_or(rest);
    let hostport = if hostport.contains(':') {
        hostport.to_string()
    } else {
        format!("{hostport}:80")
    };
    let addr = hostport
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {hostport}: {e}"))?
        .next()
        .ok_or_else(|| format!("cannot resolve {hostport}"))?;
    if !addr.ip().is_loopback() {
        return Err(format!(
            "refusing to load {addr}: the benchmark only targets loopback"
        ));
    }
    Ok(addr)
}

/// Waits for the kernel to write back dirty pages (the blob workloads leave gigabytes) so that
/// one workload's writeback does not slow the next one's I/O.
fn settle() {
    let _ = std::process::Command::new("sync").status();
    std::thread::sleep(Duration::from_millis(300));
}

pub fn run(args: RunArgs) -> Result<(), String> {
    let addr = resolve(&args.url)?;
    if args.accounts < args.writers + 1 {
        return Err(format!(
            "--accounts must be at least --writers + 1 ({})",
            args.writers + 1
        ));
    }
    let procs = Procs {
        server: args.pid,
        aux: args.aux.clone(),
    };
    if stats::cpu_seconds(args.pid).is_none() {
        return Err(format!("no process {}", args.pid));
    }
    let tag = splitmix(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos() as u64
            ^ std::process::id() as u64,
    );
    let started_at = now_rfc3339();
    let mut b = Bench {
        http_rt: runtime(args.threads),
        fh_rt: runtime(args.firehose_threads),
        args: args.clone(),
        addr,
        procs,
        accounts: Arc::new(Vec::new()),
        writers: Vec::new(),
        big: None,
        apply_targets: Vec::new(),
        records: Vec::new(),
        records_written: 0,
        phases: Vec::new(),
        tag,
    };
    let data = args.data_dir.clone();
    let mut disk = Disk {
        fresh: stats::dir_size(&data),
        ..Default::default()
    };
    eprintln!("loadgen: {} at {}", args.label, args.url);
    settle();
    b.create_accounts()?;
    disk.after_accounts = stats::dir_size(&data);
    let before = b.records_written;
    if b.wanted("create_record") {
        b.create_records();
    }
    if b.wanted("apply_writes") {
        b.apply_writes();
    }
    if b.wanted("get_repo") {
        b.fill_big_repo()?;
    }
    disk.after_writes = stats::dir_size(&data);
    disk.records_between = b.records_written - before;
    if disk.records_between > 0 {
        let total = |d: &DirSize| (d.bytes + d.wal_bytes) as f64;
        disk.live_bytes_per_record = round(
            (total(&disk.after_writes) - total(&disk.after_accounts)) / disk.records_between as f64,
            1,
        );
        disk.live_bytes_per_record_no_wal = round(
            (disk.after_writes.bytes as f64 - disk.after_accounts.bytes as f64)
                / disk.records_between as f64,
            1,
        );
    }
    settle();
    b.reads();
    if b.wanted("blobs") {
        b.blobs()?;
        settle();
    }
    if b.wanted("firehose") {
        b.firehose();
    }
    let (_, peak) = rss(b.procs.server);
    let aux_peak = b
        .procs
        .aux
        .iter()
        .map(|(n, p)| (n.clone(), rss(*p).1))
        .collect();
    let result = RunResult {
        label: args.label.clone(),
        url: args.url.clone(),
        started_at,
        args,
        phases: b.phases,
        peak_rss_mib: peak,
        aux_peak_rss_mib: aux_peak,
        records_written: b.records_written,
        disk,
    };
    eprintln!(
        "  peak RSS {peak} MiB; disk per record (live, WAL included) {} B over {} records",
        result.disk.live_bytes_per_record, result.disk.records_between
    );
    write_json(&result.args.out, &result)
}

pub fn write_json<T: Serialize>(path: &Path, v: &T) -> Result<(), String> {
    let s = serde_json::to_string_pretty(v).map_err(|e| e.to_string())?;
    std::fs::write(path, s + "\n").map_err(|e| format!("cannot write {}: {e}", path.display()))
}
