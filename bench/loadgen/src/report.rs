//! The side-by-side table of a reference run and a pdsd run, and the combined JSON.

use std::path::Path;

use serde::Serialize;
use serde_json::{Value, json};

use crate::stats::{self, round};
use crate::workload::{Phase, RunResult, write_json};

fn load(path: &Path) -> Result<RunResult, String> {
    let s = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_json::from_str(&s).map_err(|e| format!("{}: {e}", path.display()))
}

/// Records the stopped server's data directory in its result file.
pub fn at_rest(result: &Path, data_dir: &Path) -> Result<(), String> {
    let mut r = load(result)?;
    let d = stats::dir_size(data_dir);
    let total = |d: &stats::DirSize| (d.bytes + d.wal_bytes) as f64;
    if r.records_written > 0 {
        r.disk.at_rest_bytes_per_record = Some(round(
            (total(&d) - total(&r.disk.fresh)) / r.records_written as f64,
            1,
        ));
    }
    r.disk.at_rest = Some(d);
    write_json(result, &r)
}

/// What the issue asks of pdsd, as a ratio pdsd / reference.
#[derive(Clone, Copy)]
enum Target {
    AtLeast(f64),
    AtMost(f64),
}

fn target(key: &str) -> Option<Target> {
    Some(match key {
        "create_account" => Target::AtLeast(6.0),
        "create_record_c32" => Target::AtLeast(30.0),
        "create_record_c32_power_safe" => Target::AtLeast(15.0),
        "get_record_c32" => Target::AtLeast(40.0),
        "list_records_c8" | "apply_writes_200" | "get_repo" => Target::AtLeast(20.0),
        "upload_blob" => Target::AtLeast(5.0),
        "get_blob" => Target::AtLeast(3.0),
        "peak_rss" => Target::AtMost(0.1),
        "disk_per_record" => Target::AtMost(1.0),
        _ => return None,
    })
}

#[derive(Serialize)]
struct Row {
    key: String,
    name: String,
    unit: String,
    reference: Option<f64>,
    pdsd: Option<f64>,
    /// pdsd / reference.
    ratio: Option<f64>,
    target: Option<String>,
    met: Option<bool>,
}

fn fmt_num(v: Option<f64>) -> String {
    match v {
        None => "-".into(),
        Some(v) if v.abs() >= 1000.0 => {
            let s = format!("{:.0}", v);
            let (sign, digits) = s.strip_prefix('-').map_or(("", s.as_str()), |d| ("-", d));
            let mut out = String::new();
            for (i, c) in digits.chars().enumerate() {
                if i > 0 && (digits.len() - i) % 3 == 0 {
                    out.push(',');
                }
                out.push(c);
            }
            format!("{sign}{out}")
        }
        Some(v) if v.abs() >= 100.0 => format!("{v:.0}"),
        Some(v) if v.abs() >= 10.0 => format!("{v:.1}"),
        Some(v) => format!("{v:.2}"),
    }
}

fn fmt_ratio(v: Option<f64>) -> String {
    match v {
        None => "-".into(),
        Some(v) if v >= 10.0 => format!("{v:.0}x"),
        Some(v) => format!("{v:.2}x"),
    }
}

fn row(key: &str, name: &str, unit: &str, r: Option<f64>, p: Option<f64>) -> Row {
    let ratio = match (r, p) {
        (Some(r), Some(p)) if r > 0.0 => Some(round(p / r, 3)),
        _ => None,
    };
    let t = target(key);
    Row {
        key: key.into(),
        name: name.into(),
        unit: unit.into(),
        reference: r,
        pdsd: p,
        ratio,
        target: t.map(|t| match t {
            Target::AtLeast(x) => format!(">= {x}x"),
            Target::AtMost(x) => format!("<= {x}x"),
        }),
        met: match (t, ratio) {
            (Some(Target::AtLeast(x)), Some(v)) => Some(v >= x),
            (Some(Target::AtMost(x)), Some(v)) => Some(v <= x),
            _ => None,
        },
    }
}

fn print_table(headers: &[&str], rows: &[Vec<String>], left: usize) {
    let mut w: Vec<usize> = headers.iter().map(|h| h.len()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            w[i] = w[i].max(c.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let mut s = String::from("|");
        for (i, c) in cells.iter().enumerate() {
            let pad = w[i] - c.chars().count();
            if i < left {
                s.push_str(&format!(" {c}{} |", " ".repeat(pad)));
            } else {
                s.push_str(&format!(" {}{c} |", " ".repeat(pad)));
            }
        }
        println!("{s}");
    };
    line(headers.iter().map(|h| h.to_string()).collect());
    let mut sep = String::from("|");
    for (i, wi) in w.iter().enumerate() {
        if i < left {
            sep.push_str(&format!("{}|", "-".repeat(wi + 2)));
        } else {
            sep.push_str(&format!("{}:|", "-".repeat(wi + 1)));
        }
    }
    println!("{sep}");
    for r in rows {
        line(r.clone());
    }
}

fn extra_f64(p: &Phase, path: &[&str]) -> Option<f64> {
    let mut v: &Value = p.extra.get(path[0])?;
    for k in &path[1..] {
        v = v.get(k)?;
    }
    v.as_f64()
}

fn machine() -> Value {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")
                .and_then(|v| v.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_default();
    let mem = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:").map(|v| v.trim().to_string()))
        .unwrap_or_default();
    json!({
        "cpus": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "cpu_model": model,
        "memory": mem,
        "kernel": std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default().trim(),
    })
}

pub fn report(
    reference: &Path,
    pdsd: &Path,
    power_safe: Option<&Path>,
    out: Option<&Path>,
    meta: &[(String, String)],
) -> Result<(), String> {
    let r = load(reference)?;
    let p = load(pdsd)?;
    let ps = power_safe.map(load).transpose()?;
    let find = |res: &RunResult, key: &str| res.phases.iter().find(|x| x.key == key).cloned();

    let mut keys: Vec<(String, String, String)> = Vec::new();
    for ph in r.phases.iter().chain(p.phases.iter()) {
        if !keys.iter().any(|(k, _, _)| *k == ph.key) {
            keys.push((ph.key.clone(), ph.name.clone(), ph.unit.clone()));
        }
    }
    let mut rows = Vec::new();
    for (key, name, unit) in &keys {
        let a = find(&r, key).map(|x| x.value);
        let b = find(&p, key).map(|x| x.value);
        rows.push(row(key, name, unit, a, b));
    }
    // The power-safe run: its createRecord phases against the reference's (which runs in its
    // own, weaker mode).
    if let Some(ps) = &ps {
        for ph in ps
            .phases
            .iter()
            .filter(|x| x.key.starts_with("create_record"))
        {
            rows.push(row(
                &format!("{}_power_safe", ph.key),
                &format!("{} (pdsd power-safe)", ph.name),
                &ph.unit,
                find(&r, &ph.key).map(|x| x.value),
                Some(ph.value),
            ));
        }
    }
    rows.push(row(
        "peak_rss",
        "peak RSS (VmHWM)",
        "MiB",
        Some(r.peak_rss_mib),
        Some(p.peak_rss_mib),
    ));
    let disk = |x: &RunResult| {
        x.disk
            .at_rest_bytes_per_record
            .or(Some(x.disk.live_bytes_per_record))
    };
    let disk_name =
        if r.disk.at_rest_bytes_per_record.is_some() && p.disk.at_rest_bytes_per_record.is_some() {
            "disk per record (stopped server)"
        } else {
            "disk per record (live, WAL incl.)"
        };
    rows.push(row(
        "disk_per_record",
        disk_name,
        "bytes",
        disk(&r),
        disk(&p),
    ));
    rows.push(row(
        "disk_per_record_live",
        "disk per record (live, WAL incl.)",
        "bytes",
        Some(r.disk.live_bytes_per_record),
        Some(p.disk.live_bytes_per_record),
    ));

    println!();
    println!("## Throughput (pdsd / reference, same run, same machine)");
    println!();
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|x| {
            vec![
                x.name.clone(),
                x.unit.clone(),
                fmt_num(x.reference),
                fmt_num(x.pdsd),
                fmt_ratio(x.ratio),
                x.target.clone().unwrap_or_default(),
                match x.met {
                    Some(true) => "yes".into(),
                    Some(false) => "NO".into(),
                    None => String::new(),
                },
            ]
        })
        .collect();
    print_table(
        &[
            "workload",
            "unit",
            "reference",
            "pdsd",
            "pdsd/ref",
            "target",
            "met",
        ],
        &table,
        2,
    );

    // Latency and firehose delivery.
    println!();
    println!("## Latency (ms) and firehose delivery");
    println!();
    let mut lat_rows = Vec::new();
    let mut firehose = Vec::new();
    for (key, name, _) in &keys {
        let a = find(&r, key);
        let b = find(&p, key);
        let l = |x: &Option<Phase>, f: fn(&Phase) -> f64| x.as_ref().map(f);
        lat_rows.push(vec![
            name.clone(),
            fmt_num(l(&a, |x| x.latency.p50_ms)),
            fmt_num(l(&a, |x| x.latency.p99_ms)),
            fmt_num(l(&b, |x| x.latency.p50_ms)),
            fmt_num(l(&b, |x| x.latency.p99_ms)),
            format!(
                "{} / {}",
                a.as_ref().map_or("-".into(), |x| x.errors.to_string()),
                b.as_ref().map_or("-".into(), |x| x.errors.to_string())
            ),
        ]);
        if key.starts_with("firehose") {
            let delivered = |x: &Option<Phase>| match x {
                None => "-".to_string(),
                Some(x) => {
                    let all = x
                        .extra
                        .get("all_delivered")
                        .and_then(Value::as_bool)
                        .unwrap_or(false);
                    let missing = extra_f64(x, &["missing"]).unwrap_or(0.0);
                    let gaps = extra_f64(x, &["seq_gaps"]).unwrap_or(0.0);
                    if all && gaps == 0.0 {
                        "all, no gaps".into()
                    } else {
                        format!("missing {missing}, gaps {gaps}")
                    }
                }
            };
            firehose.push(json!({
                "key": key,
                "reference": a.as_ref().map(|x| &x.extra),
                "pdsd": b.as_ref().map(|x| &x.extra),
            }));
            let fh_target_met = b.as_ref().map(|x| {
                x.extra
                    .get("all_delivered")
                    .and_then(Value::as_bool)
                    .unwrap_or(false)
                    && extra_f64(x, &["seq_gaps"]).unwrap_or(1.0) == 0.0
                    && x.latency.p99_ms <= 5.0
            });
            let last = lat_rows.last_mut().expect("pushed above");
            last.push(format!(
                "{} / {}",
                fmt_num(a.as_ref().and_then(|x| extra_f64(x, &["writer_rate"]))),
                fmt_num(b.as_ref().and_then(|x| extra_f64(x, &["writer_rate"])))
            ));
            last.push(format!("{} / {}", delivered(&a), delivered(&b)));
            last.push(if key.starts_with("firehose_16_full") {
                match fh_target_met {
                    Some(true) => "pdsd p99 <= 5 ms, all: yes".into(),
                    Some(false) => "pdsd p99 <= 5 ms, all: NO".into(),
                    None => String::new(),
                }
            } else {
                String::new()
            });
        } else {
            lat_rows.last_mut().expect("pushed above").extend([
                String::new(),
                String::new(),
                String::new(),
            ]);
        }
    }
    print_table(
        &[
            "workload",
            "ref p50",
            "ref p99",
            "pdsd p50",
            "pdsd p99",
            "errors ref / pdsd",
            "writer/s ref / pdsd",
            "firehose delivery ref / pdsd",
            "target",
        ],
        &lat_rows,
        1,
    );

    // CPU per phase.
    println!();
    println!(
        "## CPU per workload (cores = CPU seconds per wall second; us/op = server CPU per request)"
    );
    println!();
    let mut cpu_rows = Vec::new();
    for (key, name, _) in &keys {
        let a = find(&r, key);
        let b = find(&p, key);
        let c = |x: &Option<Phase>, f: fn(&Phase) -> f64| fmt_num(x.as_ref().map(f));
        cpu_rows.push(vec![
            name.clone(),
            c(&a, |x| x.cpu.server_cores),
            c(&a, |x| x.server_cpu_us_per_op),
            c(&a, |x| x.cpu.aux_cpu_s.values().sum::<f64>()),
            c(&a, |x| x.cpu.loadgen_cores),
            c(&a, |x| x.cpu.other_cores),
            c(&b, |x| x.cpu.server_cores),
            c(&b, |x| x.server_cpu_us_per_op),
            c(&b, |x| x.cpu.loadgen_cores),
            c(&b, |x| x.cpu.loadgen_share * 100.0),
            c(&b, |x| x.cpu.other_cores),
        ]);
    }
    print_table(
        &[
            "workload",
            "ref cores",
            "ref us/op",
            "ref PLC cpu s",
            "loadgen cores (ref)",
            "other cores (ref)",
            "pdsd cores",
            "pdsd us/op",
            "loadgen cores (pdsd)",
            "loadgen % of CPU (pdsd)",
            "other cores (pdsd)",
        ],
        &cpu_rows,
        1,
    );
    println!();
    println!(
        "peak RSS: reference {} MiB (PLC directory, a separate process: {}), pdsd {} MiB",
        r.peak_rss_mib,
        r.aux_peak_rss_mib
            .iter()
            .map(|(k, v)| format!("{k} {v} MiB"))
            .collect::<Vec<_>>()
            .join(", "),
        p.peak_rss_mib
    );
    println!(
        "records written: reference {}, pdsd {}",
        r.records_written, p.records_written
    );
    let sum = |x: &RunResult, f: fn(&Phase) -> f64| x.phases.iter().map(f).sum::<f64>();
    for (name, x) in [("reference", &r), ("pdsd", &p)] {
        let lg = sum(x, |p| p.cpu.loadgen_cpu_s);
        let sv = sum(x, |p| {
            p.cpu.server_cpu_s + p.cpu.aux_cpu_s.values().sum::<f64>()
        });
        println!(
            "load generator CPU over the measured windows against {name}: {lg:.2} s, {:.1}% of the server's {sv:.2} s",
            if sv > 0.0 { 100.0 * lg / sv } else { 0.0 }
        );
    }

    if let Some(out) = out {
        let combined = json!({
            "generated_at": crate::workload::now_rfc3339(),
            "machine": machine(),
            "meta": meta.iter().cloned().collect::<std::collections::BTreeMap<_, _>>(),
            "comparison": rows,
            "firehose": firehose,
            "reference": r,
            "pdsd": p,
            "pdsd_power_safe": ps,
        });
        write_json(out, &combined)?;
        eprintln!("results written to {}", out.display());
    }
    Ok(())
}
