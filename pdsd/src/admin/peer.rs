//! Who is calling: the peer credentials of the Unix socket connection (SO_PEERCRED), which
//! tonic reads when it accepts a `tokio::net::UnixStream` and puts in the request's
//! extensions as [`UdsConnectInfo`].

use tonic::transport::server::UdsConnectInfo;
use tonic::{Request, Status};

use crate::service::audit::Actor;

/// The operator behind a request: `uid:<n>` of the connecting process.
pub fn operator<T>(request: &Request<T>) -> Result<Actor, Status> {
    request
        .extensions()
        .get::<UdsConnectInfo>()
        .and_then(|info| info.peer_cred)
        .map(|cred| Actor::Operator { uid: cred.uid() })
        .ok_or_else(|| Status::unauthenticated("the caller's credentials are unknown"))
}
