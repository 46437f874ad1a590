//! Login rate limits through HTTP against the real pdsd binary (the client address comes from
//! the TCP connection).

mod common;

use common::Pdsd;
use serde_json::{Value, json};

async fn login(
    http: &reqwest::Client,
    pds: &Pdsd,
    identifier: &str,
    password: &str,
) -> reqwest::Response {
    http.post(format!(
        "{}/xrpc/com.atproto.server.createSession",
        pds.url()
    ))
    .json(&json!({"identifier": identifier, "password": password}))
    .send()
    .await
    .unwrap()
}

fn header(resp: &reqwest::Response, name: &str) -> String {
    resp.headers()
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header"))
        .to_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn the_31st_login_for_one_identifier_in_five_minutes_is_rate_limited() {
    let dir = tempfile::tempdir().unwrap();
    let pds = Pdsd::start(dir.path(), &["--invite-required", "false"]);
    pdsd::plc::install_crypto_provider();
    let http = reqwest::Client::new();
    let created = http
        .post(format!(
            "{}/xrpc/com.atproto.server.createAccount",
            pds.url()
        ))
        .json(
            &json!({"handle": "alice.test", "email": "alice@example.com", "password": "hunter22"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 200);
    assert_eq!(header(&created, "ratelimit-policy"), "100;w=300");

    let resp = login(&http, &pds, "alice.test", "hunter22").await;
    assert_eq!(resp.status(), 200);
    assert_eq!(header(&resp, "ratelimit-limit"), "30");
    assert_eq!(header(&resp, "ratelimit-remaining"), "29");
    assert_eq!(header(&resp, "ratelimit-policy"), "30;w=300");
    for i in 2..=30 {
        let resp = login(&http, &pds, "alice.test", "wrong").await;
        assert_eq!(resp.status(), 401, "login {i}");
    }

    let before = pdsd::auth::jwt::now_secs();
    let resp = login(&http, &pds, "alice.test", "hunter22").await;
    assert_eq!(resp.status(), 429);
    assert_eq!(header(&resp, "ratelimit-limit"), "30");
    assert_eq!(header(&resp, "ratelimit-remaining"), "0");
    assert_eq!(header(&resp, "ratelimit-policy"), "30;w=300");
    let reset: i64 = header(&resp, "ratelimit-reset").parse().unwrap();
    assert!(
        reset > before && reset <= before + 301,
        "{reset} vs {before}"
    );
    let retry: i64 = header(&resp, "retry-after").parse().unwrap();
    assert!((1..=300).contains(&retry), "{retry}");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "RateLimitExceeded");

    // Another identifier from the same client has its own budget.
    let resp = login(&http, &pds, "bob.test", "hunter22").await;
    assert_eq!(resp.status(), 401);
    assert_eq!(header(&resp, "ratelimit-remaining"), "29");
}

#[tokio::test]
async fn rate_limits_can_be_turned_off() {
    let dir = tempfile::tempdir().unwrap();
    let pds = Pdsd::start(dir.path(), &["--rate-limits-enabled", "false"]);
    pdsd::plc::install_crypto_provider();
    let http = reqwest::Client::new();
    for _ in 0..35 {
        let resp = login(&http, &pds, "nobody.test", "wrong").await;
        assert_eq!(resp.status(), 401);
        assert!(resp.headers().get("ratelimit-limit").is_none());
    }
}
