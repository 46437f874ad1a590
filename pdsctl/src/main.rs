//! pdsctl: the operator CLI for pdsd.

mod cli;
mod generate;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Version => writeln!(std::io::stdout(), "pdsctl {}", env!("CARGO_PKG_VERSION")),
        Command::Completions { shell } => std::io::stdout().write_all(&generate::completion(shell)),
        Command::Generate { root } => generate::write_all(&root),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe (`pdsctl ... | head`) is not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pdsctl: {e}");
            ExitCode::FAILURE
        }
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
}
