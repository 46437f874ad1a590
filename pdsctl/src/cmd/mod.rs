//! One module per noun: each calls the client, builds a `views` struct and emits it.

pub mod account;
pub mod blob;
pub mod invite;
pub mod key;
pub mod provision;
pub mod repo;
pub mod server;

use std::path::PathBuf;

use crate::cli::{Cli, Command};
use crate::client::{self, Client};
use crate::out::Out;

/// Runs the parsed command line.
pub async fn run(cli: Cli, out: &mut Out) -> anyhow::Result<()> {
    let socket = cli
        .global
        .socket
        .clone()
        .unwrap_or_else(client::default_socket);
    let ctx = Ctx { socket };
    match cli.command {
        Command::Server { command } => server::run(&ctx, out, command).await,
        Command::Account { command } => account::run(&ctx, out, command).await,
        Command::Invite { command } => invite::run(&ctx, out, command).await,
        Command::Key { command } => key::run(out, command),
        Command::Repo { command } => repo::run(&ctx, out, command).await,
        Command::Blob { command } => blob::run(&ctx, out, command).await,
        // Handled in main: they need neither pdsd nor `Out`.
        Command::Completions { .. } | Command::Version | Command::Generate { .. } => Ok(()),
    }
}

/// What commands that talk to pdsd need.
pub struct Ctx {
    socket: PathBuf,
}

impl Ctx {
    pub async fn client(&self) -> anyhow::Result<Client> {
        Ok(Client::connect(&self.socket).await?)
    }
}
