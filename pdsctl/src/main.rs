//! pdsctl: the operator CLI for pdsd. This file owns the exit codes (CONVENTIONS.md):
//! 0 ok, 1 failed, 2 usage or refused without --yes, 3 pdsd unreachable, 4 not found,
//! 130 interrupted; a broken pipe exits 0.

mod car;
mod cli;
mod client;
mod cmd;
mod error;
mod generate;
mod out;
mod secrets;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};
use error::{Interrupted, Refused, RpcError, Unreachable, Usage};

const OK: u8 = 0;
const FAILED: u8 = 1;
const USAGE: u8 = 2;
const UNREACHABLE: u8 = 3;
const NOT_FOUND: u8 = 4;
const INTERRUPTED: u8 = 130;

/// How an error ends the process: its exit code and the stable code `--json` reports.
fn classify(err: &anyhow::Error) -> (u8, String) {
    for cause in err.chain() {
        if cause.downcast_ref::<Interrupted>().is_some() {
            return (INTERRUPTED, "Interrupted".into());
        }
        if cause.downcast_ref::<Usage>().is_some() {
            return (USAGE, "InvalidUsage".into());
        }
        if cause.downcast_ref::<Refused>().is_some() {
            return (USAGE, "ConfirmationRequired".into());
        }
        if cause.downcast_ref::<Unreachable>().is_some() {
            return (UNREACHABLE, "DaemonUnreachable".into());
        }
        if let Some(rpc) = cause.downcast_ref::<RpcError>() {
            let code = match rpc.code {
                tonic::Code::NotFound => NOT_FOUND,
                tonic::Code::Unavailable => UNREACHABLE,
                tonic::Code::Cancelled => INTERRUPTED,
                _ => FAILED,
            };
            let name = rpc
                .name
                .clone()
                .unwrap_or_else(|| format!("{:?}", rpc.code));
            return (code, name);
        }
        if let Some(io) = cause.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::BrokenPipe
        {
            return (OK, String::new());
        }
    }
    (FAILED, "Failed".into())
}

/// Prints the error line (or the JSON error object) on stderr and returns the exit code.
fn report(err: &anyhow::Error, json: bool, verbose: u8) -> ExitCode {
    let (code, name) = classify(err);
    if code == OK {
        return ExitCode::SUCCESS;
    }
    let message = format!("{err:#}");
    let mut stderr = std::io::stderr().lock();
    if json {
        let body = serde_json::json!({ "error": name, "message": message, "exitCode": code });
        let _ = writeln!(stderr, "{body}");
    } else if verbose > 0 {
        let _ = writeln!(stderr, "pdsctl: {message} [{name}]");
    } else {
        let _ = writeln!(stderr, "pdsctl: {message}");
    }
    ExitCode::from(code)
}

/// One JSON document on stdout (commands that need neither pdsd nor `Out`).
fn print_json(value: &serde_json::Value) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut stdout, value)?;
    writeln!(stdout)?;
    Ok(())
}

/// Logs go to stderr: warn by default, `-v` info, `-vv` debug; `RUST_LOG` wins.
fn init_tracing(verbose: u8) {
    let filter = match std::env::var("RUST_LOG") {
        Ok(v) if !v.is_empty() => tracing_subscriber::EnvFilter::new(v),
        _ => tracing_subscriber::EnvFilter::new(match verbose {
            0 => "warn",
            1 => "pdsctl=info,warn",
            2 => "pdsctl=debug,info",
            _ => "debug",
        }),
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version are not errors; usage errors are exit 2 (clap's own).
            let json = args.iter().any(|a| a == "--json");
            if json && e.use_stderr() {
                let text = e.render().to_string();
                let message = text
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .trim_start_matches("error: ");
                let body = serde_json::json!({
                    "error": "InvalidUsage",
                    "message": message,
                    "exitCode": USAGE,
                });
                let _ = writeln!(std::io::stderr(), "{body}");
                return ExitCode::from(USAGE);
            }
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { USAGE } else { OK });
        }
    };
    let json = cli.global.json;
    let verbose = cli.global.verbose;
    let direct = match &cli.command {
        Command::Version if json => Some(print_json(
            &serde_json::json!({ "version": env!("CARGO_PKG_VERSION") }),
        )),
        Command::Version => Some(
            writeln!(std::io::stdout(), "pdsctl {}", env!("CARGO_PKG_VERSION"))
                .map_err(anyhow::Error::from),
        ),
        Command::Completions { shell } if json => Some(print_json(&serde_json::json!({
            "shell": format!("{shell:?}").to_lowercase(),
            "script": String::from_utf8_lossy(&generate::completion(*shell)),
        }))),
        Command::Completions { shell } => Some(
            std::io::stdout()
                .write_all(&generate::completion(*shell))
                .map_err(anyhow::Error::from),
        ),
        Command::Generate { root } => Some(generate::write_all(root).map_err(anyhow::Error::from)),
        _ => None,
    };
    if let Some(result) = direct {
        return match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => report(&e, json, verbose),
        };
    }
    init_tracing(verbose);
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let e = anyhow::Error::new(e).context("cannot start the async runtime");
            return report(&e, json, verbose);
        }
    };
    let mut out = out::Out::new(&cli.global);
    let result = runtime.block_on(async {
        tokio::select! {
            r = cmd::run(cli, &mut out) => r,
            _ = tokio::signal::ctrl_c() => Err(Interrupted.into()),
        }
    });
    drop(out);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => report(&e, json, verbose),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn committed_completions_and_man_pages_match_the_binary() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        for (rel, bytes) in generate::files().unwrap() {
            let committed = std::fs::read(root.join(&rel)).unwrap_or_default();
            assert!(
                committed == bytes,
                "{rel} is stale: run `cargo run -p pdsctl -- generate --root .` and commit"
            );
        }
    }

    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn errors_map_to_the_documented_exit_codes() {
        let rpc = |code, name: Option<&str>| {
            anyhow::Error::new(RpcError {
                code,
                message: "m".into(),
                name: name.map(str::to_string),
            })
            .context("cannot do it")
        };
        assert_eq!(
            classify(&rpc(tonic::Code::NotFound, Some("AccountNotFound"))),
            (NOT_FOUND, "AccountNotFound".to_string())
        );
        assert_eq!(
            classify(&rpc(tonic::Code::InvalidArgument, None)),
            (FAILED, "InvalidArgument".to_string())
        );
        assert_eq!(
            classify(&rpc(tonic::Code::Unavailable, None)).0,
            UNREACHABLE
        );
        let unreachable = anyhow::Error::new(Unreachable {
            socket: "/x/admin.sock".into(),
            reason: "permission denied".into(),
        });
        assert_eq!(classify(&unreachable).0, UNREACHABLE);
        assert_eq!(
            unreachable.to_string(),
            "cannot reach pdsd at /x/admin.sock: permission denied"
        );
        assert_eq!(classify(&error::usage("bad")).0, USAGE);
        assert_eq!(classify(&anyhow::Error::new(Refused("no".into()))).0, USAGE);
        assert_eq!(classify(&anyhow::Error::new(Interrupted)).0, INTERRUPTED);
        let pipe = anyhow::Error::new(std::io::Error::from(std::io::ErrorKind::BrokenPipe));
        assert_eq!(classify(&pipe).0, OK);
        assert_eq!(classify(&anyhow::anyhow!("boom")).0, FAILED);
    }
}
