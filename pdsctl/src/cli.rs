//! The command line: every subcommand and flag. Doc comments here become `--help` and the man
//! pages, so the first line of each is a sentence.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// Operate a pdsd AT Protocol Personal Data Server.
#[derive(Debug, Parser)]
#[command(name = "pdsctl", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the pdsctl version.
    Version,
    /// Print a shell completion script to stdout.
    Completions {
        /// The shell to complete for.
        shell: Shell,
    },
    /// Write the committed completions/ and man/ files (for maintainers).
    #[command(hide = true)]
    Generate {
        /// The repository root to write completions/ and man/ under.
        #[arg(long, default_value = ".")]
        root: PathBuf,
    },
}

/// Shells with completion scripts.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    Elvish,
    Powershell,
}

impl From<Shell> for clap_complete::Shell {
    fn from(s: Shell) -> Self {
        match s {
            Shell::Bash => clap_complete::Shell::Bash,
            Shell::Zsh => clap_complete::Shell::Zsh,
            Shell::Fish => clap_complete::Shell::Fish,
            Shell::Elvish => clap_complete::Shell::Elvish,
            Shell::Powershell => clap_complete::Shell::PowerShell,
        }
    }
}
