//! Email flows against the real pdsd binary and a real SMTP server on loopback
//! (tests/smtp/server.py): the codes are read from the delivered mails.

mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::{Pdsd, SmtpServer, smtp_server};
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

    async fn post(&self, nsid: &str, auth: Option<&str>, body: Option<Value>) -> (u16, Value) {
        let mut req = self.http.post(format!("{}/xrpc/{nsid}", self.base));
        if let Some(b) = body {
            req = req.json(&b);
        }
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn get(&self, nsid: &str, auth: &str) -> (u16, Value) {
        let resp = self
            .http
            .get(format!("{}/xrpc/{nsid}", self.base))
            .header("authorization", auth)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    async fn login(&self, identifier: &str, password: &str) -> (u16, Value) {
        self.post(
            "com.atproto.server.createSession",
            None,
            Some(json!({"identifier": identifier, "password": password})),
        )
        .await
    }
}

/// A signed-up account: its DID, email, password and bearer access header.
struct Account {
    did: String,
    email: String,
    password: String,
    access: String,
    refresh: String,
}

async fn sign_up(c: &Client, name: &str) -> Account {
    let email = format!("{name}@example.com");
    let password = format!("{name}-password");
    let (status, body) = c
        .post(
            "com.atproto.server.createAccount",
            None,
            Some(json!({"handle": format!("{name}.test"), "email": email, "password": password})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    Account {
        did: body["did"].as_str().unwrap().to_string(),
        email,
        password,
        access: bearer(&body["accessJwt"]),
        refresh: bearer(&body["refreshJwt"]),
    }
}

fn bearer(token: &Value) -> String {
    format!("Bearer {}", token.as_str().unwrap())
}

fn start(dir: &std::path::Path, smtp: Option<&SmtpServer>, extra: &[&str]) -> Pdsd {
    let mut flags: Vec<String> = vec!["--invite-required".into(), "false".into()];
    if let Some(smtp) = smtp {
        flags.extend(smtp.pdsd_flags());
    }
    flags.extend(extra.iter().map(|s| s.to_string()));
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    Pdsd::start(dir, &flags)
}

async fn confirm(c: &Client, smtp: &SmtpServer, a: &Account) {
    let (status, _) = c
        .post(
            "com.atproto.server.requestEmailConfirmation",
            Some(&a.access),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let token = smtp.next_mail(&a.email).token();
    let (status, body) = c
        .post(
            "com.atproto.server.confirmEmail",
            Some(&a.access),
            Some(json!({"email": a.email, "token": token})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

fn error(status: u16, body: &Value) -> (u16, &str) {
    (status, body["error"].as_str().unwrap_or(""))
}

/// `<data>/actors/<xx>/<did>` (the layout of `pdsd::store::actor::actor_dir`).
fn actor_dir(data: &std::path::Path, did: &str) -> PathBuf {
    pdsd::store::actor::actor_dir(data, &atproto::syntax::Did::new(did).unwrap())
}

#[tokio::test]
async fn confirm_email_with_the_mailed_code() {
    let smtp = smtp_server();
    let dir = tempfile::tempdir().unwrap();
    let pds = start(dir.path(), Some(&smtp), &[]);
    let c = Client::new(&pds);
    let a = sign_up(&c, "carol").await;

    let (status, _) = c
        .post(
            "com.atproto.server.requestEmailConfirmation",
            Some(&a.access),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let mail = smtp.next_mail(&a.email);
    assert_eq!(mail.subject, "Email Confirmation");
    assert!(mail.raw.contains("X-Mail-From: noreply@test"));
    let token = mail.token();

    let confirm = |email: &str, token: &str| {
        let body = json!({"email": email, "token": token});
        let c = &c;
        let access = a.access.clone();
        async move {
            c.post("com.atproto.server.confirmEmail", Some(&access), Some(body))
                .await
        }
    };
    let (status, body) = confirm("someone@example.com", &token).await;
    assert_eq!(error(status, &body), (400, "InvalidEmail"));
    let (status, body) = confirm(&a.email, "AAAAA-BBBBB").await;
    assert_eq!(error(status, &body), (400, "InvalidToken"));

    // A code older than 15 minutes (aged in the database) is refused.
    let db = rusqlite::Connection::open(dir.path().join("service.sqlite")).unwrap();
    db.busy_timeout(Duration::from_secs(5)).unwrap();
    let fresh: String = db
        .query_row("SELECT requested_at FROM email_token", [], |r| r.get(0))
        .unwrap();
    db.execute(
        "UPDATE email_token SET requested_at = '2000-01-01T00:00:00.000Z'",
        [],
    )
    .unwrap();
    let (status, body) = confirm(&a.email, &token).await;
    assert_eq!(error(status, &body), (400, "ExpiredToken"));
    db.execute("UPDATE email_token SET requested_at = ?1", [fresh])
        .unwrap();

    // Codes are case-insensitive, as the reference's.
    let (status, body) = confirm(&a.email.to_uppercase(), &token.to_lowercase()).await;
    assert_eq!(status, 200, "{body}");
    let (_, session) = c.get("com.atproto.server.getSession", &a.access).await;
    assert_eq!(session["emailConfirmed"], true);

    // The code works once.
    let (status, body) = confirm(&a.email, &token).await;
    assert_eq!(error(status, &body), (400, "InvalidToken"));
}

#[tokio::test]
async fn update_email_needs_the_mailed_code_once_the_address_is_confirmed() {
    let smtp = smtp_server();
    let dir = tempfile::tempdir().unwrap();
    let pds = start(dir.path(), Some(&smtp), &[]);
    let c = Client::new(&pds);
    let mut a = sign_up(&c, "dave").await;

    // Unconfirmed: no code needed, no mail sent.
    let (status, body) = c
        .post(
            "com.atproto.server.requestEmailUpdate",
            Some(&a.access),
            None,
        )
        .await;
    assert_eq!((status, &body["tokenRequired"]), (200, &json!(false)));
    assert_eq!(smtp.count(), 0);
    let (status, body) = c
        .post(
            "com.atproto.server.updateEmail",
            Some(&a.access),
            Some(json!({"email": "dave2@example.com"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    a.email = "dave2@example.com".into();
    confirm(&c, &smtp, &a).await;

    // Confirmed: the code goes to the current address and is required.
    let (status, body) = c
        .post(
            "com.atproto.server.requestEmailUpdate",
            Some(&a.access),
            None,
        )
        .await;
    assert_eq!((status, &body["tokenRequired"]), (200, &json!(true)));
    let mail = smtp.next_mail("dave2@example.com");
    assert_eq!(mail.subject, "Email Update Requested");
    let token = mail.token();

    let update = |body: Value| {
        let c = &c;
        let access = a.access.clone();
        async move {
            c.post("com.atproto.server.updateEmail", Some(&access), Some(body))
                .await
        }
    };
    let (status, body) = update(json!({"email": "dave3@example.com"})).await;
    assert_eq!(error(status, &body), (400, "TokenRequired"));
    let (status, body) =
        update(json!({"email": "dave3@example.com", "token": "AAAAA-BBBBB"})).await;
    assert_eq!(error(status, &body), (400, "InvalidToken"));
    let (status, body) = update(json!({"email": "not-an-address", "token": token})).await;
    assert_eq!(error(status, &body), (400, "InvalidRequest"));
    let (status, body) = update(json!({"email": "Dave3@Example.com", "token": token})).await;
    assert_eq!(status, 200, "{body}");

    let (_, session) = c.get("com.atproto.server.getSession", &a.access).await;
    assert_eq!(session["email"], "dave3@example.com");
    assert_eq!(session["emailConfirmed"], false);
    // The new address logs in.
    let (status, _) = c.login("dave3@example.com", &a.password).await;
    assert_eq!(status, 200);

    // An app-password session cannot change the address.
    let (status, body) = c
        .post(
            "com.atproto.server.createAppPassword",
            Some(&a.access),
            Some(json!({"name": "phone"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, session) = c
        .login("dave.test", body["password"].as_str().unwrap())
        .await;
    let (status, _) = c
        .post(
            "com.atproto.server.requestEmailUpdate",
            Some(&bearer(&session["accessJwt"])),
            None,
        )
        .await;
    assert_ne!(status, 200);
}

#[tokio::test]
async fn reset_password_revokes_sessions_and_sets_the_new_password() {
    let smtp = smtp_server();
    let dir = tempfile::tempdir().unwrap();
    let pds = start(dir.path(), Some(&smtp), &[]);
    let c = Client::new(&pds);
    let a = sign_up(&c, "erin").await;

    // Unknown addresses get the same answer, and no mail.
    let (status, _) = c
        .post(
            "com.atproto.server.requestPasswordReset",
            None,
            Some(json!({"email": "nobody@example.com"})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(smtp.count(), 0);

    let (status, _) = c
        .post(
            "com.atproto.server.requestPasswordReset",
            None,
            Some(json!({"email": "ERIN@example.com"})),
        )
        .await;
    assert_eq!(status, 200);
    let mail = smtp.next_mail(&a.email);
    assert_eq!(mail.subject, "Password Reset Requested");
    assert!(mail.raw.contains("erin.test"));
    let token = mail.token();

    let reset = |token: &str, password: &str| {
        let body = json!({"token": token, "password": password});
        let c = &c;
        async move {
            c.post("com.atproto.server.resetPassword", None, Some(body))
                .await
        }
    };
    let (status, body) = reset("AAAAA-BBBBB", "new-password").await;
    assert_eq!(error(status, &body), (400, "InvalidToken"));
    let (status, body) = reset(&token, "new-password").await;
    assert_eq!(status, 200, "{body}");

    // Every session ended; the old password is gone, the new one works.
    let (status, _) = c
        .post("com.atproto.server.refreshSession", Some(&a.refresh), None)
        .await;
    assert_eq!(status, 401);
    let (status, _) = c.login("erin.test", &a.password).await;
    assert_eq!(status, 401);
    let (status, body) = c.login("erin.test", "new-password").await;
    assert_eq!(status, 200, "{body}");

    // The code works once.
    let (status, body) = reset(&token, "third-password").await;
    assert_eq!(error(status, &body), (400, "InvalidToken"));
}

#[tokio::test]
async fn delete_account_without_grace_removes_it_at_once() {
    let smtp = smtp_server();
    let dir = tempfile::tempdir().unwrap();
    let pds = start(dir.path(), Some(&smtp), &[]);
    let c = Client::new(&pds);
    let a = sign_up(&c, "frank").await;
    let other = sign_up(&c, "grace").await;
    assert!(actor_dir(dir.path(), &a.did).exists());

    let (status, _) = c
        .post(
            "com.atproto.server.requestAccountDelete",
            Some(&a.access),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let mail = smtp.next_mail(&a.email);
    assert_eq!(mail.subject, "Account Deletion Requested");
    let token = mail.token();

    let delete = |did: &str, password: &str, token: &str| {
        let body = json!({"did": did, "password": password, "token": token});
        let c = &c;
        async move {
            c.post("com.atproto.server.deleteAccount", None, Some(body))
                .await
        }
    };
    let (status, _) = delete(&a.did, "wrong-password", &token).await;
    assert_eq!(status, 401);
    let (status, body) = delete(&a.did, &a.password, "AAAAA-BBBBB").await;
    assert_eq!(error(status, &body), (400, "InvalidToken"));
    // Another account's code does not delete this one.
    let (status, body) = delete(&other.did, &other.password, &token).await;
    assert_eq!(error(status, &body), (400, "InvalidToken"));

    let (status, body) = delete(&a.did, &a.password, &token).await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = c.login("frank.test", &a.password).await;
    assert_eq!(status, 401);
    let (status, _) = c
        .post("com.atproto.server.refreshSession", Some(&a.refresh), None)
        .await;
    assert_eq!(status, 401);
    assert!(!actor_dir(dir.path(), &a.did).exists());
    // The other account is untouched.
    let (status, _) = c.login("grace.test", &other.password).await;
    assert_eq!(status, 200);
    assert!(actor_dir(dir.path(), &other.did).exists());
}

#[tokio::test]
async fn delete_account_with_a_grace_period_purges_it_later() {
    let smtp = smtp_server();
    let dir = tempfile::tempdir().unwrap();
    let pds = start(
        dir.path(),
        Some(&smtp),
        &[
            "--account-delete-grace-seconds",
            "2",
            "--account-purge-interval-ms",
            "100",
        ],
    );
    let c = Client::new(&pds);
    let a = sign_up(&c, "heidi").await;

    let (status, _) = c
        .post(
            "com.atproto.server.requestAccountDelete",
            Some(&a.access),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let token = smtp.next_mail(&a.email).token();
    let (status, body) = c
        .post(
            "com.atproto.server.deleteAccount",
            None,
            Some(json!({"did": a.did, "password": a.password, "token": token})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let deleted_at = Instant::now();

    // Within the grace period: still there, marked deleted, sessions ended.
    assert!(actor_dir(dir.path(), &a.did).exists());
    let (status, session) = c.get("com.atproto.server.getSession", &a.access).await;
    assert_eq!(status, 200, "{session}");
    assert_eq!(session["active"], false);
    assert_eq!(session["status"], "deleted");
    let (status, _) = c
        .post("com.atproto.server.refreshSession", Some(&a.refresh), None)
        .await;
    assert_eq!(status, 401);

    // After it: purged by the background job.
    while actor_dir(dir.path(), &a.did).exists() {
        assert!(
            deleted_at.elapsed() < Duration::from_secs(15),
            "the account was not purged"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(deleted_at.elapsed() >= Duration::from_millis(1500));
    let (status, _) = c.login("heidi.test", &a.password).await;
    assert_eq!(status, 401);
    let (status, _) = c.get("com.atproto.server.getSession", &a.access).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn email_two_factor_sign_in() {
    let smtp = smtp_server();
    let dir = tempfile::tempdir().unwrap();
    let pds = start(dir.path(), Some(&smtp), &[]);
    let c = Client::new(&pds);
    let a = sign_up(&c, "ivan").await;

    // Needs a confirmed address first.
    let (status, body) = c
        .post(
            "com.atproto.server.updateEmail",
            Some(&a.access),
            Some(json!({"email": a.email, "emailAuthFactor": true})),
        )
        .await;
    assert_eq!(error(status, &body), (400, "InvalidRequest"));
    confirm(&c, &smtp, &a).await;

    let (status, _) = c
        .post(
            "com.atproto.server.requestEmailUpdate",
            Some(&a.access),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let token = smtp.next_mail(&a.email).token();
    let (status, body) = c
        .post(
            "com.atproto.server.updateEmail",
            Some(&a.access),
            Some(json!({"email": a.email, "emailAuthFactor": true, "token": token})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, session) = c.get("com.atproto.server.getSession", &a.access).await;
    assert_eq!(session["emailAuthFactor"], true);
    assert_eq!(
        session["emailConfirmed"], true,
        "the address stays confirmed"
    );

    // An app password made before skips the code.
    let (status, app) = c
        .post(
            "com.atproto.server.createAppPassword",
            Some(&a.access),
            Some(json!({"name": "bot"})),
        )
        .await;
    assert_eq!(status, 200, "{app}");

    // Password alone: a code is mailed and the login refused.
    let (status, body) = c.login("ivan.test", &a.password).await;
    assert_eq!(error(status, &body), (401, "AuthFactorTokenRequired"));
    let mail = smtp.next_mail(&a.email);
    assert_eq!(mail.subject, "Sign-in Code");
    let code = mail.token();

    let login = |token: &str| {
        let body =
            json!({"identifier": "ivan.test", "password": a.password, "authFactorToken": token});
        let c = &c;
        async move {
            c.post("com.atproto.server.createSession", None, Some(body))
                .await
        }
    };
    let (status, body) = login("AAAAA-BBBBB").await;
    assert_eq!(error(status, &body), (400, "InvalidToken"));
    assert_eq!(body["message"], "Token is invalid");
    // A wrong password never reaches the second factor.
    let (status, body) = c
        .post(
            "com.atproto.server.createSession",
            None,
            Some(json!({"identifier": "ivan.test", "password": "nope", "authFactorToken": code})),
        )
        .await;
    assert_eq!(error(status, &body), (401, "AuthenticationRequired"));
    let (status, body) = login(&code).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["emailAuthFactor"], true);
    // The code works once.
    let (status, body) = login(&code).await;
    assert_eq!(error(status, &body), (400, "InvalidToken"));

    let before = smtp.count();
    let (status, body) = c
        .login("ivan.test", app["password"].as_str().unwrap())
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(smtp.count(), before, "no code for an app password");

    // Turning it off needs a fresh code too.
    let (status, _) = c
        .post(
            "com.atproto.server.requestEmailUpdate",
            Some(&a.access),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let token = smtp.next_mail(&a.email).token();
    let (status, body) = c
        .post(
            "com.atproto.server.updateEmail",
            Some(&a.access),
            Some(json!({"email": a.email, "emailAuthFactor": false, "token": token})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = c.login("ivan.test", &a.password).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn without_smtp_mail_methods_answer_an_error_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let pds = start(dir.path(), None, &[]);
    let c = Client::new(&pds);
    let a = sign_up(&c, "judy").await;

    for (nsid, auth, body) in [
        (
            "com.atproto.server.requestEmailConfirmation",
            Some(&a.access),
            None,
        ),
        (
            "com.atproto.server.requestAccountDelete",
            Some(&a.access),
            None,
        ),
        (
            "com.atproto.server.requestPasswordReset",
            None,
            Some(json!({"email": a.email})),
        ),
        (
            "com.atproto.server.requestPasswordReset",
            None,
            Some(json!({"email": "nobody@example.com"})),
        ),
    ] {
        let (status, body) = c.post(nsid, auth.map(String::as_str), body).await;
        assert_eq!(
            error(status, &body),
            (501, "MethodNotImplemented"),
            "{nsid}"
        );
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("not configured to send email"),
            "{body}"
        );
    }
    let (status, body) = c
        .post(
            "com.atproto.server.updateEmail",
            Some(&a.access),
            Some(json!({"email": a.email, "emailAuthFactor": true})),
        )
        .await;
    assert_eq!(error(status, &body), (501, "MethodNotImplemented"));

    // Nothing changed: no codes stored, the address still unconfirmed.
    let db = rusqlite::Connection::open(dir.path().join("service.sqlite")).unwrap();
    let codes: i64 = db
        .query_row("SELECT count(*) FROM email_token", [], |r| r.get(0))
        .unwrap();
    assert_eq!(codes, 0);
    let (_, session) = c.get("com.atproto.server.getSession", &a.access).await;
    assert_eq!(session["emailConfirmed"], false);
    assert_eq!(session["emailAuthFactor"], false);

    // What needs no mail still works.
    let (status, body) = c
        .post(
            "com.atproto.server.requestEmailUpdate",
            Some(&a.access),
            None,
        )
        .await;
    assert_eq!((status, &body["tokenRequired"]), (200, &json!(false)));
}
