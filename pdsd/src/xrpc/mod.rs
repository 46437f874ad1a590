//! The public XRPC API: one route table, grouped by auth level; one file per method named after
//! its NSID. Handlers are thin: extract, call the `Service`, answer.

pub mod app;
pub mod auth;
pub mod com;
pub mod error;
pub mod proxy;
pub mod rate_limit;
pub mod well_known;

use axum::{
    Json, Router,
    routing::{get, post},
};
use serde_json::json;

use crate::service::{Service, ServiceError};
use error::XrpcError;

/// Builds the XRPC router over a running service.
pub fn router(service: Service) -> Router {
    use app::bsky::actor;
    use com::atproto::{admin, identity, repo, server, sync};
    use rate_limit::{CREATE_ACCOUNT, CREATE_SESSION, REQUEST_PASSWORD_RESET, RESET_PASSWORD};
    let limits = rate_limit::RateLimits::new(service.config.rate_limits_enabled);
    let router = Router::new()
        .route("/xrpc/_health", get(health))
        .route("/.well-known/atproto-did", get(well_known::atproto_did))
        .route("/.well-known/did.json", get(well_known::did_json))
        // Public, no auth (or credentials in the body).
        .route(
            "/xrpc/com.atproto.identity.resolveDid",
            get(identity::resolve_did::resolve_did),
        )
        .route(
            "/xrpc/com.atproto.identity.resolveHandle",
            get(identity::resolve_handle::resolve_handle),
        )
        .route(
            "/xrpc/com.atproto.identity.resolveIdentity",
            get(identity::resolve_identity::resolve_identity),
        )
        .route(
            "/xrpc/com.atproto.repo.describeRepo",
            get(repo::describe_repo::describe_repo),
        )
        .route(
            "/xrpc/com.atproto.repo.getRecord",
            get(repo::get_record::get_record),
        )
        .route(
            "/xrpc/com.atproto.repo.listRecords",
            get(repo::list_records::list_records),
        )
        .route(
            "/xrpc/com.atproto.sync.getBlob",
            get(sync::get_blob::get_blob),
        )
        .route(
            "/xrpc/com.atproto.sync.getBlocks",
            get(sync::get_blocks::get_blocks),
        )
        .route(
            "/xrpc/com.atproto.sync.getLatestCommit",
            get(sync::get_latest_commit::get_latest_commit),
        )
        .route(
            "/xrpc/com.atproto.sync.getRecord",
            get(sync::get_record::get_record),
        )
        .route(
            "/xrpc/com.atproto.sync.getRepo",
            get(sync::get_repo::get_repo),
        )
        .route(
            "/xrpc/com.atproto.sync.getRepoStatus",
            get(sync::get_repo_status::get_repo_status),
        )
        .route(
            "/xrpc/com.atproto.sync.listBlobs",
            get(sync::list_blobs::list_blobs),
        )
        .route(
            "/xrpc/com.atproto.sync.listRepos",
            get(sync::list_repos::list_repos),
        )
        .route(
            "/xrpc/com.atproto.sync.subscribeRepos",
            get(sync::subscribe_repos::subscribe_repos),
        )
        .route(
            "/xrpc/com.atproto.server.createAccount",
            limits.apply(
                &CREATE_ACCOUNT,
                post(server::create_account::create_account),
            ),
        )
        .route(
            "/xrpc/com.atproto.server.createSession",
            limits.apply(
                &CREATE_SESSION,
                post(server::create_session::create_session),
            ),
        )
        .route(
            "/xrpc/com.atproto.server.deleteAccount",
            post(server::delete_account::delete_account),
        )
        .route(
            "/xrpc/com.atproto.server.describeServer",
            get(server::describe_server::describe_server),
        )
        .route(
            "/xrpc/com.atproto.server.requestPasswordReset",
            limits.apply(
                &REQUEST_PASSWORD_RESET,
                post(server::request_password_reset::request_password_reset),
            ),
        )
        .route(
            "/xrpc/com.atproto.server.reserveSigningKey",
            post(server::reserve_signing_key::reserve_signing_key),
        )
        .route(
            "/xrpc/com.atproto.server.resetPassword",
            limits.apply(
                &RESET_PASSWORD,
                post(server::reset_password::reset_password),
            ),
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
            "/xrpc/app.bsky.actor.getPreferences",
            get(actor::get_preferences::get_preferences),
        )
        .route(
            "/xrpc/app.bsky.actor.putPreferences",
            post(actor::put_preferences::put_preferences),
        )
        .route(
            "/xrpc/com.atproto.identity.getRecommendedDidCredentials",
            get(identity::get_recommended_did_credentials::get_recommended_did_credentials),
        )
        .route(
            "/xrpc/com.atproto.identity.refreshIdentity",
            post(identity::refresh_identity::refresh_identity),
        )
        .route(
            "/xrpc/com.atproto.identity.requestPlcOperationSignature",
            post(identity::request_plc_operation_signature::request_plc_operation_signature),
        )
        .route(
            "/xrpc/com.atproto.identity.signPlcOperation",
            post(identity::sign_plc_operation::sign_plc_operation),
        )
        .route(
            "/xrpc/com.atproto.identity.submitPlcOperation",
            post(identity::submit_plc_operation::submit_plc_operation),
        )
        .route(
            "/xrpc/com.atproto.identity.updateHandle",
            post(identity::update_handle::update_handle),
        )
        .route(
            "/xrpc/com.atproto.repo.applyWrites",
            post(repo::apply_writes::apply_writes),
        )
        .route(
            "/xrpc/com.atproto.repo.createRecord",
            post(repo::create_record::create_record),
        )
        .route(
            "/xrpc/com.atproto.repo.deleteRecord",
            post(repo::delete_record::delete_record),
        )
        .route(
            "/xrpc/com.atproto.repo.importRepo",
            post(repo::import_repo::import_repo).layer(axum::extract::DefaultBodyLimit::max(
                crate::service::repo::import::MAX_IMPORT_BYTES,
            )),
        )
        .route(
            "/xrpc/com.atproto.repo.listMissingBlobs",
            get(repo::list_missing_blobs::list_missing_blobs),
        )
        .route(
            "/xrpc/com.atproto.repo.putRecord",
            post(repo::put_record::put_record),
        )
        .route(
            "/xrpc/com.atproto.repo.uploadBlob",
            post(repo::upload_blob::upload_blob),
        )
        .route(
            "/xrpc/com.atproto.server.activateAccount",
            post(server::deactivate_account::activate_account),
        )
        .route(
            "/xrpc/com.atproto.server.checkAccountStatus",
            get(server::check_account_status::check_account_status),
        )
        .route(
            "/xrpc/com.atproto.server.confirmEmail",
            post(server::confirm_email::confirm_email),
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
            "/xrpc/com.atproto.server.getServiceAuth",
            get(server::get_service_auth::get_service_auth),
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
            "/xrpc/com.atproto.server.requestAccountDelete",
            post(server::request_account_delete::request_account_delete),
        )
        .route(
            "/xrpc/com.atproto.server.requestEmailConfirmation",
            post(server::request_email_confirmation::request_email_confirmation),
        )
        .route(
            "/xrpc/com.atproto.server.requestEmailUpdate",
            post(server::request_email_update::request_email_update),
        )
        .route(
            "/xrpc/com.atproto.server.revokeAppPassword",
            post(server::revoke_app_password::revoke_app_password),
        )
        .route(
            "/xrpc/com.atproto.server.updateEmail",
            post(server::update_email::update_email),
        )
        // Admin password.
        .route(
            "/xrpc/com.atproto.admin.deleteAccount",
            post(admin::delete_account::delete_account),
        )
        .route(
            "/xrpc/com.atproto.admin.disableAccountInvites",
            post(admin::disable_account_invites::disable_account_invites),
        )
        .route(
            "/xrpc/com.atproto.admin.disableInviteCodes",
            post(admin::disable_invite_codes::disable_invite_codes),
        )
        .route(
            "/xrpc/com.atproto.admin.enableAccountInvites",
            post(admin::enable_account_invites::enable_account_invites),
        )
        .route(
            "/xrpc/com.atproto.admin.getAccountInfo",
            get(admin::get_account_info::get_account_info),
        )
        .route(
            "/xrpc/com.atproto.admin.getAccountInfos",
            get(admin::get_account_infos::get_account_infos),
        )
        .route(
            "/xrpc/com.atproto.admin.getInviteCodes",
            get(admin::get_invite_codes::get_invite_codes),
        )
        .route(
            "/xrpc/com.atproto.admin.searchAccounts",
            get(admin::search_accounts::search_accounts),
        )
        .route(
            "/xrpc/com.atproto.admin.sendEmail",
            post(admin::send_email::send_email),
        )
        .route(
            "/xrpc/com.atproto.admin.updateAccountEmail",
            post(admin::update_account_email::update_account_email),
        )
        .route(
            "/xrpc/com.atproto.admin.updateAccountHandle",
            post(admin::update_account_handle::update_account_handle),
        )
        .route(
            "/xrpc/com.atproto.admin.updateAccountPassword",
            post(admin::update_account_password::update_account_password),
        )
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

/// Methods no route serves are proxied when a service is named or configured for them
/// (`proxy::fallback`), else `MethodNotImplemented`.
async fn unknown_method(
    axum::extract::State(service): axum::extract::State<Service>,
    req: axum::extract::Request,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if req.uri().path().starts_with("/xrpc/") {
        proxy::fallback(service, req).await
    } else {
        XrpcError(ServiceError::NotFound("Not Found".into())).into_response()
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
