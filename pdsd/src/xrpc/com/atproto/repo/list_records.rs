//! `com.atproto.repo.listRecords`: public.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::nsid;
use crate::service::Service;
use crate::xrpc::error::{XrpcQuery, XrpcResult};

#[derive(Debug, Deserialize)]
pub struct Params {
    repo: String,
    collection: String,
    limit: Option<usize>,
    cursor: Option<String>,
    #[serde(default)]
    reverse: bool,
}

pub async fn list_records(
    State(service): State<Service>,
    XrpcQuery(p): XrpcQuery<Params>,
) -> XrpcResult<Response> {
    let (records, cursor) = service
        .list_records(
            &p.repo,
            nsid(&p.collection)?,
            p.limit.unwrap_or(50),
            p.cursor,
            p.reverse,
        )
        .await?;
    // Written straight to JSON text, like getRecord: a page of 100 records through
    // serde_json::Value cost most of the request.
    let mut body = String::with_capacity(128 + records.len() * 512);
    body.push('{');
    if let Some(c) = &cursor {
        body.push_str("\"cursor\":");
        body.push_str(&serde_json::to_string(c).unwrap_or_default());
        body.push(',');
    }
    body.push_str("\"records\":[");
    for (i, r) in records.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str("{\"uri\":");
        body.push_str(&serde_json::to_string(&r.uri).unwrap_or_default());
        body.push_str(",\"cid\":\"");
        body.push_str(&r.cid.to_string());
        body.push_str("\",\"value\":");
        atproto::json::write_json(&r.value, &mut body);
        body.push('}');
    }
    body.push_str("]}");
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}
