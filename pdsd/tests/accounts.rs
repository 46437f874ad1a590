//! The account life cycle through HTTP against the real pdsd binary, including with the
//! official `@atproto/api` client.

mod common;

use common::{Pdsd, run_js};
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

    async fn get(&self, nsid: &str, auth: Option<&str>) -> (u16, Value) {
        let mut req = self.http.get(format!("{}/xrpc/{nsid}", self.base));
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }
}

fn basic(password: &str) -> String {
    use base64::Engine;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("admin:{password}"))
    )
}

fn bearer(token: &Value) -> String {
    format!("Bearer {}", token.as_str().unwrap())
}

#[tokio::test]
async fn sign_up_with_an_invite_then_login_refresh_and_logout() {
    let dir = tempfile::tempdir().unwrap();
    let pds = Pdsd::start(dir.path(), &[]);
    let c = Client::new(&pds);
    let admin = basic(&pds.admin_password());

    // Invites are required by default.
    let (status, body) = c
        .post(
            "com.atproto.server.createAccount",
            None,
            json!({"handle": "alice.test", "email": "alice@example.com", "password": "hunter22"}),
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("InvalidInviteCode"))
    );

    let (status, _) = c
        .post(
            "com.atproto.server.createInviteCode",
            Some("Basic bad"),
            json!({"useCount": 1}),
        )
        .await;
    assert_eq!(status, 401);
    let (status, invite) = c
        .post(
            "com.atproto.server.createInviteCode",
            Some(&admin),
            json!({"useCount": 1}),
        )
        .await;
    assert_eq!(status, 200, "{invite}");
    let code = invite["code"].as_str().unwrap();

    let (status, created) = c
        .post(
            "com.atproto.server.createAccount",
            None,
            json!({"handle": "Alice.test", "email": "alice@example.com", "password": "hunter22", "inviteCode": code}),
        )
        .await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(created["handle"], "alice.test");
    let did = created["did"].as_str().unwrap().to_string();
    assert!(did.starts_with("did:plc:"));

    // The code is used up; the handle is taken.
    let (status, body) = c
        .post(
            "com.atproto.server.createAccount",
            None,
            json!({"handle": "bob.test", "email": "bob@example.com", "password": "x", "inviteCode": code}),
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("InvalidInviteCode"))
    );

    // Login by handle, email and DID; a wrong password is 401 AuthenticationRequired.
    for identifier in ["alice.test", "ALICE@example.com", did.as_str()] {
        let (status, body) = c
            .post(
                "com.atproto.server.createSession",
                None,
                json!({"identifier": identifier, "password": "hunter22"}),
            )
            .await;
        assert_eq!(status, 200, "{identifier}: {body}");
        assert_eq!(body["did"], did.as_str());
    }
    let (status, body) = c
        .post(
            "com.atproto.server.createSession",
            None,
            json!({"identifier": "alice.test", "password": "wrong"}),
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("AuthenticationRequired"))
    );

    let (_, session) = c
        .post(
            "com.atproto.server.createSession",
            None,
            json!({"identifier": "alice.test", "password": "hunter22"}),
        )
        .await;
    let (status, me) = c
        .get(
            "com.atproto.server.getSession",
            Some(&bearer(&session["accessJwt"])),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(me["handle"], "alice.test");
    assert_eq!(me["email"], "alice@example.com");
    assert_eq!(me["active"], true);

    // Refresh rotates: the old refresh token no longer works, and reusing it revokes the
    // new one too.
    let old_refresh = bearer(&session["refreshJwt"]);
    let (status, refreshed) = c
        .post(
            "com.atproto.server.refreshSession",
            Some(&old_refresh),
            Value::Null,
        )
        .await;
    assert_eq!(status, 200, "{refreshed}");
    let (status, body) = c
        .post(
            "com.atproto.server.refreshSession",
            Some(&old_refresh),
            Value::Null,
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("InvalidToken"))
    );
    let (status, _) = c
        .post(
            "com.atproto.server.refreshSession",
            Some(&bearer(&refreshed["refreshJwt"])),
            Value::Null,
        )
        .await;
    assert_eq!(status, 401, "the whole family is revoked after reuse");

    // An access token is not a refresh token and vice versa.
    let (status, body) = c
        .get(
            "com.atproto.server.getSession",
            Some(&bearer(&session["refreshJwt"])),
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("InvalidToken"))
    );
    let (status, body) = c.get("com.atproto.server.getSession", None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("AuthenticationRequired"))
    );

    // Logout.
    let (_, s2) = c
        .post(
            "com.atproto.server.createSession",
            None,
            json!({"identifier": "alice.test", "password": "hunter22"}),
        )
        .await;
    let (status, _) = c
        .post(
            "com.atproto.server.deleteSession",
            Some(&bearer(&s2["refreshJwt"])),
            Value::Null,
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = c
        .post(
            "com.atproto.server.refreshSession",
            Some(&bearer(&s2["refreshJwt"])),
            Value::Null,
        )
        .await;
    assert_eq!(status, 401);

    // The PLC directory (embedded) knows the DID, with the handle and this PDS.
    let doc: Value = c
        .http
        .get(format!("{}/plc/{did}", c.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["alsoKnownAs"][0], "at://alice.test");
}

#[tokio::test]
async fn bad_input_is_invalid_request_never_500() {
    let dir = tempfile::tempdir().unwrap();
    let pds = Pdsd::start(dir.path(), &["--invite-required", "false"]);
    let c = Client::new(&pds);
    for (body, want) in [
        (json!("not an object"), "InvalidRequest"),
        (json!({"handle": 5}), "InvalidRequest"),
        (
            json!({"email": "a@b.co", "password": "x"}),
            "InvalidRequest",
        ),
        (
            json!({"handle": "no spaces.test", "email": "a@b.co", "password": "x"}),
            "InvalidHandle",
        ),
        (
            json!({"handle": "ab.test", "email": "a@b.co", "password": "x"}),
            "InvalidHandle",
        ),
        (
            json!({"handle": "admin.test", "email": "a@b.co", "password": "x"}),
            "HandleNotAvailable",
        ),
        (
            json!({"handle": "carol.example.org", "email": "a@b.co", "password": "x"}),
            "UnsupportedDomain",
        ),
        (
            json!({"handle": "carol.test", "email": "not-an-email", "password": "x"}),
            "InvalidRequest",
        ),
    ] {
        let (status, resp) = c
            .post("com.atproto.server.createAccount", None, body.clone())
            .await;
        assert_eq!(status, 400, "{body} -> {resp}");
        assert_eq!(resp["error"], want, "{body} -> {resp}");
        assert!(resp["message"].is_string());
    }
    // Broken JSON.
    let resp = c
        .http
        .post(format!("{}/xrpc/com.atproto.server.createSession", c.base))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["error"], "InvalidRequest");
}

#[tokio::test]
async fn accounts_and_sessions_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let (did, refresh) = {
        let pds = Pdsd::start(dir.path(), &["--invite-required", "false"]);
        let c = Client::new(&pds);
        let (status, created) = c
            .post(
                "com.atproto.server.createAccount",
                None,
                json!({"handle": "dave.test", "email": "dave@example.com", "password": "pw-dave"}),
            )
            .await;
        assert_eq!(status, 200, "{created}");
        pds.signal("KILL");
        (created["did"].clone(), created["refreshJwt"].clone())
    };
    let pds = Pdsd::start(dir.path(), &["--invite-required", "false"]);
    let c = Client::new(&pds);
    let (status, body) = c
        .post(
            "com.atproto.server.createSession",
            None,
            json!({"identifier": "dave.test", "password": "pw-dave"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["did"], did);
    let (status, _) = c
        .post(
            "com.atproto.server.refreshSession",
            Some(&bearer(&refresh)),
            Value::Null,
        )
        .await;
    assert_eq!(
        status, 200,
        "the session acknowledged before the kill is still valid"
    );
}

#[tokio::test]
async fn the_official_atproto_api_client_signs_up_logs_in_and_refreshes() {
    let dir = tempfile::tempdir().unwrap();
    let pds = Pdsd::start(dir.path(), &[]);
    let c = Client::new(&pds);
    let (_, invite) = c
        .post(
            "com.atproto.server.createInviteCode",
            Some(&basic(&pds.admin_password())),
            json!({"useCount": 1}),
        )
        .await;
    let url = pds.url();
    let code = invite["code"].as_str().unwrap().to_string();
    let result = tokio::task::spawn_blocking(move || {
        run_js(
            "account-lifecycle.mjs",
            &[("PDS_URL", url.as_str()), ("INVITE_CODE", code.as_str())],
        )
    })
    .await
    .unwrap();
    assert_eq!(result["ok"], true, "{result}");
    assert!(result["did"].as_str().unwrap().starts_with("did:plc:"));
}

#[tokio::test]
async fn app_passwords_status_and_invite_listing_over_http() {
    let dir = tempfile::tempdir().unwrap();
    let pds = Pdsd::start(dir.path(), &["--invite-required", "false"]);
    let c = Client::new(&pds);
    let (status, created) = c
        .post(
            "com.atproto.server.createAccount",
            None,
            json!({"handle": "gina.test", "email": "gina@example.com", "password": "pw-gina"}),
        )
        .await;
    assert_eq!(status, 200, "{created}");
    let full = bearer(&created["accessJwt"]);

    let (status, app) = c
        .post(
            "com.atproto.server.createAppPassword",
            Some(&full),
            json!({"name": "laptop"}),
        )
        .await;
    assert_eq!(status, 200, "{app}");
    let (status, app_session) = c
        .post(
            "com.atproto.server.createSession",
            None,
            json!({"identifier": "gina.test", "password": app["password"]}),
        )
        .await;
    assert_eq!(status, 200, "{app_session}");
    let app_auth = bearer(&app_session["accessJwt"]);

    // An app-password session reads, but cannot manage the account.
    let (status, _) = c
        .get("com.atproto.server.getSession", Some(&app_auth))
        .await;
    assert_eq!(status, 200);
    let (status, body) = c
        .post(
            "com.atproto.server.createAppPassword",
            Some(&app_auth),
            json!({"name": "x"}),
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("InvalidToken")),
        "{body}"
    );
    let (status, body) = c
        .post(
            "com.atproto.server.deactivateAccount",
            Some(&app_auth),
            json!({}),
        )
        .await;
    assert_eq!(status, 401, "{body}");

    let (status, list) = c
        .get("com.atproto.server.listAppPasswords", Some(&full))
        .await;
    assert_eq!(status, 200);
    assert_eq!(list["passwords"][0]["name"], "laptop");
    assert!(list["passwords"][0].get("password").is_none());

    let (status, st) = c
        .get("com.atproto.server.checkAccountStatus", Some(&full))
        .await;
    assert_eq!(status, 200, "{st}");
    assert_eq!(st["activated"], true);
    assert_eq!(st["validDid"], true);

    // Deactivate (no body at all), then activate.
    let resp = c
        .http
        .post(format!(
            "{}/xrpc/com.atproto.server.deactivateAccount",
            c.base
        ))
        .header("authorization", &full)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let (_, me) = c.get("com.atproto.server.getSession", Some(&full)).await;
    assert_eq!(me["active"], false);
    assert_eq!(me["status"], "deactivated");
    let (status, _) = c
        .post(
            "com.atproto.server.activateAccount",
            Some(&full),
            Value::Null,
        )
        .await;
    assert_eq!(status, 200);
    let (_, me) = c.get("com.atproto.server.getSession", Some(&full)).await;
    assert_eq!(me["active"], true);

    let (status, body) = c
        .post(
            "com.atproto.server.revokeAppPassword",
            Some(&full),
            json!({"name": "laptop"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = c
        .post(
            "com.atproto.server.refreshSession",
            Some(&bearer(&app_session["refreshJwt"])),
            Value::Null,
        )
        .await;
    assert_eq!(status, 401, "sessions of a revoked app password end");

    let (status, codes) = c
        .get(
            "com.atproto.server.getAccountInviteCodes?includeUsed=false",
            Some(&full),
        )
        .await;
    assert_eq!(status, 200, "{codes}");
    assert!(codes["codes"].as_array().unwrap().is_empty());
    let (status, body) = c
        .get(
            "com.atproto.server.getAccountInviteCodes?includeUsed=maybe",
            Some(&full),
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("InvalidRequest"))
    );

    let (status, key) = c
        .post("com.atproto.server.reserveSigningKey", None, Value::Null)
        .await;
    assert_eq!(status, 200, "{key}");
    assert!(key["signingKey"].as_str().unwrap().starts_with("did:key:z"));
}

/// The whole life cycle in one run, as the acceptance test describes it.
#[tokio::test]
async fn the_whole_account_life_cycle_over_http() {
    let smtp = common::smtp_server();
    let dir = tempfile::tempdir().unwrap();
    let mut flags: Vec<String> = vec![
        "--account-delete-grace-seconds".into(),
        "2".into(),
        "--account-purge-interval-ms".into(),
        "200".into(),
    ];
    flags.extend(smtp.pdsd_flags());
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let pds = Pdsd::start(dir.path(), &flags);
    let c = Client::new(&pds);
    let admin = basic(&pds.admin_password());

    // Sign up with an invite.
    let (_, invite) = c
        .post(
            "com.atproto.server.createInviteCode",
            Some(&admin),
            json!({"useCount": 1}),
        )
        .await;
    let (status, created) = c
        .post(
            "com.atproto.server.createAccount",
            None,
            json!({"handle": "life.test", "email": "life@example.com", "password": "pw-life", "inviteCode": invite["code"]}),
        )
        .await;
    assert_eq!(status, 200, "{created}");
    let did = created["did"].as_str().unwrap().to_string();

    // Log in; refresh; the old refresh token now fails.
    let (status, session) = c
        .post(
            "com.atproto.server.createSession",
            None,
            json!({"identifier": "life.test", "password": "pw-life"}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, refreshed) = c
        .post(
            "com.atproto.server.refreshSession",
            Some(&bearer(&session["refreshJwt"])),
            Value::Null,
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = c
        .post(
            "com.atproto.server.refreshSession",
            Some(&bearer(&session["refreshJwt"])),
            Value::Null,
        )
        .await;
    assert_eq!(status, 401);
    let full = bearer(&refreshed["accessJwt"]);

    // An app password logs in.
    let (_, app) = c
        .post(
            "com.atproto.server.createAppPassword",
            Some(&full),
            json!({"name": "phone"}),
        )
        .await;
    let (status, _) = c
        .post(
            "com.atproto.server.createSession",
            None,
            json!({"identifier": "life.test", "password": app["password"]}),
        )
        .await;
    assert_eq!(status, 200);

    // Change handle: the PLC directory shows it.
    let (status, body) = c
        .post(
            "com.atproto.identity.updateHandle",
            Some(&full),
            json!({"handle": "renamed.test"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let doc: Value = c
        .http
        .get(format!("{}/plc/{did}", c.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["alsoKnownAs"][0], "at://renamed.test");

    // Deactivate, activate.
    let (status, _) = c
        .post(
            "com.atproto.server.deactivateAccount",
            Some(&full),
            json!({}),
        )
        .await;
    assert_eq!(status, 200);
    let (_, me) = c.get("com.atproto.server.getSession", Some(&full)).await;
    assert_eq!(me["active"], false);
    let (status, _) = c
        .post("com.atproto.server.activateAccount", Some(&full), json!({}))
        .await;
    assert_eq!(status, 200);
    let (_, me) = c.get("com.atproto.server.getSession", Some(&full)).await;
    assert_eq!(me["active"], true);

    // Delete: gone once the grace period is over.
    let (status, body) = c
        .post(
            "com.atproto.server.requestAccountDelete",
            Some(&full),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let token = smtp.next_mail("life@example.com").token();
    let (status, body) = c
        .post(
            "com.atproto.server.deleteAccount",
            None,
            json!({"did": did, "password": "pw-life", "token": token}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let (status, _) = c
            .post(
                "com.atproto.server.createSession",
                None,
                json!({"identifier": "renamed.test", "password": "pw-life"}),
            )
            .await;
        if status == 401 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the account was never purged"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let (status, body) = c
        .get(&format!("com.atproto.sync.getRepoStatus?did={did}"), None)
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("RepoNotFound")),
        "{body}"
    );
}
