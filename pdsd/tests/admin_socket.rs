//! The admin API over the real Unix socket of the real pdsd binary, with a tonic client (the
//! client pattern `pdsctl` uses): every RPC, the audit log, and the socket's life cycle.

mod common;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{Account, Pdsd, Xrpc};
use pb::account_service_client::AccountServiceClient;
use pb::audit_service_client::AuditServiceClient;
use pb::invite_service_client::InviteServiceClient;
use pb::repo_service_client::RepoServiceClient;
use pb::server_service_client::ServerServiceClient;
use pds_proto::admin::v1 as pb;
use serde_json::json;
use tonic::transport::{Channel, Endpoint, Uri};

/// A channel to the admin socket at `path`.
async fn connect(path: &Path) -> Result<Channel, tonic::transport::Error> {
    let path = path.to_path_buf();
    Endpoint::try_from("http://[::]:50051")
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
}

fn socket(pds: &Pdsd) -> PathBuf {
    pds.data.join("admin.sock")
}

/// This process's uid: the owner of a file it just made.
fn my_uid(dir: &Path) -> u32 {
    let probe = dir.join(".uid-probe");
    std::fs::write(&probe, b"").unwrap();
    let uid = std::fs::metadata(&probe).unwrap().uid();
    std::fs::remove_file(probe).unwrap();
    uid
}

fn error_name(status: &tonic::Status) -> &str {
    status
        .metadata()
        .get("x-error-name")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

async fn login(xrpc: &Xrpc, identifier: &str, password: &str) -> (u16, serde_json::Value) {
    xrpc.post(
        "com.atproto.server.createSession",
        None,
        json!({ "identifier": identifier, "password": password }),
    )
    .await
}

#[tokio::test]
async fn every_rpc_answers_over_the_socket_and_is_audited() {
    let dir = tempfile::tempdir().unwrap();
    let uid = my_uid(dir.path());
    // Invites stay required: operators do not need one.
    let pds = Pdsd::start(dir.path(), &[]);
    let xrpc = Xrpc::new(&pds);
    let channel = connect(&socket(&pds)).await.unwrap();
    let mut server = ServerServiceClient::new(channel.clone());
    let mut accounts = AccountServiceClient::new(channel.clone());
    let mut invites = InviteServiceClient::new(channel.clone());
    let mut repo = RepoServiceClient::new(channel.clone());
    let mut audit = AuditServiceClient::new(channel);

    let status = server
        .get_server_status(pb::GetServerStatusRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(status.version, pdsd::VERSION);
    assert_eq!(status.account_count, 0);
    assert_eq!(status.hostname, "localhost");
    assert!(status.invite_required);

    // CreateAccount: a bare handle gets the service domain, the password is generated.
    let alice = accounts
        .create_account(pb::CreateAccountRequest {
            handle: "alice".into(),
            email: Some("Alice@Example.com".into()),
            reason: Some("onboarding".into()),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(alice.created);
    let alice_password = alice.password.clone().expect("a generated password");
    let alice_account = alice.account.unwrap();
    assert_eq!(alice_account.handle, "alice.test");
    assert_eq!(alice_account.email.as_deref(), Some("alice@example.com"));
    assert_eq!(alice_account.status(), pb::AccountStatus::Active);
    let alice_did = alice_account.did.clone();
    let (code, body) = login(&xrpc, "alice.test", &alice_password).await;
    assert_eq!(code, 200, "{body}");

    // With an external id, creating again returns the same account and creates nothing.
    let bob = accounts
        .create_account(pb::CreateAccountRequest {
            handle: "bob.test".into(),
            password: Some("bob-password-1".into()),
            external_id: Some("emp-1".into()),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(bob.created);
    assert!(bob.password.is_none(), "a given password is not echoed");
    let bob_account = bob.account.unwrap();
    assert_eq!(bob_account.email, None);
    assert_eq!(bob_account.external_id.as_deref(), Some("emp-1"));
    let again = accounts
        .create_account(pb::CreateAccountRequest {
            handle: "bob-other".into(),
            external_id: Some("emp-1".into()),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!again.created);
    assert!(again.password.is_none());
    assert_eq!(again.account.unwrap().did, bob_account.did);
    let bob_did = bob_account.did.clone();

    let taken = accounts
        .create_account(pb::CreateAccountRequest {
            handle: "alice".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(taken.code(), tonic::Code::InvalidArgument);
    assert_eq!(error_name(&taken), "HandleNotAvailable");

    // ListAccounts: oldest first, paged, filtered.
    let page = accounts
        .list_accounts(pb::ListAccountsRequest {
            limit: 1,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(page.accounts.len(), 1);
    assert_eq!(page.accounts[0].did, alice_did);
    let next = accounts
        .list_accounts(pb::ListAccountsRequest {
            limit: 1,
            cursor: page.cursor,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(next.accounts[0].did, bob_did);
    let found = accounts
        .list_accounts(pb::ListAccountsRequest {
            query: Some("BOB".into()),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(found.accounts.len(), 1);
    assert_eq!(found.accounts[0].did, bob_did);
    assert_eq!(found.cursor, None);

    // GetAccount by DID, handle, email and external id.
    for key in [
        alice_did.as_str(),
        "alice.test",
        "@alice.test",
        "alice@example.com",
    ] {
        let got = accounts
            .get_account(pb::GetAccountRequest {
                account: key.into(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(got.account.unwrap().did, alice_did, "{key}");
        let repo = got.repo.expect("a repository");
        assert_eq!(repo.record_count, 0);
        assert!(!repo.commit.is_empty() && !repo.rev.is_empty());
    }
    let by_external = accounts
        .get_account(pb::GetAccountRequest {
            account: "external:emp-1".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(by_external.account.unwrap().did, bob_did);
    let missing = accounts
        .get_account(pb::GetAccountRequest {
            account: "nobody.test".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), tonic::Code::NotFound);
    let empty = accounts
        .get_account(pb::GetAccountRequest::default())
        .await
        .unwrap_err();
    assert_eq!(empty.code(), tonic::Code::InvalidArgument);

    // UpdateHandle and UpdateEmail.
    let renamed = accounts
        .update_handle(pb::UpdateHandleRequest {
            account: alice_did.clone(),
            handle: "alice2".into(),
            reason: None,
        })
        .await
        .unwrap()
        .into_inner()
        .account
        .unwrap();
    assert_eq!(renamed.handle, "alice2.test");
    let (code, body) = xrpc
        .get(
            "com.atproto.identity.resolveHandle",
            &[("handle", "alice2.test")],
        )
        .await;
    assert_eq!(
        (code, body["did"].as_str()),
        (200, Some(alice_did.as_str()))
    );
    let bad_handle = accounts
        .update_handle(pb::UpdateHandleRequest {
            account: alice_did.clone(),
            handle: "no way".into(),
            reason: None,
        })
        .await
        .unwrap_err();
    assert_eq!(bad_handle.code(), tonic::Code::InvalidArgument);
    let mailed = accounts
        .update_email(pb::UpdateEmailRequest {
            account: "external:emp-1".into(),
            email: "bob@example.com".into(),
            confirmed: true,
            reason: None,
        })
        .await
        .unwrap()
        .into_inner()
        .account
        .unwrap();
    assert_eq!(mailed.email.as_deref(), Some("bob@example.com"));
    assert!(mailed.email_confirmed_at.is_some());
    let dup = accounts
        .update_email(pb::UpdateEmailRequest {
            account: bob_did.clone(),
            email: "alice@example.com".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(dup.code(), tonic::Code::InvalidArgument);

    // ResetPassword: set, generate, token; email needs a mailer.
    let (_, session) = login(&xrpc, "bob.test", "bob-password-1").await;
    let set = accounts
        .reset_password(pb::ResetPasswordRequest {
            account: bob_did.clone(),
            password: Some("bob-password-2".into()),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(set.method(), pb::ResetPasswordMethod::Set);
    assert!(set.sessions_revoked);
    let (code, _) = xrpc
        .post(
            "com.atproto.server.refreshSession",
            Some(&Account {
                did: bob_did.clone(),
                handle: "bob.test".into(),
                access_jwt: session["refreshJwt"].as_str().unwrap().into(),
            }),
            json!({}),
        )
        .await;
    assert_eq!(code, 401, "the old session ended");
    assert_eq!(login(&xrpc, "bob.test", "bob-password-1").await.0, 401);
    assert_eq!(login(&xrpc, "bob.test", "bob-password-2").await.0, 200);
    let generated = accounts
        .reset_password(pb::ResetPasswordRequest {
            account: "bob.test".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(generated.method(), pb::ResetPasswordMethod::Generate);
    let bob_password = generated.password.unwrap();
    assert_eq!(login(&xrpc, "bob.test", &bob_password).await.0, 200);
    let token = accounts
        .reset_password(pb::ResetPasswordRequest {
            account: "bob.test".into(),
            method: pb::ResetPasswordMethod::Token.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .reset_token
        .unwrap();
    let (code, body) = xrpc
        .post(
            "com.atproto.server.resetPassword",
            None,
            json!({ "token": token, "password": "bob-password-3" }),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(login(&xrpc, "bob.test", "bob-password-3").await.0, 200);
    let no_mailer = accounts
        .reset_password(pb::ResetPasswordRequest {
            account: "bob.test".into(),
            method: pb::ResetPasswordMethod::Email.into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(no_mailer.code(), tonic::Code::FailedPrecondition);
    let no_password = accounts
        .reset_password(pb::ResetPasswordRequest {
            account: "bob.test".into(),
            method: pb::ResetPasswordMethod::Set.into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(no_password.code(), tonic::Code::InvalidArgument);

    // DeactivateAccount and ActivateAccount.
    let off = accounts
        .deactivate_account(pb::DeactivateAccountRequest {
            account: bob_did.clone(),
            reason: Some("holiday".into()),
        })
        .await
        .unwrap()
        .into_inner()
        .account
        .unwrap();
    assert_eq!(off.status(), pb::AccountStatus::Deactivated);
    assert!(off.deactivated_at.is_some());
    let only_deactivated = accounts
        .list_accounts(pb::ListAccountsRequest {
            status: pb::AccountStatus::Deactivated.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(only_deactivated.accounts.len(), 1);
    let on = accounts
        .activate_account(pb::ActivateAccountRequest {
            account: bob_did.clone(),
            reason: None,
        })
        .await
        .unwrap()
        .into_inner()
        .account
        .unwrap();
    assert_eq!(on.status(), pb::AccountStatus::Active);

    // Invites.
    let made = invites
        .create_invite_codes(pb::CreateInviteCodesRequest {
            uses: 3,
            count: 2,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .codes;
    assert_eq!(made.len(), 2);
    assert!(
        made.iter()
            .all(|c| c.for_account == "admin" && c.available == 3 && c.total_uses == 3)
    );
    let for_alice = invites
        .create_invite_codes(pb::CreateInviteCodesRequest {
            for_accounts: vec!["alice2.test".into()],
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .codes;
    assert_eq!(for_alice.len(), 1);
    assert_eq!(for_alice[0].for_account, alice_did);
    assert_eq!(for_alice[0].total_uses, 1);
    // Someone signs up with an operator code.
    let (code, body) = xrpc
        .post(
            "com.atproto.server.createAccount",
            None,
            json!({"handle": "carol.test", "email": "carol@example.com", "password": "hunter22",
                   "inviteCode": made[0].code}),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    let listed = invites
        .list_invite_codes(pb::ListInviteCodesRequest {
            sort: pb::InviteCodeSort::Usage.into(),
            for_account: Some("admin".into()),
            limit: 1,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.codes[0].code, made[0].code, "most used first");
    assert_eq!(listed.codes[0].uses.len(), 1);
    assert_eq!(listed.codes[0].available, 2);
    assert!(listed.cursor.is_some());
    let for_alice_listed = invites
        .list_invite_codes(pb::ListInviteCodesRequest {
            for_account: Some(alice_did.clone()),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(for_alice_listed.codes.len(), 1);
    let disabled = invites
        .disable_invite_codes(pb::DisableInviteCodesRequest {
            codes: vec![made[1].code.clone()],
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(disabled.disabled, 1);
    let available = invites
        .list_invite_codes(pb::ListInviteCodesRequest {
            available_only: true,
            for_account: Some("admin".into()),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(available.codes.iter().all(|c| c.code != made[1].code));
    let nothing = invites
        .disable_invite_codes(pb::DisableInviteCodesRequest::default())
        .await
        .unwrap_err();
    assert_eq!(nothing.code(), tonic::Code::InvalidArgument);
    invites
        .disable_account_invites(pb::DisableAccountInvitesRequest {
            account: alice_did.clone(),
            reason: Some("spam".into()),
        })
        .await
        .unwrap();
    let got = accounts
        .get_account(pb::GetAccountRequest {
            account: alice_did.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(got.account.unwrap().invites_disabled);
    invites
        .enable_account_invites(pb::EnableAccountInvitesRequest {
            account: alice_did.clone(),
            reason: None,
        })
        .await
        .unwrap();

    // Repositories: records and a blob, exported, listed, downloaded, imported again.
    let (_, session) = login(&xrpc, "alice2.test", &alice_password).await;
    let alice = Account {
        did: alice_did.clone(),
        handle: "alice2.test".into(),
        access_jwt: session["accessJwt"].as_str().unwrap().into(),
    };
    let png: Vec<u8> = [b"\x89PNG\r\n\x1a\n".as_slice(), &[7u8; 100_000]].concat();
    let uploaded: serde_json::Value = xrpc
        .http
        .post(format!("{}/xrpc/com.atproto.repo.uploadBlob", xrpc.base))
        .header("authorization", alice.bearer())
        .header("content-type", "image/png")
        .body(png.clone())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let blob_cid = uploaded["blob"]["ref"]["$link"]
        .as_str()
        .unwrap()
        .to_string();
    for i in 0..20 {
        let mut record = json!({
            "$type": "app.bsky.feed.post",
            "text": format!("post {i}"),
            "createdAt": "2026-01-01T00:00:00.000Z",
        });
        if i == 0 {
            record["embed"] = json!({
                "$type": "app.bsky.embed.images",
                "images": [{ "alt": "", "image": uploaded["blob"] }],
            });
        }
        xrpc.create_record(&alice, "app.bsky.feed.post", None, record)
            .await;
    }
    let mut stream = repo
        .export_repo(pb::ExportRepoRequest {
            account: "alice2.test".into(),
        })
        .await
        .unwrap()
        .into_inner();
    let head = stream.message().await.unwrap().unwrap();
    assert_eq!(head.did.as_deref(), Some(alice_did.as_str()));
    assert!(head.estimated_bytes.unwrap() > 0);
    let mut car = head.chunk;
    while let Some(m) = stream.message().await.unwrap() {
        car.extend_from_slice(&m.chunk);
    }
    let key = xrpc.signing_key(&alice_did).await;
    let (commit, records) = common::verify_repo_car(&car, &alice_did, &key);
    assert_eq!(records.len(), 20);
    assert_eq!(Some(commit.rev.to_string()), head.rev);
    let estimate = head.estimated_bytes.unwrap() as f64;
    assert!((car.len() as f64) <= estimate && estimate < car.len() as f64 * 1.5);

    let blobs = repo
        .list_blobs(pb::ListBlobsRequest {
            account: alice_did.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(blobs.blobs.len(), 1);
    assert_eq!(blobs.blobs[0].cid, blob_cid);
    assert_eq!(blobs.blobs[0].mime_type, "image/png");
    assert_eq!(blobs.blobs[0].size, png.len() as u64);
    let mut stream = repo
        .get_blob(pb::GetBlobRequest {
            account: alice_did.clone(),
            cid: blob_cid.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    let head = stream.message().await.unwrap().unwrap();
    assert_eq!(head.mime_type.as_deref(), Some("image/png"));
    assert_eq!(head.size, Some(png.len() as u64));
    let mut bytes = head.chunk;
    while let Some(m) = stream.message().await.unwrap() {
        bytes.extend_from_slice(&m.chunk);
    }
    assert_eq!(bytes, png);
    let no_blob = repo
        .get_blob(pb::GetBlobRequest {
            account: alice_did.clone(),
            cid: "bafkreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(no_blob.code(), tonic::Code::NotFound);

    // Deactivated accounts are still exported: operators back them up.
    accounts
        .deactivate_account(pb::DeactivateAccountRequest {
            account: alice_did.clone(),
            reason: None,
        })
        .await
        .unwrap();
    let mut stream = repo
        .export_repo(pb::ExportRepoRequest {
            account: alice_did.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    let mut again = Vec::new();
    while let Some(m) = stream.message().await.unwrap() {
        again.extend_from_slice(&m.chunk);
    }
    assert_eq!(again, car);
    accounts
        .activate_account(pb::ActivateAccountRequest {
            account: alice_did.clone(),
            reason: None,
        })
        .await
        .unwrap();

    let chunks: Vec<pb::ImportRepoRequest> = car
        .chunks(10_000)
        .enumerate()
        .map(|(i, c)| pb::ImportRepoRequest {
            account: if i == 0 {
                alice_did.clone()
            } else {
                String::new()
            },
            chunk: c.to_vec(),
            reason: (i == 0).then(|| "restore".to_string()),
        })
        .collect();
    let imported = repo
        .import_repo(futures_util::stream::iter(chunks))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(imported.did, alice_did);
    assert_eq!(imported.record_count, 20);
    assert_eq!(imported.bytes_received, car.len() as u64);
    let garbage = repo
        .import_repo(futures_util::stream::iter(vec![pb::ImportRepoRequest {
            account: alice_did.clone(),
            chunk: b"not a car".to_vec(),
            reason: None,
        }]))
        .await
        .unwrap_err();
    assert_eq!(garbage.code(), tonic::Code::InvalidArgument);

    // DeleteAccount.
    let deleted = accounts
        .delete_account(pb::DeleteAccountRequest {
            account: "external:emp-1".into(),
            reason: Some("left the company".into()),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(deleted.did, bob_did);
    let gone = accounts
        .get_account(pb::GetAccountRequest {
            account: bob_did.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(gone.code(), tonic::Code::NotFound);
    assert_eq!(login(&xrpc, "bob.test", "bob-password-3").await.0, 401);

    let status = server
        .get_server_status(pb::GetServerStatusRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(status.account_count, 2, "alice and carol");
    assert_eq!(status.active_account_count, 2);
    assert!(status.firehose_last_seq > 0);
    assert!(status.repo_bytes > 0);
    assert_eq!(status.blob_bytes, png.len() as u64);

    // The audit log has every action, by this process's uid, in a valid chain.
    let entries = audit
        .list_audit_entries(pb::ListAuditEntriesRequest::default())
        .await
        .unwrap()
        .into_inner()
        .entries;
    let actions: Vec<&str> = entries.iter().rev().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "account.create",
            "account.create",
            "account.update_handle",
            "account.update_email",
            "account.reset_password",
            "account.reset_password",
            "account.reset_password",
            "account.deactivate",
            "account.activate",
            "invite.create",
            "invite.create",
            "invite.disable",
            "invite.disable_account",
            "invite.enable_account",
            "repo.export",
            "account.deactivate",
            "repo.export",
            "account.activate",
            "repo.import",
            "account.delete",
        ]
    );
    let operator = format!("uid:{uid}");
    assert!(entries.iter().all(|e| e.actor == operator));
    let first = entries.last().unwrap();
    assert_eq!(first.subject, alice_did);
    assert_eq!(first.reason.as_deref(), Some("onboarding"));
    let details: serde_json::Value = serde_json::from_str(&first.details_json).unwrap();
    assert_eq!(details["passwordGenerated"], true);
    assert!(
        !entries
            .iter()
            .any(|e| e.details_json.contains(&alice_password)
                || e.details_json.contains("bob-password")),
        "no password is ever recorded"
    );
    let about_bob = audit
        .list_audit_entries(pb::ListAuditEntriesRequest {
            subject: Some(bob_did.clone()),
            action: Some("account.reset_password".into()),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .entries;
    assert_eq!(about_bob.len(), 3);
    let older = audit
        .list_audit_entries(pb::ListAuditEntriesRequest {
            before_seq: Some(3),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .entries;
    assert_eq!(older.iter().map(|e| e.seq).collect::<Vec<_>>(), [2, 1]);
    let verified = audit
        .verify_audit_log(pb::VerifyAuditLogRequest {})
        .await
        .unwrap()
        .into_inner();
    assert!(verified.valid, "{:?}", verified.problem);
    assert_eq!(verified.entry_count, entries.len() as u64);
    assert_eq!(verified.head_hash, entries[0].hash);
}

#[tokio::test]
async fn the_socket_is_mode_0600_and_owned_by_the_daemons_user() {
    let dir = tempfile::tempdir().unwrap();
    let pds = Pdsd::start(dir.path(), &[]);
    let meta = std::fs::symlink_metadata(socket(&pds)).unwrap();
    assert!(std::os::unix::fs::FileTypeExt::is_socket(&meta.file_type()));
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    assert_eq!(meta.uid(), my_uid(dir.path()));
    // Nothing is left of the private directory the socket was bound in.
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".admin-sock"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[tokio::test]
async fn a_configured_path_and_group_give_a_0660_socket_of_that_group() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let path = dir.path().join("run/pdsd.sock");
    // The group of a file this process makes: one it is a member of, so chgrp is allowed.
    let probe = dir.path().join("probe");
    std::fs::write(&probe, b"").unwrap();
    let gid = std::fs::metadata(&probe).unwrap().gid().to_string();
    let pds = Pdsd::start(
        &data,
        &[
            "--admin-socket",
            path.to_str().unwrap(),
            "--admin-socket-group",
            &gid,
        ],
    );
    let meta = std::fs::symlink_metadata(&path).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o660);
    assert_eq!(meta.gid().to_string(), gid);
    assert!(!data.join("admin.sock").exists());
    let mut server = ServerServiceClient::new(connect(&path).await.unwrap());
    server
        .get_server_status(pb::GetServerStatusRequest {})
        .await
        .unwrap();
    drop(pds);
}

#[tokio::test]
async fn an_unknown_socket_group_is_a_configuration_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pdsd"))
        .args(["--port", "0", "--data-directory"])
        .arg(dir.path())
        .args(["--admin-socket-group", "no-such-group-here"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("PDS_ADMIN_SOCKET_GROUP"), "{stderr}");
}

#[tokio::test]
async fn a_second_pdsd_on_the_same_data_directory_fails_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let first = Pdsd::start(dir.path(), &[]);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pdsd"))
        .args(["--port", "0", "--data-directory"])
        .arg(dir.path())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("another pdsd is already serving the admin socket"),
        "{stderr}"
    );
    // The first one is unharmed.
    let mut server = ServerServiceClient::new(connect(&socket(&first)).await.unwrap());
    server
        .get_server_status(pb::GetServerStatusRequest {})
        .await
        .unwrap();
}

#[tokio::test]
async fn a_stale_socket_file_is_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("admin.sock");
    // A socket nobody listens on any more (a pdsd killed with SIGKILL leaves one behind).
    drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
    assert!(path.exists());
    let pds = Pdsd::start(dir.path(), &[]);
    let mut server = ServerServiceClient::new(connect(&socket(&pds)).await.unwrap());
    server
        .get_server_status(pb::GetServerStatusRequest {})
        .await
        .unwrap();
}

#[tokio::test]
async fn a_file_that_is_not_a_socket_is_left_alone_and_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("admin.sock");
    std::fs::write(&path, b"precious").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pdsd"))
        .args(["--port", "0", "--data-directory"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("is not a socket"), "{stderr}");
    assert_eq!(std::fs::read(&path).unwrap(), b"precious");
}

#[tokio::test]
async fn sigterm_stops_both_servers_and_removes_the_socket() {
    let dir = tempfile::tempdir().unwrap();
    let mut pds = Pdsd::start(dir.path(), &[]);
    let path = socket(&pds);
    assert!(path.exists());
    pds.signal("TERM");
    let status = pds.wait();
    assert!(status.success(), "{status}");
    assert!(!path.exists());
    assert!(
        tokio::time::timeout(Duration::from_secs(5), connect(&path))
            .await
            .unwrap()
            .is_err()
    );
}
