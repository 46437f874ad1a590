//! pdsd: an AT Protocol Personal Data Server.

pub mod config;
pub mod store;
pub mod xrpc;

use anyhow::Context;
use tokio::net::TcpListener;

/// The version reported by `/xrpc/_health` and the admin API.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Sets up logging to stderr; `RUST_LOG` selects what is shown (default `info`).
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr())
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .init();
}

/// Runs the daemon until SIGTERM or ctrl-c, then shuts down gracefully.
pub async fn run(config: config::Config) -> anyhow::Result<()> {
    tracing::info!(data = %config.data_directory.display(), hostname = %config.hostname, "starting pdsd");
    let data = config.data_directory.clone();
    let _service_db = tokio::task::spawn_blocking(move || {
        store::service_db::open_service_db(&data, store::Durability::Normal)
    })
    .await?
    .context("cannot open the service database")?;
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, version = VERSION, "pdsd listening");
    axum::serve(listener, xrpc::router())
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("XRPC server failed")?;
    tracing::info!("pdsd stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for ctrl-c");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("ctrl-c received, shutting down"),
        () = terminate => tracing::info!("SIGTERM received, shutting down"),
    }
}
