//! Service proxying: XRPC methods pdsd does not serve go to another service on the caller's
//! behalf, authenticated with a fresh service token signed by the caller's repository key.
//!
//! The service is the one the `atproto-proxy: <did>#<service id>` header names (any method), or
//! without the header the configured AppView for `app.bsky.*` and the chat service for
//! `chat.bsky.*`. Bodies stream both ways; only a fixed set of headers crosses, as in the
//! reference PDS's `pipethrough.ts`.

use axum::Json;
use axum::body::Body;
use axum::extract::{FromRequestParts, Request};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::auth::AccessStandard;
use super::error::XrpcError;
use crate::auth::AccessClaims;
use crate::service::service_auth::{
    ProxyTarget, check_public_url, is_privileged_method, is_protected_method,
};
use crate::service::{Service, ServiceError};

/// The request header naming the service to proxy to.
pub const PROXY_HEADER: &str = "atproto-proxy";

/// Request headers passed on besides the body's own.
const FORWARDED_REQUEST_HEADERS: &[&str] = &[
    "accept-language",
    "atproto-accept-labelers",
    "x-bsky-topics",
];
/// Body headers passed on for requests with a body.
const FORWARDED_BODY_HEADERS: &[&str] = &["content-type", "content-encoding", "content-length"];
/// Response headers passed back: the body's, then the atproto ones.
const FORWARDED_CONTENT_HEADERS: &[&str] = &[
    "content-length",
    "content-encoding",
    "content-type",
    "content-language",
];
const FORWARDED_RESPONSE_HEADERS: &[&str] = &[
    "atproto-repo-rev",
    "atproto-content-labelers",
    "retry-after",
];

/// How much of an upstream error body is read to find its `error` and `message`.
const MAX_ERROR_BODY: usize = 64 * 1024;

fn not_implemented() -> ServiceError {
    ServiceError::named("MethodNotImplemented", "Method Not Implemented")
}

/// Answers an `/xrpc/` request no route serves: proxies it if a service is named or
/// configured for it, else `MethodNotImplemented`.
pub async fn fallback(service: Service, req: Request) -> Response {
    match proxy_unknown(&service, req).await {
        Ok(resp) => resp,
        Err(e) => XrpcError(e).into_response(),
    }
}

async fn proxy_unknown(service: &Service, req: Request) -> Result<Response, ServiceError> {
    let nsid = req
        .uri()
        .path()
        .strip_prefix("/xrpc/")
        .filter(|n| atproto::syntax::Nsid::new(n).is_ok())
        .ok_or_else(not_implemented)?
        .to_owned();
    let header = proxy_header(req.headers())?;
    let default = match &header {
        Some(_) => None,
        None => Some(
            service
                .default_proxy_target(&nsid)
                .ok_or_else(not_implemented)?,
        ),
    };
    let (mut parts, body) = req.into_parts();
    let AccessStandard(claims) = AccessStandard::from_request_parts(&mut parts, service)
        .await
        .map_err(|e| e.0)?;
    let req = Request::from_parts(parts, body);
    let target = match (default, header) {
        (Some(target), _) => target,
        (None, Some(header)) => service.resolve_proxy_header(&header).await?,
        (None, None) => return Err(not_implemented()),
    };
    forward(service, &claims, &nsid, target, req).await
}

/// Whether the request names, in `atproto-proxy`, a service other than the configured AppView.
/// The preference methods, which pdsd serves itself for the AppView, forward such requests.
pub fn names_other_app_view(service: &Service, headers: &HeaderMap) -> bool {
    headers.get(PROXY_HEADER).is_some_and(|h| {
        h.to_str()
            .map_or(true, |h| !service.is_configured_app_view(h))
    })
}

/// Forwards an already authenticated request for `nsid` to the service its `atproto-proxy`
/// header names.
pub async fn forward_to_header(
    service: &Service,
    claims: &AccessClaims,
    nsid: &str,
    req: Request,
) -> Response {
    let result = async {
        let header = proxy_header(req.headers())?
            .ok_or_else(|| ServiceError::invalid("no atproto-proxy header"))?;
        let target = service.resolve_proxy_header(&header).await?;
        forward(service, claims, nsid, target, req).await
    };
    result
        .await
        .unwrap_or_else(|e| XrpcError(e).into_response())
}

fn proxy_header(headers: &HeaderMap) -> Result<Option<String>, ServiceError> {
    headers
        .get(PROXY_HEADER)
        .map(|h| {
            h.to_str()
                .map(str::to_owned)
                .map_err(|_| ServiceError::invalid("invalid proxy header format"))
        })
        .transpose()
}

/// Sends `req` to `target` as `claims.sub`, streaming the request body up and the response
/// body back.
async fn forward(
    service: &Service,
    claims: &AccessClaims,
    nsid: &str,
    target: ProxyTarget,
    req: Request,
) -> Result<Response, ServiceError> {
    let method = req.method().clone();
    if method != Method::GET && method != Method::HEAD && method != Method::POST {
        return Err(ServiceError::invalid(
            "XRPC requests only supports GET and POST",
        ));
    }
    if is_protected_method(nsid) {
        return Err(ServiceError::named("InvalidToken", "Bad token method"));
    }
    if is_privileged_method(nsid) && !claims.scope.is_access_privileged() {
        return Err(ServiceError::named("InvalidToken", "Bad token method"));
    }

    // Only the endpoint's origin is used: the path is the caller's own `/xrpc/<nsid>?<query>`.
    let origin = reqwest::Url::parse(&target.url)
        .map(|u| u.origin().ascii_serialization())
        .map_err(|_| ServiceError::invalid("could not resolve proxy did service url"))?;
    let path = req
        .uri()
        .path_and_query()
        .map_or(req.uri().path(), |p| p.as_str());
    let url = reqwest::Url::parse(&format!("{origin}{path}"))
        .map_err(|_| ServiceError::invalid("could not resolve proxy did service url"))?;
    if !target.trusted && !service.config.disable_ssrf_protection {
        check_public_url(&url)?;
    }

    // The token's audience is the bare service DID, as the reference PDS sends it.
    let token = service
        .sign_service_token(&claims.sub, target.did.as_str(), Some(nsid), None)
        .await?;
    let mut headers = HeaderMap::new();
    let incoming = req.headers();
    headers.insert(
        header::ACCEPT_ENCODING,
        incoming
            .get(header::ACCEPT_ENCODING)
            .cloned()
            .unwrap_or_else(|| HeaderValue::from_static("identity")),
    );
    copy_headers(incoming, &mut headers, FORWARDED_REQUEST_HEADERS);
    let has_body = method == Method::POST;
    if has_body {
        copy_headers(incoming, &mut headers, FORWARDED_BODY_HEADERS);
    }
    let bearer =
        HeaderValue::try_from(format!("Bearer {token}")).map_err(ServiceError::internal)?;
    headers.insert(header::AUTHORIZATION, bearer);

    let mut upstream = service
        .outbound_client(target.trusted)
        .request(method, url)
        .headers(headers);
    if has_body {
        upstream = upstream.body(reqwest::Body::wrap_stream(
            req.into_body().into_data_stream(),
        ));
    }
    tracing::debug!(nsid, did = %claims.sub, service = %target.did, "proxying");
    let upstream = match upstream.send().await {
        Ok(resp) => resp,
        Err(e) => {
            tracing::warn!(nsid, service = %target.did, error = %e, "upstream service unreachable");
            return Ok(upstream_failure("Upstream service unreachable"));
        }
    };

    let status = upstream.status();
    if status.is_client_error() || status.is_server_error() {
        return Ok(upstream_error(upstream).await);
    }
    let mut resp = Response::builder().status(status);
    if let Some(h) = resp.headers_mut() {
        copy_headers(upstream.headers(), h, FORWARDED_CONTENT_HEADERS);
        copy_headers(upstream.headers(), h, FORWARDED_RESPONSE_HEADERS);
    }
    resp.body(Body::from_stream(upstream.bytes_stream()))
        .map_err(ServiceError::internal)
}

fn copy_headers(from: &HeaderMap, to: &mut HeaderMap, names: &[&'static str]) {
    for name in names {
        let name = HeaderName::from_static(name);
        for value in from.get_all(&name) {
            to.append(name.clone(), value.clone());
        }
    }
}

fn upstream_failure(message: &str) -> Response {
    (
        StatusCode::BAD_GATEWAY,
        Json(json!({ "error": "UpstreamFailure", "message": message })),
    )
        .into_response()
}

/// An upstream error as an XRPC error of the same status (a 500 becomes 502
/// `UpstreamFailure`), keeping its `error` and `message` when it sent JSON.
async fn upstream_error(mut upstream: reqwest::Response) -> Response {
    let status = match upstream.status().as_u16() {
        500 => StatusCode::BAD_GATEWAY,
        other => StatusCode::from_u16(other).unwrap_or(StatusCode::BAD_GATEWAY),
    };
    let is_json = upstream
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| {
            let t = t.to_ascii_lowercase();
            t.starts_with("application/json") || t.contains("+json")
        });
    let mut forwarded = HeaderMap::new();
    copy_headers(
        upstream.headers(),
        &mut forwarded,
        FORWARDED_RESPONSE_HEADERS,
    );
    let mut parsed = Value::Null;
    if is_json && !upstream.headers().contains_key(header::CONTENT_ENCODING) {
        let mut body = Vec::new();
        while let Ok(Some(chunk)) = upstream.chunk().await {
            if body.len() + chunk.len() > MAX_ERROR_BODY {
                body.clear();
                break;
            }
            body.extend_from_slice(&chunk);
        }
        parsed = serde_json::from_slice(&body).unwrap_or(Value::Null);
    }
    let (default_name, default_message) = default_error(status);
    let error = parsed
        .get("error")
        .and_then(Value::as_str)
        .unwrap_or(default_name);
    let message = parsed
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or(default_message);
    let mut resp = (status, Json(json!({ "error": error, "message": message }))).into_response();
    resp.headers_mut().extend(forwarded);
    resp
}

/// The XRPC error name and message of a bare HTTP status (`@atproto/xrpc`'s `ResponseType`).
fn default_error(status: StatusCode) -> (&'static str, &'static str) {
    match status.as_u16() {
        401 => ("AuthenticationRequired", "Authentication Required"),
        403 => ("Forbidden", "Forbidden"),
        404 => ("XRPCNotSupported", "XRPC Not Supported"),
        406 => ("NotAcceptable", "Not Acceptable"),
        413 => ("PayloadTooLarge", "Payload Too Large"),
        415 => ("UnsupportedMediaType", "Unsupported Media Type"),
        429 => ("RateLimitExceeded", "Rate Limit Exceeded"),
        501 => ("MethodNotImplemented", "Method Not Implemented"),
        503 => ("NotEnoughResources", "Not Enough Resources"),
        504 => ("UpstreamTimeout", "Upstream Timeout"),
        400..=499 => ("InvalidRequest", "Invalid Request"),
        _ => ("UpstreamFailure", "Upstream Failure"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Scope;
    use crate::auth::jwt::now_secs;
    use crate::service::test_util::TestPds;
    use crate::xrpc::router;
    use atproto::syntax::Did;
    use tower::ServiceExt;

    async fn call(pds: &TestPds, req: axum::http::Request<Body>) -> (StatusCode, Value) {
        let resp = router(pds.service.clone()).oneshot(req).await.unwrap();
        let status = resp.status();
        let body = axum::body::to_bytes(resp.into_body(), 1 << 20)
            .await
            .unwrap();
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }

    fn token(pds: &TestPds, scope: Scope) -> String {
        let did = Did::new("did:plc:ewvi7nxzyoun6zhxrhs64oiz").unwrap();
        let claims = AccessClaims::new(
            did,
            pds.service.config.service_did.as_str(),
            scope,
            now_secs(),
        );
        format!("Bearer {}", claims.encode(&pds.service.config.jwt_secret))
    }

    fn get(path: &str) -> axum::http::request::Builder {
        axum::http::Request::get(path)
    }

    #[tokio::test]
    async fn without_an_app_view_unknown_app_bsky_methods_are_not_implemented() {
        let pds = TestPds::new().await;
        let auth = token(&pds, Scope::Access);
        let req = get("/xrpc/app.bsky.feed.getTimeline")
            .header("authorization", &auth)
            .body(Body::empty())
            .unwrap();
        let (status, v) = call(&pds, req).await;
        assert_eq!(
            (status, v["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some("MethodNotImplemented"))
        );
    }

    #[tokio::test]
    async fn proxying_needs_an_access_token() {
        let pds = TestPds::with(|a| {
            a.bsky_app_view_url = Some("http://127.0.0.1:9".into());
            a.bsky_app_view_did = Some("did:web:api.bsky.app".into());
        })
        .await;
        let req = get("/xrpc/app.bsky.feed.getTimeline")
            .body(Body::empty())
            .unwrap();
        let (status, v) = call(&pds, req).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(v["error"], "AuthenticationRequired");

        // Other namespaces are not sent to the AppView.
        let req = get("/xrpc/com.example.nothing")
            .header("authorization", token(&pds, Scope::Access))
            .body(Body::empty())
            .unwrap();
        let (_, v) = call(&pds, req).await;
        assert_eq!(v["error"], "MethodNotImplemented");
    }

    #[tokio::test]
    async fn protected_and_unprivileged_dm_methods_are_refused_before_forwarding() {
        let pds = TestPds::with(|a| {
            a.bsky_app_view_url = Some("http://127.0.0.1:9".into());
            a.bsky_app_view_did = Some("did:web:api.bsky.app".into());
        })
        .await;
        let req = get("/xrpc/chat.bsky.convo.listConvos")
            .header("authorization", token(&pds, Scope::AppPass))
            .body(Body::empty())
            .unwrap();
        let (status, v) = call(&pds, req).await;
        assert_eq!(
            (status, v["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some("InvalidToken"))
        );

        // sendEmail itself is served here (admin password); a differently cased NSID misses
        // the route and reaches the proxy, which still must refuse it.
        let req = get("/xrpc/com.atproto.admin.SendEmail")
            .header("authorization", token(&pds, Scope::Access))
            .header(PROXY_HEADER, "did:web:api.bsky.app#bsky_appview")
            .body(Body::empty())
            .unwrap();
        let (status, v) = call(&pds, req).await;
        assert_eq!(
            (status, v["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some("InvalidToken"))
        );
    }

    #[tokio::test]
    async fn malformed_proxy_headers_are_invalid_request() {
        let pds = TestPds::new().await;
        for bad in ["did:web:x.com", "#bsky_appview", "did:web:x.com#a#b"] {
            let req = get("/xrpc/com.example.thing")
                .header("authorization", token(&pds, Scope::Access))
                .header(PROXY_HEADER, bad)
                .body(Body::empty())
                .unwrap();
            let (status, v) = call(&pds, req).await;
            assert_eq!(
                (status, v["error"].as_str()),
                (StatusCode::BAD_REQUEST, Some("InvalidRequest")),
                "{bad}"
            );
        }
    }

    #[test]
    fn upstream_statuses_without_a_name_get_the_xrpc_defaults() {
        assert_eq!(default_error(StatusCode::NOT_FOUND).0, "XRPCNotSupported");
        assert_eq!(default_error(StatusCode::IM_A_TEAPOT).0, "InvalidRequest");
        assert_eq!(default_error(StatusCode::BAD_GATEWAY).0, "UpstreamFailure");
    }
}
