//! `com.atproto.admin.*` with the admin password against the real pdsd binary: each method,
//! its errors, and the audit log entries it leaves (read over the admin socket).

mod common;

use std::path::Path;

use common::{Pdsd, Xrpc};
use pds_proto::admin::v1 as pb;
use serde_json::{Value, json};
use tonic::transport::{Endpoint, Uri};

/// The admin password client: JSON in, (status, JSON) out.
struct Admin {
    xrpc: Xrpc,
    auth: String,
}

fn basic(password: &str) -> String {
    use base64::Engine;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("admin:{password}"))
    )
}

impl Admin {
    fn new(pds: &Pdsd) -> Admin {
        Admin {
            xrpc: Xrpc::new(pds),
            auth: basic(&pds.admin_password()),
        }
    }

    async fn post_as(&self, auth: Option<&str>, nsid: &str, body: Value) -> (u16, Value) {
        let mut req = self
            .xrpc
            .http
            .post(format!("{}/xrpc/{nsid}", self.xrpc.base))
            .json(&body);
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn post(&self, nsid: &str, body: Value) -> (u16, Value) {
        self.post_as(Some(&self.auth), nsid, body).await
    }

    async fn get_as(&self, auth: Option<&str>, nsid: &str, query: &[(&str, &str)]) -> (u16, Value) {
        let query = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(query)
            .finish();
        let mut req = self
            .xrpc
            .http
            .get(format!("{}/xrpc/{nsid}?{query}", self.xrpc.base));
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, nsid: &str, query: &[(&str, &str)]) -> (u16, Value) {
        self.get_as(Some(&self.auth), nsid, query).await
    }

    /// An account made with an operator invite code; its DID.
    async fn account(&self, name: &str, email: Option<&str>) -> String {
        let (status, body) = self
            .post(
                "com.atproto.server.createInviteCode",
                json!({ "useCount": 1 }),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let (status, body) = self
            .xrpc
            .post(
                "com.atproto.server.createAccount",
                None,
                json!({
                    "handle": format!("{name}.test"),
                    "email": email.map_or_else(|| format!("{name}@example.com"), str::to_string),
                    "password": "hunter22",
                    "inviteCode": body["code"],
                }),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body["did"].as_str().unwrap().to_string()
    }

    async fn login(&self, identifier: &str, password: &str) -> u16 {
        self.xrpc
            .post(
                "com.atproto.server.createSession",
                None,
                json!({ "identifier": identifier, "password": password }),
            )
            .await
            .0
    }
}

fn error(body: &Value) -> &str {
    body["error"].as_str().unwrap_or("")
}

/// The audit log's entries, oldest first, read over the admin socket.
async fn audit_log(data: &Path) -> Vec<pb::AuditEntry> {
    let path = data.join("admin.sock");
    let channel = Endpoint::try_from("http://[::]:50051")
        .unwrap()
        .connect_with_connector(tower::service_fn(move |_: Uri| {
            let path = path.clone();
            async move {
                Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(
                    tokio::net::UnixStream::connect(path).await?,
                ))
            }
        }))
        .await
        .unwrap();
    let mut client = pb::audit_service_client::AuditServiceClient::new(channel);
    let verified = client
        .verify_audit_log(pb::VerifyAuditLogRequest {})
        .await
        .unwrap()
        .into_inner();
    assert!(verified.valid, "{:?}", verified.problem);
    let mut entries = client
        .list_audit_entries(pb::ListAuditEntriesRequest::default())
        .await
        .unwrap()
        .into_inner()
        .entries;
    entries.reverse();
    entries
}

#[tokio::test]
async fn admin_methods_need_the_admin_password() {
    let dir = tempfile::tempdir().unwrap();
    let pds = Pdsd::start(dir.path(), &[]);
    let admin = Admin::new(&pds);
    let did = admin.account("alice", None).await;
    let wrong = basic("not-the-password");
    for auth in [None, Some(wrong.as_str()), Some("Bearer nope")] {
        let (status, body) = admin
            .get_as(auth, "com.atproto.admin.getAccountInfo", &[("did", &did)])
            .await;
        assert_eq!((status, error(&body)), (401, "AuthenticationRequired"));
        let (status, body) = admin
            .post_as(
                auth,
                "com.atproto.admin.deleteAccount",
                json!({ "did": did }),
            )
            .await;
        assert_eq!((status, error(&body)), (401, "AuthenticationRequired"));
    }
    assert!(audit_log(dir.path()).await.is_empty());
}

#[tokio::test]
async fn get_account_info_and_infos_answer_account_views() {
    let dir = tempfile::tempdir().unwrap();
    let pds = Pdsd::start(dir.path(), &[]);
    let admin = Admin::new(&pds);
    let alice = admin.account("alice", None).await;
    let bob = admin.account("bob", None).await;
    let (status, body) = admin
        .post(
            "com.atproto.server.createInviteCodes",
            json!({ "codeCount": 2, "useCount": 1, "forAccounts": [alice] }),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    let (status, view) = admin
        .get("com.atproto.admin.getAccountInfo", &[("did", &alice)])
        .await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["did"], alice);
    assert_eq!(view["handle"], "alice.test");
    assert_eq!(view["email"], "alice@example.com");
    assert!(view["indexedAt"].as_str().unwrap().ends_with('Z'));
    assert_eq!(view["invitesDisabled"], false);
    assert_eq!(view["invites"].as_array().unwrap().len(), 2);
    assert_eq!(view["invites"][0]["forAccount"], alice);
    assert_eq!(view["invitedBy"]["forAccount"], "admin");
    assert_eq!(view["invitedBy"]["uses"][0]["usedBy"], alice);
    assert!(view.get("emailConfirmedAt").is_none());

    let (status, body) = admin
        .get(
            "com.atproto.admin.getAccountInfo",
            &[("did", "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa")],
        )
        .await;
    assert_eq!((status, error(&body)), (404, "NotFound"));
    let (status, body) = admin.get("com.atproto.admin.getAccountInfo", &[]).await;
    assert_eq!((status, error(&body)), (400, "InvalidRequest"));
    let (status, body) = admin
        .get("com.atproto.admin.getAccountInfo", &[("did", "alice.test")])
        .await;
    assert_eq!((status, error(&body)), (400, "InvalidRequest"));

    let (status, body) = admin
        .get(
            "com.atproto.admin.getAccountInfos",
            &[
                ("dids", alice.as_str()),
                ("dids", bob.as_str()),
                ("dids", "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let dids: Vec<&str> = body["infos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["did"].as_str().unwrap())
        .collect();
    assert_eq!(
        dids,
        [alice.as_str(), bob.as_str()],
        "unknown DIDs are left out"
    );
    let (status, body) = admin.get("com.atproto.admin.getAccountInfos", &[]).await;
    assert_eq!((status, error(&body)), (400, "InvalidRequest"));
    let (status, body) = admin
        .get("com.atproto.admin.getAccountInfos", &[("dids", "nope")])
        .await;
    assert_eq!((status, error(&body)), (400, "InvalidRequest"));
}

#[tokio::test]
async fn search_accounts_matches_email_and_pages() {
    let dir = tempfile::tempdir().unwrap();
    let pds = Pdsd::start(dir.path(), &[]);
    let admin = Admin::new(&pds);
    let a = admin.account("ann", Some("ann@corp.example")).await;
    let b = admin.account("ben", Some("ben@corp.example")).await;
    admin.account("cat", Some("cat@home.example")).await;

    let (status, body) = admin
        .get(
            "com.atproto.admin.searchAccounts",
            &[("email", "CORP.example"), ("limit", "1")],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["accounts"][0]["did"], a);
    let cursor = body["cursor"].as_str().unwrap().to_string();
    let (_, body) = admin
        .get(
            "com.atproto.admin.searchAccounts",
            &[
                ("email", "corp.example"),
                ("limit", "1"),
                ("cursor", &cursor),
            ],
        )
        .await;
    assert_eq!(body["accounts"][0]["did"], b);
    let (_, body) = admin.get("com.atproto.admin.searchAccounts", &[]).await;
    assert_eq!(body["accounts"].as_array().unwrap().len(), 3);
    assert!(body.get("cursor").is_none());

    for limit in ["0", "101"] {
        let (status, body) = admin
            .get("com.atproto.admin.searchAccounts", &[("limit", limit)])
            .await;
        assert_eq!((status, error(&body)), (400, "InvalidRequest"), "{limit}");
    }
    let (status, body) = admin
        .get("com.atproto.admin.searchAccounts", &[("cursor", "garbage")])
        .await;
    assert_eq!((status, error(&body)), (400, "InvalidRequest"));
}

#[tokio::test]
async fn update_account_handle_email_and_password() {
    let dir = tempfile::tempdir().unwrap();
    let pds = Pdsd::start(dir.path(), &[]);
    let admin = Admin::new(&pds);
    let alice = admin.account("alice", None).await;
    admin.account("bob", None).await;
    let nobody = "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa";

    // updateAccountHandle.
    let (status, body) = admin
        .post(
            "com.atproto.admin.updateAccountHandle",
            json!({ "did": alice, "handle": "alicia.test" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, body) = admin
        .xrpc
        .get(
            "com.atproto.identity.resolveHandle",
            &[("handle", "alicia.test")],
        )
        .await;
    assert_eq!(body["did"], alice);
    let (status, body) = admin
        .post(
            "com.atproto.admin.updateAccountHandle",
            json!({ "did": alice, "handle": "bob.test" }),
        )
        .await;
    assert_eq!((status, error(&body)), (400, "HandleNotAvailable"));
    let (status, body) = admin
        .post(
            "com.atproto.admin.updateAccountHandle",
            json!({ "did": alice, "handle": "-bad-.test" }),
        )
        .await;
    assert_eq!((status, error(&body)), (400, "InvalidHandle"));
    let (status, body) = admin
        .post(
            "com.atproto.admin.updateAccountHandle",
            json!({ "did": nobody, "handle": "x.test" }),
        )
        .await;
    assert_eq!((status, error(&body)), (404, "NotFound"));
    let (status, body) = admin
        .post(
            "com.atproto.admin.updateAccountHandle",
            json!({ "handle": "x.test" }),
        )
        .await;
    assert_eq!((status, error(&body)), (400, "InvalidRequest"));

    // updateAccountEmail: by handle or DID; the address starts unconfirmed.
    let (status, body) = admin
        .post(
            "com.atproto.admin.updateAccountEmail",
            json!({ "account": "alicia.test", "email": "Alicia@Example.com" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, view) = admin
        .get("com.atproto.admin.getAccountInfo", &[("did", &alice)])
        .await;
    assert_eq!(view["email"], "alicia@example.com");
    let (status, body) = admin
        .post(
            "com.atproto.admin.updateAccountEmail",
            json!({ "account": alice, "email": "bob@example.com" }),
        )
        .await;
    assert_eq!((status, error(&body)), (400, "InvalidRequest"));
    let (status, body) = admin
        .post(
            "com.atproto.admin.updateAccountEmail",
            json!({ "account": alice, "email": "not an address" }),
        )
        .await;
    assert_eq!((status, error(&body)), (400, "InvalidRequest"));
    let (status, body) = admin
        .post(
            "com.atproto.admin.updateAccountEmail",
            json!({ "account": "alicia@example.com", "email": "a@example.com" }),
        )
        .await;
    assert_eq!((status, error(&body)), (400, "InvalidRequest"));
    let (status, body) = admin
        .post(
            "com.atproto.admin.updateAccountEmail",
            json!({ "account": "nobody.test", "email": "n@example.com" }),
        )
        .await;
    assert_eq!((status, error(&body)), (404, "NotFound"));

    // updateAccountPassword: the new one works, the old one and the sessions do not.
    let (_, session) = admin
        .xrpc
        .post(
            "com.atproto.server.createSession",
            None,
            json!({ "identifier": "alicia.test", "password": "hunter22" }),
        )
        .await;
    let (status, body) = admin
        .post(
            "com.atproto.admin.updateAccountPassword",
            json!({ "did": alice, "password": "correct horse" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(admin.login("alicia.test", "hunter22").await, 401);
    assert_eq!(admin.login("alicia.test", "correct horse").await, 200);
    let (status, _) = admin
        .post_as(
            Some(&format!(
                "Bearer {}",
                session["refreshJwt"].as_str().unwrap()
            )),
            "com.atproto.server.refreshSession",
            json!({}),
        )
        .await;
    assert_eq!(status, 401, "sessions end with a new password");
    let (status, body) = admin
        .post(
            "com.atproto.admin.updateAccountPassword",
            json!({ "did": alice, "password": "" }),
        )
        .await;
    assert_eq!((status, error(&body)), (400, "InvalidRequest"));
    let (status, body) = admin
        .post(
            "com.atproto.admin.updateAccountPassword",
            json!({ "did": nobody, "password": "x" }),
        )
        .await;
    assert_eq!((status, error(&body)), (404, "NotFound"));

    let log = audit_log(dir.path()).await;
    let actions: Vec<(&str, &str)> = log
        .iter()
        .map(|e| (e.action.as_str(), e.subject.as_str()))
        .collect();
    assert_eq!(
        actions,
        [
            ("account.update_handle", alice.as_str()),
            ("account.update_email", alice.as_str()),
            ("account.reset_password", alice.as_str()),
        ]
    );
    assert!(log.iter().all(|e| e.actor == "admin-password"));
    assert!(!log.iter().any(|e| e.details_json.contains("correct horse")));
}

#[tokio::test]
async fn delete_account_removes_the_account_at_once() {
    let dir = tempfile::tempdir().unwrap();
    // An owner's deletion would wait a day; an operator's does not.
    let pds = Pdsd::start(dir.path(), &["--account-delete-grace-seconds", "86400"]);
    let admin = Admin::new(&pds);
    let alice = admin.account("alice", None).await;
    let (status, body) = admin
        .post("com.atproto.admin.deleteAccount", json!({ "did": alice }))
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = admin
        .get("com.atproto.admin.getAccountInfo", &[("did", &alice)])
        .await;
    assert_eq!(status, 404);
    assert_eq!(admin.login("alice.test", "hunter22").await, 401);
    let (_, body) = admin
        .xrpc
        .get("com.atproto.sync.getRepoStatus", &[("did", &alice)])
        .await;
    assert_eq!(error(&body), "RepoNotFound");
    // The handle is free again.
    admin.account("alice", None).await;

    let (status, body) = admin
        .post("com.atproto.admin.deleteAccount", json!({ "did": alice }))
        .await;
    assert_eq!((status, error(&body)), (404, "NotFound"));
    let (status, body) = admin
        .post("com.atproto.admin.deleteAccount", json!({ "did": "nope" }))
        .await;
    assert_eq!((status, error(&body)), (400, "InvalidRequest"));
    let log = audit_log(dir.path()).await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].action, "account.delete");
    assert_eq!(log[0].subject, alice);
}

#[tokio::test]
async fn invite_codes_are_listed_disabled_and_account_invites_toggled() {
    let dir = tempfile::tempdir().unwrap();
    let pds = Pdsd::start(dir.path(), &[]);
    let admin = Admin::new(&pds);
    let alice = admin.account("alice", None).await;
    let (_, made) = admin
        .post(
            "com.atproto.server.createInviteCodes",
            json!({ "codeCount": 3, "useCount": 2 }),
        )
        .await;
    let codes: Vec<String> = made["codes"][0]["codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    // One use of the second code.
    let (status, body) = admin
        .xrpc
        .post(
            "com.atproto.server.createAccount",
            None,
            json!({"handle": "bob.test", "email": "bob@example.com", "password": "hunter22",
                   "inviteCode": codes[1]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    // getInviteCodes: alice's sign-up code and the three, newest first, in pages.
    let (status, page) = admin
        .get("com.atproto.admin.getInviteCodes", &[("limit", "2")])
        .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["codes"].as_array().unwrap().len(), 2);
    let cursor = page["cursor"].as_str().unwrap().to_string();
    let (_, rest) = admin
        .get(
            "com.atproto.admin.getInviteCodes",
            &[("limit", "2"), ("cursor", &cursor)],
        )
        .await;
    assert_eq!(rest["codes"].as_array().unwrap().len(), 2);
    let (_, by_usage) = admin
        .get(
            "com.atproto.admin.getInviteCodes",
            &[("sort", "usage"), ("limit", "500")],
        )
        .await;
    let first = &by_usage["codes"][0];
    assert_eq!(first["uses"].as_array().unwrap().len(), 1);
    assert_eq!(by_usage["codes"].as_array().unwrap().len(), 4);
    let used = by_usage["codes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == codes[1].as_str())
        .unwrap();
    assert_eq!(used["available"], 1);
    assert!(
        used["uses"][0]["usedBy"]
            .as_str()
            .unwrap()
            .starts_with("did:")
    );
    for (param, value) in [("sort", "oldest"), ("limit", "0"), ("limit", "501")] {
        let (status, body) = admin
            .get("com.atproto.admin.getInviteCodes", &[(param, value)])
            .await;
        assert_eq!((status, error(&body)), (400, "InvalidRequest"), "{param}");
    }

    // disableInviteCodes: by code, or every code of an account; never "admin".
    let (status, body) = admin
        .post(
            "com.atproto.admin.disableInviteCodes",
            json!({ "codes": [codes[0]] }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, all) = admin
        .get("com.atproto.admin.getInviteCodes", &[("limit", "500")])
        .await;
    let disabled: Vec<&str> = all["codes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["disabled"] == true)
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    assert_eq!(disabled, [codes[0].as_str()]);
    let (status, body) = admin
        .post(
            "com.atproto.admin.disableInviteCodes",
            json!({ "accounts": ["admin"] }),
        )
        .await;
    assert_eq!((status, error(&body)), (400, "InvalidRequest"));
    let (status, body) = admin
        .post("com.atproto.admin.disableInviteCodes", json!({}))
        .await;
    assert_eq!((status, error(&body)), (400, "InvalidRequest"));
    let (_, made) = admin
        .post(
            "com.atproto.server.createInviteCodes",
            json!({ "codeCount": 2, "useCount": 1, "forAccounts": [alice] }),
        )
        .await;
    assert_eq!(made["codes"][0]["codes"].as_array().unwrap().len(), 2);
    let (status, _) = admin
        .post(
            "com.atproto.admin.disableInviteCodes",
            json!({ "accounts": [alice] }),
        )
        .await;
    assert_eq!(status, 200);
    let (_, view) = admin
        .get("com.atproto.admin.getAccountInfo", &[("did", &alice)])
        .await;
    assert!(
        view["invites"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["disabled"] == true)
    );
    let (status, body) = admin
        .post(
            "com.atproto.admin.disableInviteCodes",
            json!({ "accounts": ["did:plc:aaaaaaaaaaaaaaaaaaaaaaaa"] }),
        )
        .await;
    assert_eq!((status, error(&body)), (404, "NotFound"));

    // disableAccountInvites / enableAccountInvites.
    let (status, body) = admin
        .post(
            "com.atproto.admin.disableAccountInvites",
            json!({ "account": alice, "note": "spam" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, view) = admin
        .get("com.atproto.admin.getAccountInfo", &[("did", &alice)])
        .await;
    assert_eq!(view["invitesDisabled"], true);
    let (status, _) = admin
        .post(
            "com.atproto.admin.enableAccountInvites",
            json!({ "account": alice }),
        )
        .await;
    assert_eq!(status, 200);
    let (_, view) = admin
        .get("com.atproto.admin.getAccountInfo", &[("did", &alice)])
        .await;
    assert_eq!(view["invitesDisabled"], false);
    for nsid in [
        "com.atproto.admin.disableAccountInvites",
        "com.atproto.admin.enableAccountInvites",
    ] {
        let (status, body) = admin
            .post(
                nsid,
                json!({ "account": "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa" }),
            )
            .await;
        assert_eq!((status, error(&body)), (404, "NotFound"), "{nsid}");
        let (status, body) = admin.post(nsid, json!({})).await;
        assert_eq!((status, error(&body)), (400, "InvalidRequest"), "{nsid}");
    }

    let log = audit_log(dir.path()).await;
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "invite.disable",
            "invite.disable",
            "invite.disable_account",
            "invite.enable_account"
        ]
    );
    assert_eq!(log[2].reason.as_deref(), Some("spam"));
}

#[tokio::test]
async fn send_email_without_a_mailer_is_not_implemented() {
    let dir = tempfile::tempdir().unwrap();
    let pds = Pdsd::start(dir.path(), &[]);
    let admin = Admin::new(&pds);
    let alice = admin.account("alice", None).await;
    let (status, body) = admin
        .post(
            "com.atproto.admin.sendEmail",
            json!({ "recipientDid": alice, "senderDid": alice, "content": "hi" }),
        )
        .await;
    assert_eq!((status, error(&body)), (501, "MethodNotImplemented"));
}

#[tokio::test]
async fn send_email_mails_the_account() {
    let smtp = common::smtp_server();
    let dir = tempfile::tempdir().unwrap();
    let flags = smtp.pdsd_flags();
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let pds = Pdsd::start(dir.path(), &flags);
    let admin = Admin::new(&pds);
    let alice = admin.account("alice", None).await;
    let (status, body) = admin
        .post(
            "com.atproto.admin.sendEmail",
            json!({
                "recipientDid": alice,
                "senderDid": "did:web:moderator.example",
                "subject": "About your account",
                "content": "Please read the rules.",
                "comment": "first warning",
            }),
        )
        .await;
    assert_eq!((status, &body), (200, &json!({ "sent": true })));
    let mail = smtp.next_mail("alice@example.com");
    assert_eq!(mail.subject, "About your account");
    assert!(mail.raw.contains("Please read the rules."));

    let (status, body) = admin
        .post(
            "com.atproto.admin.sendEmail",
            json!({ "recipientDid": "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa",
                    "senderDid": alice, "content": "x" }),
        )
        .await;
    assert_eq!((status, error(&body)), (404, "NotFound"));
    let (status, body) = admin
        .post(
            "com.atproto.admin.sendEmail",
            json!({ "recipientDid": alice, "content": "x" }),
        )
        .await;
    assert_eq!((status, error(&body)), (400, "InvalidRequest"));

    let log = audit_log(dir.path()).await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].action, "account.send_email");
    assert_eq!(log[0].reason.as_deref(), Some("first warning"));
    assert!(!log[0].details_json.contains("Please read"));
}
