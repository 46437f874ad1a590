//! `com.atproto.repo.getRecord`: public.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{nsid, rkey};
use crate::service::Service;
use crate::xrpc::error::{XrpcQuery, XrpcResult};

#[derive(Debug, Deserialize)]
pub struct Params {
    repo: String,
    collection: String,
    rkey: String,
    cid: Option<String>,
}

pub async fn get_record(
    State(service): State<Service>,
    XrpcQuery(p): XrpcQuery<Params>,
) -> XrpcResult<Response> {
    let cid = p.cid.as_deref().map(super::cid).transpose()?;
    // The service writes the answer straight to JSON text from the stored DAG-CBOR.
    let body = service
        .get_record_json(&p.repo, nsid(&p.collection)?, rkey(&p.rkey)?, cid)
        .await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}
