//! The public XRPC API: one route table, grouped by auth level; one file per method named after
//! its NSID. Handlers are thin: extract, call the `Service`, answer.

pub mod auth;
pub mod com;
pub mod error;

use axum::{
    Json, Router,
    routing::{get, post},
};
use serde_json::json;

use crate::service::{Service, ServiceError};
use error::XrpcError;

/// Builds the XRPC router over a running service.
pub fn router(service: Service) -> Router {
    use com::atproto::server;
    let router = Router::new()
        .route("/xrpc/_health", get(health))
        // Public, no auth (or credentials in the body).
        .route(
            "/xrpc/com.atproto.server.createAccount",
            post(server::create_account::create_account),
        )
        .route(
            "/xrpc/com.atproto.server.createSession",
            post(server::create_session::create_session),
        )
        .route(
            "/xrpc/com.atproto.server.describeServer",
            get(server::describe_server::describe_server),
        )
        .route(
            "/xrpc/com.atproto.server.reserveSigningKey",
            post(server::reserve_signing_key::reserve_signing_key),
        )
        // Refresh token.
        .route(
            "/xrpc/com.atproto.server.deleteSession",
            post(server::delete_session::delete_session),
        )
        .route(
            "/xrpc/com.atproto.server.refreshSession",
            post(server::refresh_session::refresh_session),
        )
        // Access token.
        .route(
            "/xrpc/com.atproto.server.activateAccount",
            post(server::deactivate_account::activate_account),
        )
        .route(
            "/xrpc/com.atproto.server.checkAccountStatus",
            get(server::check_account_status::check_account_status),
        )
        .route(
            "/xrpc/com.atproto.server.createAppPassword",
            post(server::create_app_password::create_app_password),
        )
        .route(
            "/xrpc/com.atproto.server.deactivateAccount",
            post(server::deactivate_account::deactivate_account),
        )
        .route(
            "/xrpc/com.atproto.server.getAccountInviteCodes",
            get(server::get_account_invite_codes::get_account_invite_codes),
        )
        .route(
            "/xrpc/com.atproto.server.getSession",
            get(server::get_session::get_session),
        )
        .route(
            "/xrpc/com.atproto.server.listAppPasswords",
            get(server::list_app_passwords::list_app_passwords),
        )
        .route(
            "/xrpc/com.atproto.server.revokeAppPassword",
            post(server::revoke_app_password::revoke_app_password),
        )
        // Admin password.
        .route(
            "/xrpc/com.atproto.server.createInviteCode",
            post(server::create_invite_code::create_invite_code),
        )
        .route(
            "/xrpc/com.atproto.server.createInviteCodes",
            post(server::create_invite_code::create_invite_codes),
        )
        .fallback(unknown_method)
        .with_state(service.clone());
    match &service.plc_directory {
        Some(dir) => router.nest("/plc", crate::plc::directory::router(dir.clone())),
        None => router,
    }
}

async fn health() -> Json<serde_json::Value> {
    Json(json!({ "version": crate::VERSION }))
}

async fn unknown_method(uri: axum::http::Uri) -> XrpcError {
    if uri.path().starts_with("/xrpc/") {
        XrpcError(ServiceError::named(
            "MethodNotImplemented",
            "Method Not Implemented",
        ))
    } else {
        XrpcError(ServiceError::NotFound("Not Found".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::test_util::TestPds;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt;

    async fn get_json(router: Router, path: &str) -> (StatusCode, serde_json::Value) {
        let resp = router
            .oneshot(Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = resp.status();
        let body = axum::body::to_bytes(resp.into_body(), 1 << 20)
            .await
            .unwrap();
        (status, serde_json::from_slice(&body).unwrap())
    }

    #[tokio::test]
    async fn health_answers_the_version() {
        let pds = TestPds::new().await;
        let (status, v) = get_json(router(pds.service.clone()), "/xrpc/_health").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(v["version"], crate::VERSION);
    }

    #[tokio::test]
    async fn describe_server_answers_the_lexicon_fields() {
        let pds = TestPds::new().await;
        let (status, v) = get_json(
            router(pds.service.clone()),
            "/xrpc/com.atproto.server.describeServer",
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(v["did"], "did:web:localhost");
        assert_eq!(v["availableUserDomains"][0], ".test");
        assert_eq!(v["inviteCodeRequired"], true);
    }

    #[tokio::test]
    async fn unknown_methods_are_method_not_implemented() {
        let pds = TestPds::new().await;
        let (status, v) = get_json(router(pds.service.clone()), "/xrpc/com.example.nothing").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(v["error"], "MethodNotImplemented");
    }
}
