//! The core: accounts, sessions, repositories, identity, moderation. Typed inputs and outputs,
//! one [`ServiceError`]; no HTTP or gRPC types. XRPC handlers and admin RPCs both call it.

pub mod account;
pub mod account_email;
pub mod account_status;
pub mod admin;
pub mod app_password;
pub mod audit;
pub mod blob;
pub mod crawlers;
pub mod email;
mod error;
pub mod events;
pub mod handle;
pub mod identity;
pub mod invite;
pub mod lexicons;
pub mod migration;
pub mod preferences;
pub mod repo;
pub mod retention;
pub mod server;
pub mod service_auth;

use std::sync::Arc;

pub use error::{GrpcCode, ServiceError};

use crate::config::Config;
use crate::plc::client::PlcClient;
use crate::plc::directory::PlcDirectory;
use crate::sequencer::Sequencer;
use crate::store::{self, Pool};

/// Shared state of the running server.
pub struct ServiceInner {
    pub config: Config,
    pub db: Arc<Pool>,
    /// The PLC directory: the embedded one unless `PDS_DID_PLC_URL` names another.
    pub plc: PlcClient,
    /// The embedded directory, served at `/plc`, when it is the one in use.
    pub plc_directory: Option<Arc<PlcDirectory>>,
    /// The firehose event log.
    pub sequencer: Arc<Sequencer>,
    /// Per-DID write locks and loaded repositories.
    pub repos: repo::RepoCache,
    /// Read connections to actor stores.
    pub readers: repo::read::ReaderCache,
    /// Outgoing mail; `None` when no SMTP server is configured.
    pub mailer: Option<email::Mailer>,
    /// Network identity resolution (external handles, did:web) and its cache.
    pub identity: identity::IdentityResolver,
    /// Blob bytes: the disk directory or the S3 bucket.
    pub blobs: Arc<dyn store::blobstore::BlobStore>,
    pub started: std::time::Instant,
}

/// A cheap handle to the core.
#[derive(Clone)]
pub struct Service(Arc<ServiceInner>);

impl std::ops::Deref for Service {
    type Target = ServiceInner;
    fn deref(&self) -> &ServiceInner {
        &self.0
    }
}

impl Service {
    /// Opens the stores under the configured data directory.
    pub async fn open(config: Config) -> Result<Service, ServiceError> {
        let data = config.data_directory.clone();
        let durability = config.durability;
        let (db, sequencer) = tokio::task::spawn_blocking(move || {
            store::set_configured_durability(durability);
            store::limit_sqlite_memory()?;
            let db = store::service_db::open_service_db(&data, durability)?;
            let sequencer = Sequencer::open(&data, durability)?;
            Ok::<_, store::StoreError>((db, sequencer))
        })
        .await
        .map_err(ServiceError::internal)??;
        let db = Arc::new(db);
        let (plc, plc_directory) = match &config.did_plc_url {
            Some(url) => (PlcClient::remote(url)?, None),
            None => {
                let dir = Arc::new(PlcDirectory::new(db.clone()));
                (PlcClient::Embedded(dir.clone()), Some(dir))
            }
        };
        let mailer = match &config.email {
            Some(email) => Some(email::Mailer::new(email).map_err(ServiceError::internal)?),
            None => None,
        };
        let identity = identity::IdentityResolver::new(config.dev_handle_resolver_http_port)?;
        if let Some(port) = config.dev_handle_resolver_http_port {
            tracing::warn!(
                port,
                "test setting: handles resolve over HTTP at 127.0.0.1, no DNS"
            );
        }
        let blobs = blob::open_blobstore(&config)?;
        let service = Service(Arc::new(ServiceInner {
            config,
            db,
            plc,
            plc_directory,
            sequencer: Arc::new(sequencer),
            repos: repo::RepoCache::default(),
            readers: repo::read::ReaderCache::default(),
            mailer,
            identity,
            blobs,
            started: std::time::Instant::now(),
        }));
        account_email::spawn_purge_job(&service);
        blob::spawn_temp_sweep(&service);
        repo::spawn_flusher(&service);
        retention::spawn_trim_job(&service);
        crawlers::spawn_notifier(&service)?;
        spawn_hash_memory_release(&service);
        Ok(service)
    }

    /// Runs blocking database work off the async threads.
    pub async fn blocking<T, F>(&self, f: F) -> Result<T, ServiceError>
    where
        T: Send + 'static,
        F: FnOnce(&ServiceInner) -> Result<T, ServiceError> + Send + 'static,
    {
        let inner = self.0.clone();
        tokio::task::spawn_blocking(move || f(&inner))
            .await
            .map_err(ServiceError::internal)?
    }
}

/// Gives the argon2 working memory kept between password hashes back to the system once no
/// hash has used it for a second (checked every second, while the service is alive).
fn spawn_hash_memory_release(service: &Service) {
    let weak = Arc::downgrade(&service.0);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if weak.strong_count() == 0 {
                break;
            }
            crate::auth::password::release_idle_hash_memory(std::time::Duration::from_secs(1));
        }
    });
}

#[cfg(test)]
pub(crate) mod test_util {
    use super::*;

    /// A service over a fresh temporary data directory; no HTTP.
    pub struct TestPds {
        pub service: Service,
        _dir: tempfile::TempDir,
    }

    impl TestPds {
        pub async fn new() -> TestPds {
            Self::with(|_| {}).await
        }

        pub async fn with(adjust: impl FnOnce(&mut crate::config::Args)) -> TestPds {
            let dir = tempfile::tempdir().unwrap();
            let mut args = crate::config::Args {
                data_directory: Some(dir.path().to_path_buf()),
                ..Default::default()
            };
            adjust(&mut args);
            let config = Config::load(args).unwrap();
            let service = Service::open(config).await.unwrap();
            TestPds { service, _dir: dir }
        }
    }
}
