//! The admin socket client: a tonic channel over pdsd's Unix socket (STACK.md §3), and the
//! mapping of failed calls to [`RpcError`] or [`Unreachable`].

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use pb::account_service_client::AccountServiceClient;
use pb::invite_service_client::InviteServiceClient;
use pb::repo_service_client::RepoServiceClient;
use pb::server_service_client::ServerServiceClient;
use pds_proto::admin::v1 as pb;
use tonic::transport::{Channel, Endpoint, Uri};

use crate::error::{RpcError, Unreachable};

/// Where pdsctl looks for the socket without `--socket`/`PDSCTL_SOCKET`: where pdsd puts it
/// with the same environment (`PDS_ADMIN_SOCKET`, else `<PDS_DATA_DIRECTORY>/admin.sock`, else
/// `./data/admin.sock`, pdsd's default data directory).
pub fn default_socket() -> PathBuf {
    let set = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(path) = set("PDS_ADMIN_SOCKET") {
        return PathBuf::from(path);
    }
    let data = set("PDS_DATA_DIRECTORY")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("./data"));
    data.join(pds_proto::SOCKET_FILE_NAME)
}

/// A connection to pdsd's admin API.
#[derive(Clone)]
pub struct Client {
    channel: Channel,
    socket: PathBuf,
}

/// A one-line reason for a failed connect, for the operator.
fn connect_reason(e: &std::io::Error, socket: &Path) -> String {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::NotFound => "no socket there (is pdsd running? set --socket or PDSCTL_SOCKET)".into(),
        K::PermissionDenied => {
            "permission denied (run pdsctl as pdsd's user or a member of its admin socket group)"
                .into()
        }
        K::ConnectionRefused => {
            "connection refused (nothing listens on it: is pdsd running?)".into()
        }
        _ if socket.as_os_str().len() > 107 => {
            format!("{e} (socket paths have at most 107 bytes)")
        }
        _ => e.to_string(),
    }
}

impl Client {
    /// Connects to the socket at `socket`.
    pub async fn connect(socket: &Path) -> Result<Client, Unreachable> {
        let unreachable = |reason: String| Unreachable {
            socket: socket.to_path_buf(),
            reason,
        };
        // Connect once ourselves first: tonic buries the io::Error that says why a connect
        // failed (missing, refused, permission denied) several sources deep.
        let first = tokio::net::UnixStream::connect(socket)
            .await
            .map_err(|e| unreachable(connect_reason(&e, socket)))?;
        let first = Arc::new(Mutex::new(Some(first)));
        let path = socket.to_path_buf();
        // The URI is a placeholder: the connector ignores it.
        let channel = Endpoint::from_static("http://[::]:50051")
            .connect_with_connector(tower::service_fn(move |_: Uri| {
                let path = path.clone();
                let ready = first.lock().ok().and_then(|mut s| s.take());
                async move {
                    let stream = match ready {
                        Some(s) => s,
                        None => tokio::net::UnixStream::connect(path).await?,
                    };
                    Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(stream))
                }
            }))
            .await
            .map_err(|e| unreachable(format!("{e}")))?;
        tracing::debug!(socket = %socket.display(), "connected");
        Ok(Client {
            channel,
            socket: socket.to_path_buf(),
        })
    }

    pub fn server(&self) -> ServerServiceClient<Channel> {
        ServerServiceClient::new(self.channel.clone())
    }

    pub fn accounts(&self) -> AccountServiceClient<Channel> {
        AccountServiceClient::new(self.channel.clone())
    }

    pub fn invites(&self) -> InviteServiceClient<Channel> {
        InviteServiceClient::new(self.channel.clone())
    }

    pub fn repo(&self) -> RepoServiceClient<Channel> {
        // pdsd sends 64 KiB chunks, but one CAR block can be larger: allow up to 16 MiB per
        // message rather than tonic's 4 MiB.
        RepoServiceClient::new(self.channel.clone()).max_decoding_message_size(16 << 20)
    }

    /// The error for a failed call: [`Unreachable`] when the connection broke or pdsd went
    /// away, [`RpcError`] for pdsd's own answers.
    pub fn error(&self, status: tonic::Status) -> anyhow::Error {
        let rpc = RpcError::from_status(&status);
        if rpc.code == tonic::Code::Unavailable && rpc.name.is_none() {
            return Unreachable {
                socket: self.socket.clone(),
                reason: rpc.to_string(),
            }
            .into();
        }
        rpc.into()
    }
}

/// `.rpc(&client)` on a call's result: the message, or the mapped error.
pub trait RpcResult<T> {
    fn rpc(self, client: &Client) -> anyhow::Result<T>;
}

impl<T> RpcResult<T> for Result<tonic::Response<T>, tonic::Status> {
    fn rpc(self, client: &Client) -> anyhow::Result<T> {
        self.map(tonic::Response::into_inner)
            .map_err(|s| client.error(s))
    }
}
