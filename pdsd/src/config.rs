//! The only place that reads flags and the environment; everything is validated once into [`Config`].

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use clap::Parser;

/// Command-line flags. Each can also be given by the environment variable the reference PDS uses.
#[derive(Debug, Parser)]
#[command(name = "pdsd", version, about = "AT Protocol Personal Data Server")]
pub struct Args {
    /// TCP port for the public XRPC API.
    #[arg(long, env = "PDS_PORT", default_value_t = 2583)]
    pub port: u16,
    /// Address to bind the XRPC listener to.
    #[arg(long, env = "PDS_BIND_ADDRESS", default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    pub bind: IpAddr,
}

/// The validated configuration the daemon runs with.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where the XRPC API listens.
    pub listen: SocketAddr,
}

/// A setting that cannot be used, named so the operator can fix it.
#[derive(Debug, thiserror::Error)]
#[error("invalid setting {name}: {reason}")]
pub struct ConfigError {
    pub name: &'static str,
    pub reason: String,
}

impl Config {
    /// Validates the flags and environment into a [`Config`].
    pub fn load(args: Args) -> Result<Self, ConfigError> {
        Ok(Config {
            listen: SocketAddr::new(args.bind, args.port),
        })
    }
}
