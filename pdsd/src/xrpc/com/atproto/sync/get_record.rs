//! `com.atproto.sync.getRecord`: a record with its MST proof, as a CAR file.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::did_param;
use crate::service::Service;
use crate::xrpc::com::atproto::repo::{nsid, rkey};
use crate::xrpc::error::{XrpcQuery, XrpcResult};

#[derive(Debug, Deserialize)]
pub struct Params {
    did: String,
    collection: String,
    rkey: String,
}

pub async fn get_record(
    State(service): State<Service>,
    XrpcQuery(p): XrpcQuery<Params>,
) -> XrpcResult<Response> {
    let collection = nsid(&p.collection)?;
    let rkey = rkey(&p.rkey)?;
    let car = service
        .record_proof(did_param(&p.did)?, collection.to_string(), rkey.to_string())
        .await?;
    Ok(([(header::CONTENT_TYPE, "application/vnd.ipld.car")], car).into_response())
}
