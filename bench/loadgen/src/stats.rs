//! Measurements from /proc (CPU time, peak RSS), the file system (data directory size) and
//! latency samples.

use std::path::Path;

use serde::Serialize;

/// Linux reports utime/stime in USER_HZ, which is 100 on every x86_64 and arm64 kernel.
const TICKS_PER_SECOND: f64 = 100.0;

/// CPU seconds (user + system, all threads) a process has used, or `None` once it is gone.
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    let path = if pid == 0 {
        "/proc/self/stat".to_string()
    } else {
        format!("/proc/{pid}/stat")
    };
    let stat = std::fs::read_to_string(path).ok()?;
    // The command name (field 2) may hold spaces; count fields after its closing parenthesis.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_ascii_whitespace().collect();
    // After the name: state(3) ... utime(14) stime(15), so indexes 11 and 12 here.
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / TICKS_PER_SECOND)
}

/// A field of /proc/<pid>/status in KiB (`VmHWM`, `VmRSS`).
pub fn status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|l| {
        let v = l.strip_prefix(field)?.strip_prefix(':')?;
        v.trim().trim_end_matches("kB").trim().parse().ok()
    })
}

/// The processes whose CPU a phase reports: the server, helpers (the reference's PLC
/// directory), and the load generator itself.
#[derive(Clone)]
pub struct Procs {
    pub server: u32,
    pub aux: Vec<(String, u32)>,
}

#[derive(Clone)]
pub struct CpuSnap {
    pub at: std::time::Instant,
    pub server: f64,
    pub aux: Vec<f64>,
    pub me: f64,
    /// CPU seconds every process on the machine has used (from /proc/stat).
    pub machine: f64,
}

/// Busy CPU seconds of the whole machine: user, nice, system, irq, softirq and steal.
fn machine_busy_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let Some(line) = stat.lines().next() else {
        return f64::NAN;
    };
    let v: Vec<f64> = line
        .split_ascii_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    if v.len() < 8 {
        return f64::NAN;
    }
    // user nice system idle iowait irq softirq steal
    (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / TICKS_PER_SECOND
}

impl Procs {
    pub fn snap(&self) -> CpuSnap {
        CpuSnap {
            at: std::time::Instant::now(),
            server: cpu_seconds(self.server).unwrap_or(f64::NAN),
            aux: self
                .aux
                .iter()
                .map(|(_, p)| cpu_seconds(*p).unwrap_or(f64::NAN))
                .collect(),
            me: cpu_seconds(0).unwrap_or(f64::NAN),
            machine: machine_busy_seconds(),
        }
    }
}

/// CPU used over a measured window.
#[derive(Serialize, Clone, Default, serde::Deserialize)]
pub struct CpuUse {
    pub wall_s: f64,
    pub server_cpu_s: f64,
    /// Server CPU seconds per wall second (1.0 = one core busy).
    pub server_cores: f64,
    pub loadgen_cpu_s: f64,
    pub loadgen_cores: f64,
    /// Helper processes (the reference's PLC directory), by name.
    pub aux_cpu_s: std::collections::BTreeMap<String, f64>,
    /// Load generator CPU / (server + helpers + load generator) CPU.
    pub loadgen_share: f64,
    /// Cores busy with anything else on the machine during the window (noise: other builds,
    /// kernel writeback threads); near 0 on a quiet machine.
    #[serde(default)]
    pub other_cores: f64,
}

pub fn cpu_between(procs: &Procs, a: &CpuSnap, b: &CpuSnap) -> CpuUse {
    let wall = (b.at - a.at).as_secs_f64();
    let server = b.server - a.server;
    let me = b.me - a.me;
    let mut aux = std::collections::BTreeMap::new();
    let mut aux_total = 0.0;
    for (i, (name, _)) in procs.aux.iter().enumerate() {
        let d = b.aux[i] - a.aux[i];
        aux_total += d;
        aux.insert(name.clone(), round(d, 3));
    }
    let total = server + me + aux_total;
    CpuUse {
        wall_s: round(wall, 3),
        server_cpu_s: round(server, 3),
        server_cores: round(server / wall, 3),
        loadgen_cpu_s: round(me, 3),
        loadgen_cores: round(me / wall, 3),
        aux_cpu_s: aux,
        loadgen_share: if total > 0.0 {
            round(me / total, 3)
        } else {
            0.0
        },
        other_cores: round(((b.machine - a.machine) - total).max(0.0) / wall, 3),
    }
}

pub fn round(v: f64, digits: i32) -> f64 {
    let m = 10f64.powi(digits);
    (v * m).round() / m
}

/// Latency percentiles in milliseconds.
#[derive(Serialize, serde::Deserialize, Clone, Default, Debug)]
pub struct Latency {
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub mean_ms: f64,
}

/// Percentiles of samples in microseconds (signed: firehose lag can be negative when an event
/// arrives before the writer has read its HTTP answer).
pub fn latency(samples: &mut [i64]) -> Latency {
    if samples.is_empty() {
        return Latency::default();
    }
    samples.sort_unstable();
    let pick = |q: f64| {
        let i = ((samples.len() as f64 * q).ceil() as usize).clamp(1, samples.len()) - 1;
        samples[i] as f64 / 1000.0
    };
    let mean = samples.iter().map(|&v| v as f64).sum::<f64>() / samples.len() as f64 / 1000.0;
    Latency {
        p50_ms: round(pick(0.50), 3),
        p99_ms: round(pick(0.99), 3),
        max_ms: round(samples[samples.len() - 1] as f64 / 1000.0, 3),
        mean_ms: round(mean, 3),
    }
}

/// Bytes under a directory: file lengths, split into SQLite WAL/shm files and the rest.
#[derive(Serialize, serde::Deserialize, Clone, Default, Debug)]
pub struct DirSize {
    pub bytes: u64,
    pub wal_bytes: u64,
    pub files: u64,
}

pub fn dir_size(path: &Path) -> DirSize {
    let mut s = DirSize::default();
    walk(path, &mut s);
    s
}

fn walk(path: &Path, s: &mut DirSize) {
    let Ok(rd) = std::fs::read_dir(path) else {
        return;
    };
    for e in rd.flatten() {
        let Ok(md) = e.metadata() else { continue };
        if md.is_dir() {
            walk(&e.path(), s);
        } else if md.is_file() {
            let name = e.file_name();
            let name = name.to_string_lossy();
            if name.ends_with("-wal") || name.ends_with("-shm") {
                s.wal_bytes += md.len();
            } else {
                s.bytes += md.len();
            }
            s.files += 1;
        }
    }
}
