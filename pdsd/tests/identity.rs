//! Handles and DIDs through HTTP against the real pdsd binary: updateHandle and the embedded
//! PLC directory, the resolve methods and their lexicon errors, the well-known routes, and an
//! outside-domain handle served by a second HTTP server on loopback.
//!
//! An outside handle's host must be reachable, so those tests start pdsd with the test-only
//! `--dev-handle-resolver-http-port`: handle lookups then go to `http://127.0.0.1:<port>` with
//! the handle as `Host`, and DNS is skipped.

mod common;

use std::sync::{Arc, Mutex};

use common::Pdsd;
use serde_json::{Value, json};

struct Client {
    http: reqwest::Client,
    base: String,
}

impl Client {
    fn new(pds: &Pdsd) -> Client {
        pdsd::plc::install_crypto_provider();
        Client {
            http: reqwest::Client::new(),
            base: pds.url(),
        }
    }

    async fn post(&self, nsid: &str, auth: Option<&str>, body: Value) -> (u16, Value) {
        let mut req = self
            .http
            .post(format!("{}/xrpc/{nsid}", self.base))
            .json(&body);
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// GET of any path (`/xrpc/...?...`, `/plc/...`).
    async fn get(&self, path: &str, auth: Option<&str>) -> (u16, Value) {
        let mut req = self.http.get(format!("{}{path}", self.base));
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// GET with a chosen `Host` header: status, content type and body text.
    async fn get_as_host(&self, path: &str, host: &str) -> (u16, String, String) {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .header("host", host)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let ctype = resp
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        (status, ctype, resp.text().await.unwrap())
    }

    /// Signs up `<name>.test`; returns the DID and a bearer header.
    async fn create_account(&self, name: &str) -> (String, String) {
        let (status, body) = self
            .post(
                "com.atproto.server.createAccount",
                None,
                json!({
                    "handle": format!("{name}.test"),
                    "email": format!("{name}@example.com"),
                    "password": "hunter22",
                }),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        (
            body["did"].as_str().unwrap().to_string(),
            format!("Bearer {}", body["accessJwt"].as_str().unwrap()),
        )
    }
}

fn error(r: &(u16, Value)) -> (u16, &str) {
    (r.0, r.1["error"].as_str().unwrap_or(""))
}

/// A port nothing listens on.
fn closed_port() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port().to_string()
}

#[tokio::test]
async fn update_handle_moves_the_handle_in_the_plc_directory_and_frees_the_old_one() {
    let dir = tempfile::tempdir().unwrap();
    let port = closed_port();
    let pds = Pdsd::start(
        dir.path(),
        &[
            "--invite-required",
            "false",
            "--dev-handle-resolver-http-port",
            &port,
        ],
    );
    let c = Client::new(&pds);
    let (did, auth) = c.create_account("alice").await;
    c.create_account("bob").await;

    let r = c
        .post(
            "com.atproto.identity.updateHandle",
            Some(&auth),
            json!({"handle": "bob.test"}),
        )
        .await;
    assert_eq!(error(&r), (400, "HandleNotAvailable"));
    let r = c
        .post(
            "com.atproto.identity.updateHandle",
            Some(&auth),
            json!({"handle": "a"}),
        )
        .await;
    assert_eq!(error(&r), (400, "InvalidHandle"));

    let (status, body) = c
        .post(
            "com.atproto.identity.updateHandle",
            Some(&auth),
            json!({"handle": "Alicia.test"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    // The embedded directory serves the new document.
    let (status, doc) = c.get(&format!("/plc/{did}"), None).await;
    assert_eq!(status, 200);
    assert_eq!(doc["alsoKnownAs"], json!(["at://alicia.test"]));
    let (_, log) = c.get(&format!("/plc/{did}/log"), None).await;
    assert_eq!(log.as_array().unwrap().len(), 2);

    let r = c
        .get(
            "/xrpc/com.atproto.identity.resolveHandle?handle=alicia.test",
            None,
        )
        .await;
    assert_eq!((r.0, r.1["did"].as_str()), (200, Some(did.as_str())));
    let r = c
        .get(
            "/xrpc/com.atproto.identity.resolveHandle?handle=alice.test",
            None,
        )
        .await;
    assert_eq!(error(&r), (400, "HandleNotFound"));

    let r = c
        .get("/xrpc/com.atproto.server.getSession", Some(&auth))
        .await;
    assert_eq!(r.1["handle"], "alicia.test");

    // The old handle is free for someone else.
    let (_, carol) = c.create_account("carol").await;
    let (status, _) = c
        .post(
            "com.atproto.identity.updateHandle",
            Some(&carol),
            json!({"handle": "alice.test"}),
        )
        .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn resolve_methods_answer_documents_and_each_lexicon_error() {
    let dir = tempfile::tempdir().unwrap();
    let port = closed_port();
    let pds = Pdsd::start(
        dir.path(),
        &[
            "--invite-required",
            "false",
            "--dev-handle-resolver-http-port",
            &port,
        ],
    );
    let c = Client::new(&pds);
    let (did, auth) = c.create_account("alice").await;

    let r = c
        .get(
            &format!("/xrpc/com.atproto.identity.resolveDid?did={did}"),
            None,
        )
        .await;
    assert_eq!(r.0, 200);
    assert_eq!(r.1["didDoc"]["id"], did.as_str());
    assert_eq!(r.1["didDoc"]["alsoKnownAs"][0], "at://alice.test");
    for id in ["alice.test", did.as_str()] {
        let r = c
            .get(
                &format!("/xrpc/com.atproto.identity.resolveIdentity?identifier={id}"),
                None,
            )
            .await;
        assert_eq!(r.0, 200, "{}", r.1);
        assert_eq!(r.1["did"], did.as_str());
        assert_eq!(r.1["handle"], "alice.test");
        assert_eq!(r.1["didDoc"]["id"], did.as_str());
    }

    let unknown = "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa";
    let r = c
        .get(
            &format!("/xrpc/com.atproto.identity.resolveDid?did={unknown}"),
            None,
        )
        .await;
    assert_eq!(error(&r), (400, "DidNotFound"));
    let r = c
        .get(
            &format!("/xrpc/com.atproto.identity.resolveIdentity?identifier={unknown}"),
            None,
        )
        .await;
    assert_eq!(error(&r), (400, "DidNotFound"));
    for handle in ["nobody.test", "nobody.example.com"] {
        let r = c
            .get(
                &format!("/xrpc/com.atproto.identity.resolveHandle?handle={handle}"),
                None,
            )
            .await;
        assert_eq!(error(&r), (400, "HandleNotFound"), "{handle}");
        let r = c
            .get(
                &format!("/xrpc/com.atproto.identity.resolveIdentity?identifier={handle}"),
                None,
            )
            .await;
        assert_eq!(error(&r), (400, "HandleNotFound"), "{handle}");
    }
    let r = c
        .post(
            "com.atproto.identity.refreshIdentity",
            Some(&auth),
            json!({"identifier": "nobody.test"}),
        )
        .await;
    assert_eq!(error(&r), (400, "HandleNotFound"));

    // Deactivate the DID in the embedded directory with the service's rotation key.
    let key_hex =
        std::fs::read_to_string(dir.path().join("keys/plc_rotation_key.k256.hex")).unwrap();
    let key = atproto::crypto::SigningKey::from_hex(atproto::crypto::KeyType::K256, key_hex.trim())
        .unwrap();
    let (_, last) = c.get(&format!("/plc/{did}/log/last"), None).await;
    let last = atproto::plc::SignedOp::from_json(&last).unwrap();
    let tombstone = atproto::plc::UnsignedOp::tombstone(last.cid()).sign(&key);
    let resp = c
        .http
        .post(format!("{}/plc/{did}", c.base))
        .json(&tombstone.to_json())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);

    let r = c
        .get(
            &format!("/xrpc/com.atproto.identity.resolveDid?did={did}"),
            None,
        )
        .await;
    assert_eq!(error(&r), (400, "DidDeactivated"));
    let r = c
        .get(
            "/xrpc/com.atproto.identity.resolveIdentity?identifier=alice.test",
            None,
        )
        .await;
    assert_eq!(error(&r), (400, "DidDeactivated"));
    let r = c
        .post(
            "com.atproto.identity.refreshIdentity",
            Some(&auth),
            json!({"identifier": did}),
        )
        .await;
    assert_eq!(error(&r), (400, "DidDeactivated"));
}

#[tokio::test]
async fn well_known_routes_answer_by_host_header() {
    let dir = tempfile::tempdir().unwrap();
    let pds = Pdsd::start(dir.path(), &["--invite-required", "false"]);
    let c = Client::new(&pds);
    let (did, _) = c.create_account("alice").await;

    let (status, ctype, body) = c
        .get_as_host("/.well-known/atproto-did", "alice.test")
        .await;
    assert_eq!((status, body.as_str()), (200, did.as_str()));
    assert!(ctype.starts_with("text/plain"), "{ctype}");
    for host in ["bob.test", "alice.example.com", "localhost"] {
        let (status, _, _) = c.get_as_host("/.well-known/atproto-did", host).await;
        assert_eq!(status, 404, "{host}");
    }

    let (status, doc) = c.get("/.well-known/did.json", None).await;
    assert_eq!(status, 200);
    assert_eq!(doc["id"], "did:web:localhost");
    assert_eq!(doc["service"][0]["id"], "#atproto_pds");
    assert_eq!(doc["service"][0]["type"], "AtprotoPersonalDataServer");
}

#[tokio::test]
async fn an_outside_domain_handle_is_accepted_once_its_host_names_the_account() {
    // The handle's host: answers /.well-known/atproto-did for alice.example.com with whatever
    // the cell holds.
    let claimed = Arc::new(Mutex::new(String::new()));
    let cell = claimed.clone();
    let app = axum::Router::new().route(
        "/.well-known/atproto-did",
        axum::routing::get(move |headers: axum::http::HeaderMap| {
            let cell = cell.clone();
            async move {
                let host = headers.get("host").and_then(|h| h.to_str().ok());
                let did = cell.lock().unwrap().clone();
                if host == Some("alice.example.com") && !did.is_empty() {
                    (axum::http::StatusCode::OK, did)
                } else {
                    (axum::http::StatusCode::NOT_FOUND, String::new())
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let dir = tempfile::tempdir().unwrap();
    let pds = Pdsd::start(
        dir.path(),
        &[
            "--invite-required",
            "false",
            "--dev-handle-resolver-http-port",
            &port,
        ],
    );
    let c = Client::new(&pds);
    let (did, auth) = c.create_account("alice").await;

    // Not set up yet: refused, and the document keeps the old handle.
    let r = c
        .post(
            "com.atproto.identity.updateHandle",
            Some(&auth),
            json!({"handle": "alice.example.com"}),
        )
        .await;
    assert_eq!(error(&r), (400, "InvalidRequest"));
    let (_, doc) = c.get(&format!("/plc/{did}"), None).await;
    assert_eq!(doc["alsoKnownAs"], json!(["at://alice.test"]));

    *claimed.lock().unwrap() = did.clone();
    let (status, body) = c
        .post(
            "com.atproto.identity.updateHandle",
            Some(&auth),
            json!({"handle": "alice.example.com"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, doc) = c.get(&format!("/plc/{did}"), None).await;
    assert_eq!(doc["alsoKnownAs"], json!(["at://alice.example.com"]));

    let r = c
        .get(
            "/xrpc/com.atproto.identity.resolveHandle?handle=alice.example.com",
            None,
        )
        .await;
    assert_eq!(r.1["did"], did.as_str());
    let r = c
        .get(
            &format!("/xrpc/com.atproto.identity.resolveIdentity?identifier={did}"),
            None,
        )
        .await;
    assert_eq!(r.1["handle"], "alice.example.com");
    let r = c
        .get(
            "/xrpc/com.atproto.identity.resolveHandle?handle=alice.test",
            None,
        )
        .await;
    assert_eq!(error(&r), (400, "HandleNotFound"));

    // The domain stops naming the account: refreshIdentity sees it at once.
    *claimed.lock().unwrap() = String::new();
    let r = c
        .post(
            "com.atproto.identity.refreshIdentity",
            Some(&auth),
            json!({"identifier": did}),
        )
        .await;
    assert_eq!((r.0, r.1["handle"].as_str()), (200, Some("handle.invalid")));
}

#[tokio::test]
async fn plc_operation_methods_keep_this_service_in_the_document() {
    let dir = tempfile::tempdir().unwrap();
    let pds = Pdsd::start(dir.path(), &["--invite-required", "false"]);
    let c = Client::new(&pds);
    let (did, auth) = c.create_account("alice").await;

    let (status, creds) = c
        .get(
            "/xrpc/com.atproto.identity.getRecommendedDidCredentials",
            Some(&auth),
        )
        .await;
    assert_eq!(status, 200);
    let (_, data) = c.get(&format!("/plc/{did}/data"), None).await;
    assert_eq!(creds["rotationKeys"], data["rotationKeys"]);
    assert_eq!(creds["alsoKnownAs"], data["alsoKnownAs"]);
    assert_eq!(creds["verificationMethods"], data["verificationMethods"]);
    assert_eq!(creds["services"], data["services"]);

    // No SMTP server configured: no code can be sent, so nothing can be signed.
    let r = c
        .post(
            "com.atproto.identity.requestPlcOperationSignature",
            Some(&auth),
            json!({}),
        )
        .await;
    assert_eq!(error(&r), (501, "MethodNotImplemented"));
    let r = c
        .post(
            "com.atproto.identity.signPlcOperation",
            Some(&auth),
            json!({"token": "AAAAA-BBBBB"}),
        )
        .await;
    assert_eq!(error(&r), (400, "InvalidToken"));

    // An operation that drops this service's endpoint is refused.
    let (_, last) = c.get(&format!("/plc/{did}/log/last"), None).await;
    let mut op = last.clone();
    op["services"]["atproto_pds"]["endpoint"] = json!("https://elsewhere.example.com");
    let r = c
        .post(
            "com.atproto.identity.submitPlcOperation",
            Some(&auth),
            json!({"operation": op}),
        )
        .await;
    assert_eq!(error(&r), (400, "InvalidRequest"));
    assert!(
        r.1["message"].as_str().unwrap().contains("endpoint"),
        "{}",
        r.1
    );
}

#[tokio::test]
async fn a_mailed_code_signs_a_plc_operation_that_submit_then_publishes() {
    let smtp = common::smtp_server();
    let dir = tempfile::tempdir().unwrap();
    let mut flags: Vec<String> = vec!["--invite-required".into(), "false".into()];
    flags.extend(smtp.pdsd_flags());
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let pds = Pdsd::start(dir.path(), &flags);
    let c = Client::new(&pds);
    let (did, auth) = c.create_account("alice").await;

    let (status, body) = c
        .post(
            "com.atproto.identity.requestPlcOperationSignature",
            Some(&auth),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let mail = smtp.next_mail("alice@example.com");
    assert_eq!(mail.subject, "PLC Update Operation Requested");
    let token = mail.token();

    // Add a recovery key of the user's own ahead of the service's.
    let (_, data) = c.get(&format!("/plc/{did}/data"), None).await;
    let recovery = atproto::crypto::SigningKey::generate(atproto::crypto::KeyType::P256)
        .public_key()
        .to_did_key();
    let mut rotation_keys = vec![json!(recovery)];
    rotation_keys.extend(data["rotationKeys"].as_array().unwrap().iter().cloned());
    let (status, signed) = c
        .post(
            "com.atproto.identity.signPlcOperation",
            Some(&auth),
            json!({"token": token, "rotationKeys": rotation_keys}),
        )
        .await;
    assert_eq!(status, 200, "{signed}");
    let op = signed["operation"].clone();
    assert_eq!(op["rotationKeys"], json!(rotation_keys));
    assert_eq!(op["alsoKnownAs"], data["alsoKnownAs"]);

    // Signed, not yet published; and the code is used up.
    let (_, still) = c.get(&format!("/plc/{did}/data"), None).await;
    assert_eq!(still, data);
    let r = c
        .post(
            "com.atproto.identity.signPlcOperation",
            Some(&auth),
            json!({"token": token}),
        )
        .await;
    assert_eq!(error(&r), (400, "InvalidToken"));

    let (status, body) = c
        .post(
            "com.atproto.identity.submitPlcOperation",
            Some(&auth),
            json!({"operation": op}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, now) = c.get(&format!("/plc/{did}/data"), None).await;
    assert_eq!(now["rotationKeys"], json!(rotation_keys));
    let r = c
        .get(
            &format!("/xrpc/com.atproto.identity.resolveDid?did={did}"),
            None,
        )
        .await;
    assert_eq!(r.0, 200);
}
