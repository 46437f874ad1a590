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
    // Written straight to JSON text from the stored DAG-CBOR, like getRecord: a page of 100
    // records through serde_json::Value cost most of the request.
    let body = service
        .list_records_json(
            &p.repo,
            nsid(&p.collection)?,
            p.limit.unwrap_or(50),
            p.cursor,
            p.reverse,
        )
        .await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}
