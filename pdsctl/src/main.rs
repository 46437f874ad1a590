//! pdsctl: the operator CLI for pdsd.

use std::process::ExitCode;

use clap::Parser;

/// Operate a pdsd AT Protocol Personal Data Server.
#[derive(Debug, Parser)]
#[command(name = "pdsctl", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Print the pdsctl version.
    Version,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Version => {
            println!("pdsctl {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
    }
}
