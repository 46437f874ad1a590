//! `/.well-known/atproto-did` (HTTPS handle resolution for handles on this service's domains,
//! chosen by the request's host) and `/.well-known/did.json` (the service's did:web document).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use super::error::XrpcError;
use crate::service::Service;

/// The request's host without its port: the `Host` header, or the URI authority (HTTP/2).
fn request_host(headers: &HeaderMap, uri: &Uri) -> Option<String> {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| uri.host())?;
    let name = match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    };
    Some(name.trim_end_matches('.').to_ascii_lowercase())
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "User not found",
    )
        .into_response()
}

/// The DID of the account whose handle is the request's host, as `text/plain`.
pub async fn atproto_did(
    State(service): State<Service>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, XrpcError> {
    let Some(host) = request_host(&headers, &uri) else {
        return Ok(not_found());
    };
    Ok(match service.well_known_atproto_did(&host).await? {
        Some(did) => (
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            did.into_string(),
        )
            .into_response(),
        None => not_found(),
    })
}

/// The service's did:web document; 404 when its DID is not `did:web:<hostname>`.
pub async fn did_json(State(service): State<Service>) -> Response {
    match service.service_did_document() {
        Some(doc) => Json(doc).into_response(),
        None => (StatusCode::NOT_FOUND, "Not Found").into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_loses_its_port_and_case() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, "Alice.Test:2583".parse().unwrap());
        assert_eq!(
            request_host(&h, &Uri::from_static("/")).as_deref(),
            Some("alice.test")
        );
        let uri: Uri = "https://bob.test/.well-known/atproto-did".parse().unwrap();
        assert_eq!(
            request_host(&HeaderMap::new(), &uri).as_deref(),
            Some("bob.test")
        );
        assert_eq!(
            request_host(&HeaderMap::new(), &Uri::from_static("/")),
            None
        );
    }
}
