//! The core: accounts, sessions, repositories, identity, moderation. Typed inputs and outputs,
//! one [`ServiceError`]; no HTTP or gRPC types. XRPC handlers and admin RPCs both call it.

pub mod account;
pub mod account_status;
pub mod app_password;
mod error;
pub mod handle;
pub mod invite;
pub mod server;

use std::sync::Arc;

pub use error::{GrpcCode, ServiceError};

use crate::config::Config;
use crate::plc::client::PlcClient;
use crate::plc::directory::PlcDirectory;
use crate::store::{self, Pool};

/// Shared state of the running server.
pub struct ServiceInner {
    pub config: Config,
    pub db: Arc<Pool>,
    /// The PLC directory: the embedded one unless `PDS_DID_PLC_URL` names another.
    pub plc: PlcClient,
    /// The embedded directory, served at `/plc`, when it is the one in use.
    pub plc_directory: Option<Arc<PlcDirectory>>,
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
        let db = tokio::task::spawn_blocking(move || {
            store::service_db::open_service_db(&data, store::Durability::Normal)
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
        Ok(Service(Arc::new(ServiceInner {
            config,
            db,
            plc,
            plc_directory,
            started: std::time::Instant::now(),
        })))
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
