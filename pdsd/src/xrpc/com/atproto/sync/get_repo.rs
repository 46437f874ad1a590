//! `com.atproto.sync.getRepo`: the repository as a streamed CAR file.

use axum::body::Body;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::did_param;
use crate::service::{Service, ServiceError};
use crate::xrpc::error::{XrpcQuery, XrpcResult};

#[derive(Debug, Deserialize)]
pub struct Params {
    did: String,
    since: Option<String>,
}

pub async fn get_repo(
    State(service): State<Service>,
    XrpcQuery(p): XrpcQuery<Params>,
) -> XrpcResult<Response> {
    let did = did_param(&p.did)?;
    let since = p
        .since
        .as_deref()
        .map(|s| {
            atproto::syntax::Tid::new(s)
                .map_err(|e| ServiceError::invalid(format!("Invalid since: {e}")))
        })
        .transpose()?;
    let rx = service.get_repo_stream(did, since).await?;
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    Ok((
        [(header::CONTENT_TYPE, "application/vnd.ipld.car")],
        Body::from_stream(stream),
    )
        .into_response())
}
