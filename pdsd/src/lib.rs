//! pdsd: an AT Protocol Personal Data Server.

pub mod admin;
pub mod auth;
pub mod config;
pub mod plc;
pub mod sequencer;
pub mod service;
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
    let shutdown = shutdown_signal()?;
    plc::install_crypto_provider();
    tracing::info!(data = %config.data_directory.display(), hostname = %config.hostname, "starting pdsd");
    let listen = config.listen;
    // The admin socket first: a live one means another pdsd runs on this data directory, and
    // that must be found before this one touches the databases.
    let admin_socket = admin::AdminSocket::bind(&config.admin_socket, config.admin_socket_group)?;
    let admin_path = admin_socket.path().to_path_buf();
    let started = async {
        let service = service::Service::open(config)
            .await
            .map_err(|e| match e {
                service::ServiceError::Internal(source) => source,
                other => anyhow::anyhow!(other),
            })
            .context("cannot open the data directory")?;
        let listener = TcpListener::bind(listen)
            .await
            .with_context(|| format!("cannot listen on {listen}"))?;
        anyhow::Ok((service, listener))
    }
    .await;
    let (service, listener) = match started {
        Ok(started) => started,
        Err(e) => {
            let _ = std::fs::remove_file(&admin_path);
            return Err(e);
        }
    };
    let addr = listener.local_addr()?;
    tracing::info!(%addr, version = VERSION, "pdsd listening");
    // One signal stops both servers; each finishes its open calls first.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop_tx.send(true);
    });
    let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|stop| *stop).await;
    };
    // Connection info gives the rate limits the client's address.
    let app =
        xrpc::router(service.clone()).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let xrpc_stopped = stopped(stop_rx.clone());
    let xrpc = async {
        // Without TCP_NODELAY, multi-segment responses (CARs, blobs) stall on Nagle's
        // algorithm against the client's delayed ACK (~40 ms each, measured with bench/).
        use axum::serve::ListenerExt;
        let listener = listener.tap_io(|tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!(error = %e, "cannot set TCP_NODELAY");
            }
        });
        axum::serve(listener, app)
            .with_graceful_shutdown(xrpc_stopped)
            .await
            .context("XRPC server failed")
    };
    let admin = admin_socket.serve(service.clone(), stopped(stop_rx));
    tokio::try_join!(xrpc, admin)?;
    // Commits waiting for their actor stores are in the event log already; storing them now
    // spares the next start from replaying them.
    service.flush_pending().await;
    tracing::info!("pdsd stopped");
    Ok(())
}

/// Installs the SIGINT/SIGTERM handlers at once (so a signal that arrives while the daemon is
/// still starting is not lost) and returns a future that resolves on the first of them.
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot handle SIGINT")?;
    let mut terminate = signal(SignalKind::terminate()).context("cannot handle SIGTERM")?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => tracing::info!("ctrl-c received, shutting down"),
            _ = terminate.recv() => tracing::info!("SIGTERM received, shutting down"),
        }
    })
}
