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
    let out = service
        .get_record(&p.repo, nsid(&p.collection)?, rkey(&p.rkey)?, cid)
        .await?;
    // Written straight to JSON text: the hot read path skips serde_json::Value.
    let mut body = String::with_capacity(256);
    body.push_str("{\"uri\":");
    body.push_str(&serde_json::to_string(&out.uri).unwrap_or_default());
    body.push_str(",\"cid\":\"");
    body.push_str(&out.cid.to_string());
    body.push_str("\",\"value\":");
    atproto::json::write_json(&out.value, &mut body);
    body.push('}');
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}
