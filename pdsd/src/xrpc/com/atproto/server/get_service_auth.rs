//! `com.atproto.server.getServiceAuth`.

use axum::Json;
use axum::extract::{Query, State, rejection::QueryRejection};
use serde::{Deserialize, Serialize};

use crate::service::service_auth::ServiceAuthInput;
use crate::service::{Service, ServiceError};
use crate::xrpc::auth::AccessStandard;
use crate::xrpc::error::XrpcResult;

#[derive(Debug, Deserialize)]
pub struct Params {
    aud: String,
    exp: Option<i64>,
    lxm: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Output {
    token: String,
}

pub async fn get_service_auth(
    State(service): State<Service>,
    AccessStandard(claims): AccessStandard,
    params: Result<Query<Params>, QueryRejection>,
) -> XrpcResult<Json<Output>> {
    let Query(p) = params.map_err(|e| ServiceError::invalid(e.body_text()))?;
    let input = ServiceAuthInput {
        aud: p.aud,
        exp: p.exp,
        lxm: p.lxm,
    };
    let token = service.get_service_auth(&claims, input).await?;
    Ok(Json(Output { token }))
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use serde_json::Value;
    use tower::ServiceExt;

    use crate::auth::ServiceToken;
    use crate::auth::jwt::now_secs;
    use crate::service::account::CreateAccountInput;
    use crate::service::test_util::TestPds;

    async fn get(pds: &TestPds, query: &str, auth: Option<&str>) -> (StatusCode, Value) {
        let mut req = Request::get(format!("/xrpc/com.atproto.server.getServiceAuth?{query}"));
        if let Some(token) = auth {
            req = req.header("authorization", format!("Bearer {token}"));
        }
        let resp = crate::xrpc::router(pds.service.clone())
            .oneshot(req.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = resp.status();
        let body = axum::body::to_bytes(resp.into_body(), 1 << 20)
            .await
            .unwrap();
        (status, serde_json::from_slice(&body).unwrap())
    }

    async fn account(pds: &TestPds) -> (String, String) {
        let out = pds
            .service
            .create_account(CreateAccountInput {
                email: Some("alice@example.com".into()),
                handle: "alice.test".into(),
                password: Some("hunter22".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        (out.did, out.access_jwt)
    }

    #[tokio::test]
    async fn get_service_auth_answers_a_token_for_the_caller() {
        let pds = TestPds::with(|a| a.invite_required = Some(false)).await;
        let (did, access) = account(&pds).await;
        let (status, v) = get(
            &pds,
            "aud=did:web:api.bsky.app&lxm=app.bsky.feed.getTimeline",
            Some(&access),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{v}");
        let token = ServiceToken::parse(v["token"].as_str().unwrap()).unwrap();
        assert_eq!(token.claims().iss, did);
        assert_eq!(token.claims().aud, "did:web:api.bsky.app");
        assert_eq!(
            token.claims().lxm.as_deref(),
            Some("app.bsky.feed.getTimeline")
        );
    }

    #[tokio::test]
    async fn get_service_auth_with_a_far_expiry_is_bad_expiration() {
        let pds = TestPds::with(|a| a.invite_required = Some(false)).await;
        let (_, access) = account(&pds).await;
        let exp = now_secs() + 2 * 60 * 60;
        let (status, v) = get(
            &pds,
            &format!("aud=did:web:api.bsky.app&lxm=app.bsky.feed.getTimeline&exp={exp}"),
            Some(&access),
        )
        .await;
        assert_eq!(
            (status, v["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some("BadExpiration"))
        );
    }

    #[tokio::test]
    async fn get_service_auth_needs_auth_and_an_aud() {
        let pds = TestPds::with(|a| a.invite_required = Some(false)).await;
        let (status, v) = get(&pds, "aud=did:web:api.bsky.app", None).await;
        assert_eq!(
            (status, v["error"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("AuthenticationRequired"))
        );
        let (_, access) = account(&pds).await;
        for query in ["", "aud=did:web:x.com&exp=soon", "aud=handle.test"] {
            let (status, v) = get(&pds, query, Some(&access)).await;
            assert_eq!(
                (status, v["error"].as_str()),
                (StatusCode::BAD_REQUEST, Some("InvalidRequest")),
                "{query}"
            );
        }
    }
}
