pub mod get_recommended_did_credentials;
pub mod refresh_identity;
pub mod request_plc_operation_signature;
pub mod resolve_did;
pub mod resolve_handle;
pub mod resolve_identity;
pub mod sign_plc_operation;
pub mod submit_plc_operation;
pub mod update_handle;

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::http::{Request, StatusCode, header};
    use serde_json::{Value, json};
    use tower::ServiceExt;

    use crate::service::account::CreateAccountInput;
    use crate::service::test_util::TestPds;
    use crate::xrpc::router;

    async fn pds() -> TestPds {
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = closed.local_addr().unwrap().port();
        drop(closed);
        TestPds::with(|a| {
            a.invite_required = Some(false);
            a.dev_handle_resolver_http_port = Some(port);
        })
        .await
    }

    /// Creates `<name>.test` and returns its DID and a bearer header.
    async fn account(pds: &TestPds, name: &str) -> (String, String) {
        let s = pds
            .service
            .create_account(CreateAccountInput {
                handle: format!("{name}.test"),
                email: Some(format!("{name}@example.com")),
                password: Some("hunter22".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        (s.did, format!("Bearer {}", s.access_jwt))
    }

    async fn call(app: Router, req: Request<Body>) -> (StatusCode, Value, String) {
        let resp = app.oneshot(req).await.unwrap();
        let status = resp.status();
        let ctype = resp
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        let body = axum::body::to_bytes(resp.into_body(), 1 << 20)
            .await
            .unwrap();
        let text = String::from_utf8_lossy(&body).into_owned();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::Null),
            ctype + "\n" + &text,
        )
    }

    async fn get(pds: &TestPds, path: &str) -> (StatusCode, Value) {
        let req = Request::get(path).body(Body::empty()).unwrap();
        let (status, v, _) = call(router(pds.service.clone()), req).await;
        (status, v)
    }

    async fn post(
        pds: &TestPds,
        nsid: &str,
        auth: Option<&str>,
        body: Value,
    ) -> (StatusCode, Value) {
        let mut req =
            Request::post(format!("/xrpc/{nsid}")).header(header::CONTENT_TYPE, "application/json");
        if let Some(a) = auth {
            req = req.header(header::AUTHORIZATION, a);
        }
        let req = req.body(Body::from(body.to_string())).unwrap();
        let (status, v, _) = call(router(pds.service.clone()), req).await;
        (status, v)
    }

    fn error(r: &(StatusCode, Value)) -> (u16, &str) {
        (r.0.as_u16(), r.1["error"].as_str().unwrap_or(""))
    }

    async fn tombstone(pds: &TestPds, did: &str) {
        let s = &pds.service;
        let did = atproto::syntax::Did::new(did).unwrap();
        let last = s.plc.last_op(&did).await.unwrap().unwrap();
        let op = atproto::plc::UnsignedOp::tombstone(last.cid()).sign(&s.config.plc_rotation_key);
        s.plc.submit(&did, &op).await.unwrap();
    }

    #[tokio::test]
    async fn resolve_handle_answers_the_did_or_handle_not_found() {
        let pds = pds().await;
        let (did, _) = account(&pds, "alice").await;
        let r = get(
            &pds,
            "/xrpc/com.atproto.identity.resolveHandle?handle=alice.test",
        )
        .await;
        assert_eq!(
            (r.0, r.1["did"].as_str()),
            (StatusCode::OK, Some(did.as_str()))
        );
        let r = get(
            &pds,
            "/xrpc/com.atproto.identity.resolveHandle?handle=bob.test",
        )
        .await;
        assert_eq!(error(&r), (400, "HandleNotFound"));
        let r = get(
            &pds,
            "/xrpc/com.atproto.identity.resolveHandle?handle=x.example.com",
        )
        .await;
        assert_eq!(error(&r), (400, "HandleNotFound"));
        let r = get(&pds, "/xrpc/com.atproto.identity.resolveHandle").await;
        assert_eq!(error(&r), (400, "InvalidRequest"));
    }

    #[tokio::test]
    async fn resolve_did_answers_the_document_did_not_found_or_did_deactivated() {
        let pds = pds().await;
        let (did, _) = account(&pds, "alice").await;
        let r = get(
            &pds,
            &format!("/xrpc/com.atproto.identity.resolveDid?did={did}"),
        )
        .await;
        assert_eq!((r.0, &r.1["didDoc"]["id"]), (StatusCode::OK, &json!(did)));
        let r = get(
            &pds,
            "/xrpc/com.atproto.identity.resolveDid?did=did:plc:aaaaaaaaaaaaaaaaaaaaaaaa",
        )
        .await;
        assert_eq!(error(&r), (400, "DidNotFound"));
        tombstone(&pds, &did).await;
        let r = get(
            &pds,
            &format!("/xrpc/com.atproto.identity.resolveDid?did={did}"),
        )
        .await;
        assert_eq!(error(&r), (400, "DidDeactivated"));
    }

    #[tokio::test]
    async fn resolve_identity_answers_identity_info_and_each_lexicon_error() {
        let pds = pds().await;
        let (did, _) = account(&pds, "alice").await;
        for id in ["alice.test", did.as_str()] {
            let r = get(
                &pds,
                &format!("/xrpc/com.atproto.identity.resolveIdentity?identifier={id}"),
            )
            .await;
            assert_eq!(r.0, StatusCode::OK);
            assert_eq!(
                (r.1["did"].as_str(), r.1["handle"].as_str()),
                (Some(did.as_str()), Some("alice.test"))
            );
            assert_eq!(r.1["didDoc"]["id"], did.as_str());
        }
        let r = get(
            &pds,
            "/xrpc/com.atproto.identity.resolveIdentity?identifier=bob.test",
        )
        .await;
        assert_eq!(error(&r), (400, "HandleNotFound"));
        let r = get(
            &pds,
            "/xrpc/com.atproto.identity.resolveIdentity?identifier=did:plc:aaaaaaaaaaaaaaaaaaaaaaaa",
        )
        .await;
        assert_eq!(error(&r), (400, "DidNotFound"));
        tombstone(&pds, &did).await;
        let r = get(
            &pds,
            "/xrpc/com.atproto.identity.resolveIdentity?identifier=alice.test",
        )
        .await;
        assert_eq!(error(&r), (400, "DidDeactivated"));
    }

    #[tokio::test]
    async fn refresh_identity_needs_a_session_and_names_the_same_errors() {
        let pds = pds().await;
        let (did, auth) = account(&pds, "alice").await;
        let nsid = "com.atproto.identity.refreshIdentity";
        let r = post(&pds, nsid, None, json!({"identifier": "alice.test"})).await;
        assert_eq!(error(&r), (401, "AuthenticationRequired"));
        let r = post(&pds, nsid, Some(&auth), json!({"identifier": "alice.test"})).await;
        assert_eq!(
            (r.0, r.1["did"].as_str()),
            (StatusCode::OK, Some(did.as_str()))
        );
        let r = post(&pds, nsid, Some(&auth), json!({"identifier": "bob.test"})).await;
        assert_eq!(error(&r), (400, "HandleNotFound"));
        let unknown = json!({"identifier": "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa"});
        let r = post(&pds, nsid, Some(&auth), unknown).await;
        assert_eq!(error(&r), (400, "DidNotFound"));
        tombstone(&pds, &did).await;
        let r = post(&pds, nsid, Some(&auth), json!({"identifier": did})).await;
        assert_eq!(error(&r), (400, "DidDeactivated"));
    }

    #[tokio::test]
    async fn update_handle_answers_empty_or_the_reference_errors() {
        let pds = pds().await;
        let (_, auth) = account(&pds, "alice").await;
        account(&pds, "bob").await;
        let nsid = "com.atproto.identity.updateHandle";
        let r = post(&pds, nsid, None, json!({"handle": "carol.test"})).await;
        assert_eq!(error(&r), (401, "AuthenticationRequired"));
        let r = post(&pds, nsid, Some(&auth), json!({"handle": "bob.test"})).await;
        assert_eq!(error(&r), (400, "HandleNotAvailable"));
        let r = post(&pds, nsid, Some(&auth), json!({"handle": "x"})).await;
        assert_eq!(error(&r), (400, "InvalidHandle"));
        let r = post(&pds, nsid, Some(&auth), json!({})).await;
        assert_eq!(error(&r), (400, "InvalidRequest"));
        let r = post(&pds, nsid, Some(&auth), json!({"handle": "carol.test"})).await;
        assert_eq!(r.0, StatusCode::OK);
        let r = get(
            &pds,
            "/xrpc/com.atproto.identity.resolveHandle?handle=carol.test",
        )
        .await;
        assert_eq!(r.0, StatusCode::OK);
    }

    #[tokio::test]
    async fn plc_operation_methods_check_their_session_and_token() {
        let pds = pds().await;
        let (_, auth) = account(&pds, "alice").await;
        let r = get(
            &pds,
            "/xrpc/com.atproto.identity.getRecommendedDidCredentials",
        )
        .await;
        assert_eq!(error(&r), (401, "AuthenticationRequired"));
        let req = Request::get("/xrpc/com.atproto.identity.getRecommendedDidCredentials")
            .header(header::AUTHORIZATION, &auth)
            .body(Body::empty())
            .unwrap();
        let (status, v, _) = call(router(pds.service.clone()), req).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(v["alsoKnownAs"][0], "at://alice.test");
        assert_eq!(
            v["services"]["atproto_pds"]["type"],
            "AtprotoPersonalDataServer"
        );

        // No SMTP configured here: the code cannot be sent.
        let r = post(
            &pds,
            "com.atproto.identity.requestPlcOperationSignature",
            Some(&auth),
            json!({}),
        )
        .await;
        assert_eq!(error(&r), (501, "MethodNotImplemented"));
        let r = post(
            &pds,
            "com.atproto.identity.signPlcOperation",
            Some(&auth),
            json!({}),
        )
        .await;
        assert_eq!(error(&r), (400, "InvalidRequest"));
        let r = post(
            &pds,
            "com.atproto.identity.signPlcOperation",
            Some(&auth),
            json!({"token": "NOPE-NOPE"}),
        )
        .await;
        assert_eq!(error(&r), (400, "InvalidToken"));
        let r = post(
            &pds,
            "com.atproto.identity.submitPlcOperation",
            Some(&auth),
            json!({"operation": {}}),
        )
        .await;
        assert_eq!(error(&r), (400, "InvalidRequest"));
    }

    #[tokio::test]
    async fn well_known_routes_answer_by_host() {
        let pds = pds().await;
        let (did, _) = account(&pds, "alice").await;
        let host_get = |host: &'static str, path: &'static str| {
            Request::get(path)
                .header(header::HOST, host)
                .body(Body::empty())
                .unwrap()
        };
        let (status, _, text) = call(
            router(pds.service.clone()),
            host_get("alice.test:2583", "/.well-known/atproto-did"),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(text, format!("text/plain; charset=utf-8\n{did}"));
        for host in ["bob.test", "localhost", "alice.example.com"] {
            let (status, _, _) = call(
                router(pds.service.clone()),
                host_get(host, "/.well-known/atproto-did"),
            )
            .await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{host}");
        }
        let (status, v, _) = call(
            router(pds.service.clone()),
            host_get("localhost", "/.well-known/did.json"),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(v["id"], "did:web:localhost");
        assert_eq!(v["service"][0]["type"], "AtprotoPersonalDataServer");
    }
}
