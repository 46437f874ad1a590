//! `app.bsky.actor.putPreferences`: replaces the stored `app.bsky` preferences, unless the
//! request names another AppView in `atproto-proxy`.

use axum::extract::{FromRequest, Request, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;

use crate::service::Service;
use crate::xrpc::auth::AccessStandard;
use crate::xrpc::error::{XrpcJson, XrpcResult};
use crate::xrpc::proxy;

#[derive(Debug, Deserialize)]
pub struct Input {
    preferences: Vec<Value>,
}

pub async fn put_preferences(
    State(service): State<Service>,
    AccessStandard(claims): AccessStandard,
    req: Request,
) -> XrpcResult<Response> {
    if proxy::names_other_app_view(&service, req.headers()) {
        let nsid = "app.bsky.actor.putPreferences";
        return Ok(proxy::forward_to_header(&service, &claims, nsid, req).await);
    }
    let XrpcJson(input) = XrpcJson::<Input>::from_request(req, &service).await?;
    let full = claims.scope.is_access_full();
    service
        .put_preferences(claims.sub, input.preferences, full)
        .await?;
    Ok(().into_response())
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use serde_json::json;
    use tower::ServiceExt;

    use super::*;
    use crate::service::account::CreateAccountInput;
    use crate::service::test_util::TestPds;

    async fn call(pds: &TestPds, req: Request<Body>) -> (StatusCode, Value) {
        let resp = crate::xrpc::router(pds.service.clone())
            .oneshot(req)
            .await
            .unwrap();
        let status = resp.status();
        let body = axum::body::to_bytes(resp.into_body(), 1 << 20)
            .await
            .unwrap();
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }

    fn put(auth: &str, body: Value) -> Request<Body> {
        Request::post("/xrpc/app.bsky.actor.putPreferences")
            .header("authorization", format!("Bearer {auth}"))
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap()
    }

    fn get(auth: &str) -> Request<Body> {
        Request::get("/xrpc/app.bsky.actor.getPreferences")
            .header("authorization", format!("Bearer {auth}"))
            .body(Body::empty())
            .unwrap()
    }

    async fn access_token(pds: &TestPds) -> String {
        pds.service
            .create_account(CreateAccountInput {
                email: Some("alice@example.com".into()),
                handle: "alice.test".into(),
                password: Some("hunter22".into()),
                ..Default::default()
            })
            .await
            .unwrap()
            .access_jwt
    }

    #[tokio::test]
    async fn put_then_get_preferences_round_trips() {
        let pds = TestPds::with(|a| a.invite_required = Some(false)).await;
        let auth = access_token(&pds).await;
        let (status, v) = call(&pds, get(&auth)).await;
        assert_eq!((status, v), (StatusCode::OK, json!({"preferences": []})));
        let prefs = json!([
            {"$type": "app.bsky.actor.defs#adultContentPref", "enabled": true},
            {"$type": "app.bsky.actor.defs#savedFeedsPrefV2", "items": []},
        ]);
        let (status, _) = call(&pds, put(&auth, json!({ "preferences": prefs }))).await;
        assert_eq!(status, StatusCode::OK);
        let (status, v) = call(&pds, get(&auth)).await;
        assert_eq!(
            (status, v),
            (StatusCode::OK, json!({ "preferences": prefs }))
        );
    }

    #[tokio::test]
    async fn bad_preferences_are_invalid_request_and_change_nothing() {
        let pds = TestPds::with(|a| a.invite_required = Some(false)).await;
        let auth = access_token(&pds).await;
        for body in [
            json!({"preferences": [{"enabled": true}]}),
            json!({"preferences": [{"$type": "com.example.pref"}]}),
            json!({"preferences": "nope"}),
            json!({}),
        ] {
            let (status, v) = call(&pds, put(&auth, body.clone())).await;
            assert_eq!(
                (status, v["error"].as_str()),
                (StatusCode::BAD_REQUEST, Some("InvalidRequest")),
                "{body}"
            );
        }
        let (_, v) = call(&pds, get(&auth)).await;
        assert_eq!(v, json!({"preferences": []}));
    }

    #[tokio::test]
    async fn preferences_need_an_access_token() {
        let pds = TestPds::new().await;
        let req = Request::get("/xrpc/app.bsky.actor.getPreferences")
            .body(Body::empty())
            .unwrap();
        let (status, v) = call(&pds, req).await;
        assert_eq!(
            (status, v["error"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("AuthenticationRequired"))
        );
    }
}
