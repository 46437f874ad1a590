use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = pdsd::config::Args::parse();
    let config = match pdsd::config::Config::load(args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("pdsd: {e}");
            return ExitCode::from(2);
        }
    };
    pdsd::init_tracing();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("pdsd: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(pdsd::run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "pdsd stopped on an error");
            eprintln!("pdsd: {e:#}");
            ExitCode::FAILURE
        }
    }
}
