//! The admin API: gRPC (tonic) on a Unix socket in the data directory. Thin: each RPC maps the
//! proto request to a `Service` call and the result back; errors become statuses in
//! [`status`]. Whoever can open the socket is an operator (superadmin); the peer's uid is read
//! from the socket (SO_PEERCRED, [`peer`]) and recorded with every action in the audit log.

pub mod accounts;
pub mod audit;
pub mod invites;
pub mod peer;
pub mod repo;
pub mod server;
pub mod status;

use std::future::Future;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::Context;
use pds_proto::admin::v1 as pb;
use tokio::net::UnixListener;
use tonic::{Request, Response, Status};
use tracing::Instrument;

use crate::service::audit::Actor;
use crate::service::{Service, ServiceError};

/// The tonic services over one core; each `impl` lives in the file of its noun.
#[derive(Clone)]
pub struct AdminApi {
    service: Service,
}

/// The admin socket, bound and with its final permissions, not yet serving.
pub struct AdminSocket {
    listener: UnixListener,
    path: PathBuf,
}

impl AdminSocket {
    /// Binds the socket at `path`: mode 0600, or 0660 and group `gid` when given. A stale
    /// socket file (nothing listening) is replaced; a live one means another pdsd runs on this
    /// data directory, and is an error. Must run inside the tokio runtime.
    pub fn bind(path: &Path, gid: Option<u32>) -> anyhow::Result<AdminSocket> {
        match std::fs::symlink_metadata(path) {
            Ok(meta) if meta.file_type().is_socket() => {
                match std::os::unix::net::UnixStream::connect(path) {
                    Ok(_) => anyhow::bail!(
                        "another pdsd is already serving the admin socket {} (is it running on \
                         this data directory?)",
                        path.display()
                    ),
                    Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                        tracing::info!(path = %path.display(), "replacing a stale admin socket");
                        std::fs::remove_file(path).with_context(|| {
                            format!("cannot remove the stale admin socket {}", path.display())
                        })?;
                    }
                    Err(e) => {
                        return Err(e).with_context(|| {
                            format!("cannot check the admin socket {}", path.display())
                        });
                    }
                }
            }
            Ok(_) => anyhow::bail!(
                "{} exists and is not a socket; move it away or set PDS_ADMIN_SOCKET",
                path.display()
            ),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(e).with_context(|| format!("cannot inspect {}", path.display()));
            }
        }
        let parent = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
        // Bind inside a private (0700) directory, set the mode and group, then move the socket
        // into place: a socket bound in place would be reachable with the umask's permissions
        // until the chmod, and a connection made then would be served.
        let staging = tempfile_dir(parent)?;
        let staged = staging.join("s");
        let listener = UnixListener::bind(&staged).with_context(|| {
            format!(
                "cannot bind the admin socket in {} (socket paths have at most 107 bytes: \
                     set PDS_ADMIN_SOCKET to a shorter one)",
                parent.display()
            )
        })?;
        let mode = if gid.is_some() { 0o660 } else { 0o600 };
        std::fs::set_permissions(&staged, std::fs::Permissions::from_mode(mode))
            .context("cannot set the admin socket's mode")?;
        if let Some(gid) = gid {
            std::os::unix::fs::chown(&staged, None, Some(gid))
                .with_context(|| format!("cannot give the admin socket to group {gid}"))?;
        }
        let moved = std::fs::rename(&staged, path)
            .with_context(|| format!("cannot create the admin socket {}", path.display()));
        let _ = std::fs::remove_dir(&staging);
        moved?;
        Ok(AdminSocket {
            listener,
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Serves the admin API until `shutdown` resolves, then removes the socket file.
    pub async fn serve(
        self,
        service: Service,
        shutdown: impl Future<Output = ()> + Send,
    ) -> anyhow::Result<()> {
        let api = AdminApi { service };
        let path = self.path;
        tracing::info!(path = %path.display(), "admin socket listening");
        let result = tonic::transport::Server::builder()
            .add_service(pb::server_service_server::ServerServiceServer::new(
                api.clone(),
            ))
            .add_service(pb::account_service_server::AccountServiceServer::new(
                api.clone(),
            ))
            .add_service(pb::invite_service_server::InviteServiceServer::new(
                api.clone(),
            ))
            .add_service(pb::repo_service_server::RepoServiceServer::new(api.clone()))
            .add_service(pb::audit_service_server::AuditServiceServer::new(api))
            .serve_with_incoming_shutdown(
                tokio_stream::wrappers::UnixListenerStream::new(self.listener),
                shutdown,
            )
            .await
            .context("admin socket server failed");
        if let Err(e) = std::fs::remove_file(&path)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(path = %path.display(), error = %e, "cannot remove the admin socket");
        }
        result
    }
}

/// Creates a fresh private directory under `parent`.
fn tempfile_dir(parent: &Path) -> anyhow::Result<PathBuf> {
    use std::os::unix::fs::DirBuilderExt;
    for _ in 0..8 {
        let name = format!(
            ".admin-sock-{}",
            &crate::auth::password::random_base32(5)[..6]
        );
        let dir = parent.join(name);
        match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(e)
                    .with_context(|| format!("cannot create a directory in {}", parent.display()));
            }
        }
    }
    anyhow::bail!("cannot create a private directory in {}", parent.display())
}

impl AdminApi {
    /// Runs one RPC: identifies the operator, opens the RPC's span, calls `f` with the request
    /// message, and turns a `ServiceError` into a status.
    async fn call<T, R, F, Fut>(
        &self,
        rpc: &'static str,
        request: Request<T>,
        f: F,
    ) -> Result<Response<R>, Status>
    where
        F: FnOnce(Service, Actor, T) -> Fut,
        Fut: Future<Output = Result<R, ServiceError>>,
    {
        let actor = peer::operator(&request)?;
        let span = tracing::info_span!("admin_rpc", rpc, operator = %actor);
        let service = self.service.clone();
        async move {
            tracing::debug!("admin call");
            f(service, actor, request.into_inner())
                .await
                .map(Response::new)
                .map_err(status::to_status)
        }
        .instrument(span)
        .await
    }
}

/// `Some(s)` unless `s` is empty (proto3 strings cannot be absent).
pub(crate) fn non_empty(s: String) -> Option<String> {
    let t = s.trim();
    if t.is_empty() {
        None
    } else {
        Some(t.to_string())
    }
}

/// The non-empty `account` field every request naming an account has.
pub(crate) fn account_field(s: &str) -> Result<&str, ServiceError> {
    let t = s.trim();
    if t.is_empty() {
        Err(ServiceError::invalid("account is required"))
    } else {
        Ok(t)
    }
}
