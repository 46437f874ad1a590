//! `com.atproto.sync.getBlocks`: `cids` is a repeated query parameter.

use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::did_param;
use crate::service::{Service, ServiceError};
use crate::xrpc::error::XrpcResult;

pub async fn get_blocks(
    State(service): State<Service>,
    RawQuery(query): RawQuery,
) -> XrpcResult<Response> {
    let mut did = None;
    let mut cids = Vec::new();
    for (k, v) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match &*k {
            "did" => did = Some(v.into_owned()),
            "cids" => cids.push(crate::xrpc::com::atproto::repo::cid(&v)?),
            _ => {}
        }
    }
    let did = did.ok_or_else(|| ServiceError::invalid("Missing required parameter: did"))?;
    if cids.is_empty() {
        return Err(ServiceError::invalid("Missing required parameter: cids").into());
    }
    let car = service.get_blocks(did_param(&did)?, cids).await?;
    Ok(([(header::CONTENT_TYPE, "application/vnd.ipld.car")], car).into_response())
}
