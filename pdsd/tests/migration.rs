//! Account migration between two pdsd instances, the way clients do it: service auth from
//! the old PDS, createAccount with the DID on the new one, importRepo, a PLC operation
//! signed by the old PDS (email code) and submitted by the new one, then activation.

mod common;

use common::{Account, Pdsd, Xrpc, smtp_server, verify_repo_car};
use serde_json::json;

#[tokio::test]
async fn an_account_moves_to_another_pdsd_with_its_repository_and_identity() {
    let smtp = smtp_server();
    let dir_a = tempfile::tempdir().unwrap();
    let mut flags_a: Vec<String> = vec!["--invite-required".into(), "false".into()];
    flags_a.extend(smtp.pdsd_flags());
    let flags_a: Vec<&str> = flags_a.iter().map(String::as_str).collect();
    let old = Pdsd::start(dir_a.path(), &flags_a);
    let a = Xrpc::new(&old);

    // The new PDS uses the old one's PLC directory, as two real PDSes share plc.directory.
    let dir_b = tempfile::tempdir().unwrap();
    let plc_url = format!("{}/plc", old.url());
    let new = Pdsd::start(
        dir_b.path(),
        &[
            "--hostname",
            "pds-b.test",
            "--service-handle-domains",
            ".b.test",
            "--invite-required",
            "false",
            "--did-plc-url",
            &plc_url,
        ],
    );
    let b = Xrpc::new(&new);

    let alice = a.create_account("alice").await;
    for i in 0..5 {
        a.create_record(
            &alice,
            "app.bsky.feed.post",
            None,
            json!({"$type": "app.bsky.feed.post", "text": format!("post {i}"), "createdAt": "2026-11-23T05:00:00.000Z"}),
        )
        .await;
    }

    // 1. A service-auth token from the old PDS for createAccount on the new one.
    let resp = a
        .http
        .get(format!(
            "{}/xrpc/com.atproto.server.getServiceAuth?aud=did:web:pds-b.test&lxm=com.atproto.server.createAccount",
            a.base
        ))
        .header("authorization", alice.bearer())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let token = resp.json::<serde_json::Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();

    // Without the token, or with a token for another DID, createAccount with a DID fails.
    let input = json!({"did": alice.did, "handle": "alice.b.test", "email": "alice@example.com", "password": "new-pw"});
    let (status, _) = b
        .post("com.atproto.server.createAccount", None, input.clone())
        .await;
    assert_eq!(status, 401);

    let resp = b
        .http
        .post(format!("{}/xrpc/com.atproto.server.createAccount", b.base))
        .header("authorization", format!("Bearer {token}"))
        .json(&input)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let created: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(status, 200, "{created}");
    assert_eq!(created["did"], alice.did.as_str());
    assert_eq!(
        created["active"], false,
        "a migrating account starts deactivated"
    );
    let on_b = Account {
        did: alice.did.clone(),
        handle: "alice.b.test".into(),
        access_jwt: created["accessJwt"].as_str().unwrap().to_string(),
    };

    // 2. The repository.
    let (status, car) = a
        .get_bytes("com.atproto.sync.getRepo", &[("did", &alice.did)])
        .await;
    assert_eq!(status, 200);
    let resp = b
        .http
        .post(format!("{}/xrpc/com.atproto.repo.importRepo", b.base))
        .header("authorization", on_b.bearer())
        .header("content-type", "application/vnd.ipld.car")
        .body(car)
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status().as_u16(),
        200,
        "{}",
        resp.text().await.unwrap()
    );

    // 3. The identity: credentials from the new PDS, signed by the old one's rotation key
    //    after an emailed code, submitted by the new one.
    let resp = b
        .http
        .get(format!(
            "{}/xrpc/com.atproto.identity.getRecommendedDidCredentials",
            b.base
        ))
        .header("authorization", on_b.bearer())
        .send()
        .await
        .unwrap();
    let creds: serde_json::Value = resp.json().await.unwrap();
    let (status, body) = a
        .post(
            "com.atproto.identity.requestPlcOperationSignature",
            Some(&alice),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let code = smtp.next_mail("alice@example.com").token();
    let mut sign_input = creds.clone();
    sign_input["token"] = code.into();
    let (status, signed) = a
        .post(
            "com.atproto.identity.signPlcOperation",
            Some(&alice),
            sign_input,
        )
        .await;
    assert_eq!(status, 200, "{signed}");
    let (status, body) = b
        .post(
            "com.atproto.identity.submitPlcOperation",
            Some(&on_b),
            json!({"operation": signed["operation"]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    // 4. Activate on the new PDS, deactivate on the old one.
    let (status, body) = b
        .post("com.atproto.server.activateAccount", Some(&on_b), json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = a
        .post(
            "com.atproto.server.deactivateAccount",
            Some(&alice),
            json!({}),
        )
        .await;
    assert_eq!(status, 200);

    // The DID document now points at the new PDS with its key, and the repository there
    // verifies against it, with every record, and takes new writes.
    let doc: serde_json::Value = a
        .http
        .get(format!("{}/plc/{}", a.base, alice.did))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["service"][0]["serviceEndpoint"], "https://pds-b.test");
    assert_eq!(doc["alsoKnownAs"][0], "at://alice.b.test");
    let key = a.signing_key(&alice.did).await;
    b.create_record(
        &on_b,
        "app.bsky.feed.post",
        None,
        json!({"$type": "app.bsky.feed.post", "text": "hello from the new home", "createdAt": "2026-11-23T06:00:00.000Z"}),
    )
    .await;
    let (status, car) = b
        .get_bytes("com.atproto.sync.getRepo", &[("did", &alice.did)])
        .await;
    assert_eq!(status, 200);
    let (_, records) = verify_repo_car(&car, &alice.did, &key);
    assert_eq!(records.len(), 6);
}
