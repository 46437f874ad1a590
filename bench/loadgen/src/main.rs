//! Load generator of `bench/run.sh`: runs the same workloads, through the same public XRPC
//! calls, against one PDS (pdsd or the reference), measuring throughput, latency, the server's
//! and its own CPU per phase, the server's peak RSS and its disk use per record. `report`
//! puts two result files side by side.

mod http;
mod report;
mod stats;
mod workload;
mod ws;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(name = "loadgen", about = "pdsd benchmark load generator")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Runs every workload against one server and writes its results as JSON.
    Run(Box<RunArgs>),
    /// Adds the size of a stopped server's data directory to a result file.
    AtRest {
        #[arg(long)]
        result: PathBuf,
        #[arg(long)]
        data_dir: PathBuf,
    },
    /// Prints the side-by-side table of two result files and writes the combined JSON.
    Report {
        #[arg(long)]
        reference: PathBuf,
        #[arg(long)]
        pdsd: PathBuf,
        #[arg(long)]
        out: Option<PathBuf>,
        /// A second pdsd run in power-safe mode (`--durability power-safe`): its createRecord
        /// rows are added to the table, against the same reference figures.
        #[arg(long)]
        power_safe: Option<PathBuf>,
        /// Facts about the run to keep in the JSON, as KEY=VALUE (e.g. the pdsd commit).
        #[arg(long = "meta", value_parser = parse_meta)]
        meta: Vec<(String, String)>,
    },
}

fn parse_meta(s: &str) -> Result<(String, String), String> {
    let (k, v) = s.split_once('=').ok_or("expected KEY=VALUE")?;
    Ok((k.to_string(), v.to_string()))
}

#[derive(Args, Clone, serde::Serialize, serde::Deserialize)]
pub struct RunArgs {
    /// Base URL of the server (http only), e.g. http://127.0.0.1:2583.
    #[arg(long)]
    pub url: String,
    /// Name of the server in the results ("pdsd", "reference").
    #[arg(long)]
    pub label: String,
    /// Process id of the server, for its CPU time and peak RSS.
    #[arg(long)]
    pub pid: u32,
    /// Other processes whose CPU to report, as NAME=PID (the reference's PLC directory).
    #[arg(long = "aux", value_parser = parse_aux)]
    pub aux: Vec<(String, u32)>,
    /// The server's data directory (without blobs), for disk bytes per record.
    #[arg(long)]
    pub data_dir: PathBuf,
    /// Where to write the results.
    #[arg(long)]
    pub out: PathBuf,
    /// Accounts created sequentially (the createAccount workload): the writers, one for the
    /// getRepo repository, then up to `writers` more for applyWrites (with none left,
    /// applyWrites uses the writers). At least writers + 1.
    #[arg(long, default_value_t = 33)]
    pub accounts: usize,
    /// Accounts that createRecord (and the firehose writer) and applyWrites each spread over.
    #[arg(long, default_value_t = 16)]
    pub writers: usize,
    /// Measured seconds of each timed workload.
    #[arg(long, default_value_t = 8.0)]
    pub duration: f64,
    /// Unmeasured seconds before each timed workload.
    #[arg(long, default_value_t = 1.0)]
    pub warmup: f64,
    /// Concurrency levels of createRecord.
    #[arg(long, value_delimiter = ',', default_value = "1,8,32")]
    pub create_concurrency: Vec<usize>,
    /// Concurrency of getRecord.
    #[arg(long, default_value_t = 32)]
    pub get_concurrency: usize,
    /// Concurrency of listRecords (limit 100).
    #[arg(long, default_value_t = 8)]
    pub list_concurrency: usize,
    /// Creates per applyWrites call, one workload each.
    #[arg(long, value_delimiter = ',', default_value = "10,200")]
    pub apply_sizes: Vec<usize>,
    /// Concurrency of applyWrites.
    #[arg(long, default_value_t = 8)]
    pub apply_concurrency: usize,
    /// Records in the repository that sync.getRepo downloads.
    #[arg(long, default_value_t = 10_000)]
    pub repo_records: usize,
    /// Concurrency of sync.getRepo.
    #[arg(long, default_value_t = 1)]
    pub getrepo_concurrency: usize,
    /// Size of each uploaded blob.
    #[arg(long, default_value_t = 1 << 20)]
    pub blob_bytes: usize,
    /// Concurrency of uploadBlob and getBlob.
    #[arg(long, default_value_t = 4)]
    pub blob_concurrency: usize,
    /// Uploaded blobs that records reference and getBlob fetches in turn.
    #[arg(long, default_value_t = 16)]
    pub blob_refs: usize,
    /// Subscriber counts of the firehose workloads.
    #[arg(long, value_delimiter = ',', default_value = "1,16")]
    pub firehose_subscribers: Vec<usize>,
    /// Writes per second of the fixed-rate firehose writer.
    #[arg(long, default_value_t = 50.0)]
    pub firehose_rate: f64,
    /// Concurrency of the full-speed firehose writer (createRecord across the writers).
    #[arg(long, default_value_t = 8)]
    pub firehose_writer_concurrency: usize,
    /// Seconds each firehose writer runs.
    #[arg(long, default_value_t = 8.0)]
    pub firehose_duration: f64,
    /// Worker threads of the load generator for the HTTP workloads (1: one thread, cheapest).
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Worker threads for the firehose workloads (subscribers and writer).
    #[arg(long, default_value_t = 2)]
    pub firehose_threads: usize,
    /// Run only these workload groups: create_account is always run; others are create_record,
    /// apply_writes, get_record, list_records, get_repo, blobs, firehose.
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
}

fn parse_aux(s: &str) -> Result<(String, u32), String> {
    let (name, pid) = s.split_once('=').ok_or("expected NAME=PID")?;
    Ok((
        name.to_string(),
        pid.parse().map_err(|e| format!("bad pid: {e}"))?,
    ))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let r = match cli.cmd {
        Cmd::Run(args) => workload::run(*args),
        Cmd::AtRest { result, data_dir } => report::at_rest(&result, &data_dir),
        Cmd::Report {
            reference,
            pdsd,
            out,
            power_safe,
            meta,
        } => report::report(
            &reference,
            &pdsd,
            power_safe.as_deref(),
            out.as_deref(),
            &meta,
        ),
    };
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("loadgen: {e}");
            ExitCode::FAILURE
        }
    }
}
