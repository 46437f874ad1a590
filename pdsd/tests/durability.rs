//! Crash durability of the real pdsd binary: SIGKILL in the middle of a write storm, then
//! every acknowledged write must be readable, on the firehose in its original order, and in a
//! repository that verifies; and a commit that reached the event log but not the actor store
//! (a crash between the two) must be served after a restart.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use atproto::cbor::Value;
use common::{Account, Pdsd, Xrpc, next_frame, run_js, subscribe_repos, verify_repo_car};
use serde_json::json;

const FLAGS: &[&str] = &["--invite-required", "false"];

/// A write pdsd acknowledged.
#[derive(Debug, Clone)]
struct Ack {
    did: String,
    path: String,
    cid: String,
    commit: String,
    rev: String,
}

/// One `#commit` of the replayed firehose.
#[derive(Debug, Clone)]
struct LoggedCommit {
    seq: i64,
    commit: String,
    rev: String,
    since: Option<String>,
    /// (action, path, cid)
    ops: Vec<(String, String, Option<String>)>,
}

/// Replays the firehose from the start until an event for `until_did` (an account created
/// after the crash, so every earlier event is before it); returns the `#commit`s per repo in
/// seq order, after checking that the seqs have no gap.
async fn replay_commits(pds: &Pdsd, until_did: &str) -> HashMap<String, Vec<LoggedCommit>> {
    let mut ws = subscribe_repos(&pds.addr, Some(0)).await;
    let mut by_repo: HashMap<String, Vec<LoggedCommit>> = HashMap::new();
    let mut expected_seq = 1;
    loop {
        let (header, body) = next_frame(&mut ws, Duration::from_secs(10))
            .await
            .expect("the replay goes on until the new account");
        let header = header.as_map().unwrap();
        assert_eq!(header["op"], Value::Integer(1), "error frame {body:?}");
        let body = body.as_map().unwrap();
        let seq = body["seq"].as_integer().unwrap();
        assert_eq!(seq, expected_seq, "the replayed log has a gap or duplicate");
        expected_seq += 1;
        let did = body
            .get("did")
            .or_else(|| body.get("repo"))
            .and_then(Value::as_str)
            .unwrap();
        if did == until_did {
            break;
        }
        if header["t"].as_str() != Some("#commit") {
            continue;
        }
        let Some(Value::Array(ops)) = body.get("ops") else {
            panic!("ops")
        };
        by_repo
            .entry(did.to_string())
            .or_default()
            .push(LoggedCommit {
                seq,
                commit: body["commit"].as_link().unwrap().to_string(),
                rev: body["rev"].as_str().unwrap().to_string(),
                since: body["since"].as_str().map(str::to_string),
                ops: ops
                    .iter()
                    .map(|op| {
                        let m = op.as_map().unwrap();
                        (
                            m["action"].as_str().unwrap().to_string(),
                            m["path"].as_str().unwrap().to_string(),
                            m.get("cid").and_then(Value::as_link).map(|c| c.to_string()),
                        )
                    })
                    .collect(),
            });
    }
    by_repo
}

/// Every record of `collection`, through listRecords pages: path -> cid.
async fn list_all(c: &Xrpc, did: &str, collection: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut q = vec![("repo", did), ("collection", collection), ("limit", "100")];
        if let Some(cur) = &cursor {
            q.push(("cursor", cur));
        }
        let (status, body) = c.get("com.atproto.repo.listRecords", &q).await;
        assert_eq!(status, 200, "{body}");
        for r in body["records"].as_array().unwrap() {
            let uri = r["uri"].as_str().unwrap();
            let path = uri.splitn(4, '/').nth(3).unwrap().to_string();
            out.insert(path, r["cid"].as_str().unwrap().to_string());
        }
        match body["cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return out,
        }
    }
}

/// Checks one repository after a restart against the firehose and the acknowledged writes:
/// getRepo verifies (signature, complete canonical MST), its head is the last `#commit` on
/// the firehose, its records are exactly those the firehose created (and listRecords agrees),
/// and every acknowledged write is in it.
async fn check_repo(c: &Xrpc, did: &str, logged: &[LoggedCommit], acks: &[&Ack], collection: &str) {
    let key = c.signing_key(did).await;
    let (status, car) = c
        .get_bytes("com.atproto.sync.getRepo", &[("did", did)])
        .await;
    assert_eq!(status, 200);
    let (commit, entries) = verify_repo_car(&car, did, &key);
    let last = logged.last().expect("the repo has commits on the firehose");
    assert_eq!(
        commit.rev.as_str(),
        last.rev,
        "{did}: the repository's head is not the firehose's last commit"
    );
    let (_, latest) = c
        .get("com.atproto.sync.getLatestCommit", &[("did", did)])
        .await;
    assert_eq!(latest["cid"], last.commit, "{did}: getLatestCommit");

    let in_repo: BTreeMap<String, String> = entries
        .iter()
        .map(|(k, v)| (k.clone(), v.to_string()))
        .collect();
    let on_firehose: BTreeMap<String, String> = logged
        .iter()
        .flat_map(|c| c.ops.iter())
        .map(|(action, path, cid)| {
            assert_eq!(action, "create");
            (path.clone(), cid.clone().unwrap())
        })
        .collect();
    assert_eq!(
        in_repo, on_firehose,
        "{did}: the repository and the firehose disagree"
    );
    assert_eq!(
        list_all(c, did, collection).await,
        in_repo,
        "{did}: listRecords and the MST disagree"
    );
    for a in acks {
        assert_eq!(
            in_repo.get(&a.path),
            Some(&a.cid),
            "{did}: acknowledged {} is lost",
            a.path
        );
    }
}

#[tokio::test]
async fn acknowledged_writes_survive_a_sigkill_in_the_middle_of_a_write_storm() {
    write_storm_then_sigkill(FLAGS).await;
}

#[tokio::test]
async fn acknowledged_writes_survive_a_sigkill_in_power_safe_mode() {
    write_storm_then_sigkill(&["--invite-required", "false", "--durability", "power-safe"]).await;
}

/// Writers on four accounts until SIGKILL, then a restart with the same flags checks every
/// acknowledged write: readable, on the firehose in order, in a repository that verifies.
async fn write_storm_then_sigkill(flags: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let mut pds = Pdsd::start(dir.path(), flags);
    let c = Xrpc::new(&pds);
    let mut accounts = Vec::new();
    for name in ["storm0", "storm1", "storm2", "storm3"] {
        accounts.push(c.create_account(name).await);
    }

    // Two writers per account, each creating records until pdsd goes away.
    let acks: Arc<Mutex<Vec<Ack>>> = Arc::default();
    let refused: Arc<Mutex<Vec<String>>> = Arc::default();
    let count = Arc::new(AtomicUsize::new(0));
    let mut writers = Vec::new();
    for (n, account) in accounts.iter().chain(accounts.iter()).enumerate() {
        let (c, account) = (c.clone(), account.clone());
        let (acks, refused, count) = (acks.clone(), refused.clone(), count.clone());
        writers.push(tokio::spawn(async move {
            for i in 0.. {
                let rkey = format!("w{n}-{i:05}");
                let input = json!({
                    "repo": account.did,
                    "collection": "com.example.storm",
                    "rkey": rkey,
                    "record": {"writer": n, "i": i},
                });
                match c
                    .try_post("com.atproto.repo.createRecord", Some(&account), &input)
                    .await
                {
                    Ok((200, out)) => {
                        acks.lock().unwrap().push(Ack {
                            did: account.did.clone(),
                            path: format!("com.example.storm/{rkey}"),
                            cid: out["cid"].as_str().unwrap().to_string(),
                            commit: out["commit"]["cid"].as_str().unwrap().to_string(),
                            rev: out["commit"]["rev"].as_str().unwrap().to_string(),
                        });
                        count.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok((status, body)) => {
                        refused.lock().unwrap().push(format!("{status} {body}"));
                        return;
                    }
                    // pdsd was killed.
                    Err(_) => return,
                }
            }
        }));
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while count.load(Ordering::Relaxed) < 300 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    pds.signal("KILL");
    pds.wait();
    for w in writers {
        w.await.unwrap();
    }
    let refused = refused.lock().unwrap().clone();
    assert!(
        refused.is_empty(),
        "writes refused before the crash: {refused:?}"
    );
    let acks = acks.lock().unwrap().clone();
    assert!(
        acks.len() >= 50,
        "only {} writes before the crash",
        acks.len()
    );
    eprintln!("{} writes acknowledged before SIGKILL", acks.len());
    drop(pds);

    let pds = Pdsd::start(dir.path(), flags);
    let c = Xrpc::new(&pds);

    // 1. Every acknowledged write is readable, with its CID.
    for a in &acks {
        let rkey = a.path.split('/').nth(1).unwrap();
        let (status, got) = c
            .get(
                "com.atproto.repo.getRecord",
                &[
                    ("repo", &a.did),
                    ("collection", "com.example.storm"),
                    ("rkey", rkey),
                ],
            )
            .await;
        assert_eq!(
            (status, got["cid"].as_str()),
            (200, Some(a.cid.as_str())),
            "{a:?}: {got}"
        );
    }

    // 2. Every acknowledged write is on the firehose in the commit that acknowledged it, and
    //    per repository the firehose order is the order the writes were acknowledged in.
    let sentinel = c.create_account("sentinel").await;
    let logged = replay_commits(&pds, &sentinel.did).await;
    let mut seq_of_commit: HashMap<&str, &LoggedCommit> = HashMap::new();
    for commits in logged.values() {
        for pair in commits.windows(2) {
            assert_eq!(
                pair[1].since.as_deref(),
                Some(pair[0].rev.as_str()),
                "broken chain"
            );
            assert!(pair[1].rev > pair[0].rev);
        }
        for c in commits {
            seq_of_commit.insert(&c.commit, c);
        }
    }
    let mut per_writer: BTreeMap<(String, String), Vec<i64>> = BTreeMap::new();
    for a in &acks {
        let logged = seq_of_commit
            .get(a.commit.as_str())
            .unwrap_or_else(|| panic!("acknowledged commit {} is not on the firehose", a.commit));
        assert_eq!(logged.rev, a.rev);
        assert!(
            logged
                .ops
                .contains(&("create".into(), a.path.clone(), Some(a.cid.clone()))),
            "{a:?} is not in its commit's ops"
        );
        let writer = a.path.split('-').next().unwrap().to_string();
        per_writer
            .entry((a.did.clone(), writer))
            .or_default()
            .push(logged.seq);
    }
    for (writer, seqs) in &per_writer {
        assert!(
            seqs.windows(2).all(|w| w[0] < w[1]),
            "{writer:?}: out of order {seqs:?}"
        );
    }

    // 3. Every repository verifies and agrees with the firehose and the acknowledgements.
    for account in &accounts {
        let mine: Vec<&Ack> = acks.iter().filter(|a| a.did == account.did).collect();
        let commits: Vec<LoggedCommit> = logged[&account.did]
            .iter()
            .filter(|c| !c.ops.is_empty())
            .cloned()
            .collect();
        check_repo(&c, &account.did, &commits, &mine, "com.example.storm").await;
    }

    // 4. The official client agrees for one repository, and writes go on after the restart.
    let first = &accounts[0];
    let records = logged[&first.did]
        .iter()
        .map(|c| c.ops.len())
        .sum::<usize>();
    let result = run_js(
        "repo-verify.mjs",
        &[
            ("PDS_URL", &pds.url()),
            ("DID", &first.did),
            ("EXPECT", &json!({"count": records}).to_string()),
        ],
    );
    assert_eq!(result["ok"], true, "{result}");
    for account in &accounts {
        write_one_more(&c, account).await;
    }
}

/// One more write, with the session from before the restart.
async fn write_one_more(c: &Xrpc, account: &Account) {
    c.create_record(account, "com.example.after", None, json!({"after": true}))
        .await;
}

/// The files of an account's SQLite store (the database, its WAL and shared memory).
fn store_files(data: &Path, did: &str) -> Vec<PathBuf> {
    let dir = pdsd::store::actor::actor_dir(data, &atproto::syntax::Did::new(did).unwrap());
    ["store.sqlite", "store.sqlite-wal", "store.sqlite-shm"]
        .iter()
        .map(|f| dir.join(f))
        .collect()
}

#[tokio::test]
async fn a_commit_in_the_event_log_but_not_in_the_actor_store_is_served_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let saved = tempfile::tempdir().unwrap();
    let mut pds = Pdsd::start(dir.path(), FLAGS);
    let c = Xrpc::new(&pds);
    let alice = c.create_account("alice").await;
    let bob = c.create_account("bob").await;
    c.create_record(&alice, "com.example.note", Some("one"), json!({"n": 1}))
        .await;
    pds.signal("KILL");
    pds.wait();
    drop(pds);

    // Keep Alice's store as it is after "one".
    let files = store_files(dir.path(), &alice.did);
    for f in &files {
        if f.exists() {
            std::fs::copy(f, saved.path().join(f.file_name().unwrap())).unwrap();
        }
    }

    let mut pds = Pdsd::start(dir.path(), FLAGS);
    let c = Xrpc::new(&pds);
    let two = c
        .create_record(&alice, "com.example.note", Some("two"), json!({"n": 2}))
        .await;
    pds.signal("KILL");
    pds.wait();
    drop(pds);

    // Put the old store back: the event log has "two", Alice's store does not, which is what
    // a crash after sequencing and before the store's commit leaves behind.
    for f in &files {
        let old = saved.path().join(f.file_name().unwrap());
        if old.exists() {
            std::fs::copy(&old, f).unwrap();
        } else if f.exists() {
            std::fs::remove_file(f).unwrap();
        }
    }

    let pds = Pdsd::start(dir.path(), FLAGS);
    let c = Xrpc::new(&pds);
    // Reads come first, before any write opens the repository for writing.
    let (status, got) = c
        .get(
            "com.atproto.repo.getRecord",
            &[
                ("repo", &alice.did),
                ("collection", "com.example.note"),
                ("rkey", "two"),
            ],
        )
        .await;
    assert_eq!((status, &got["cid"]), (200, &two["cid"]), "{got}");
    let (_, latest) = c
        .get("com.atproto.sync.getLatestCommit", &[("did", &alice.did)])
        .await;
    assert_eq!(latest["rev"], two["commit"]["rev"]);
    let sentinel = c.create_account("sentinel").await;
    let logged = replay_commits(&pds, &sentinel.did).await;
    let commits: Vec<LoggedCommit> = logged[&alice.did]
        .iter()
        .filter(|c| !c.ops.is_empty())
        .cloned()
        .collect();
    let acks = Ack {
        did: alice.did.clone(),
        path: "com.example.note/two".into(),
        cid: two["cid"].as_str().unwrap().into(),
        commit: two["commit"]["cid"].as_str().unwrap().into(),
        rev: two["commit"]["rev"].as_str().unwrap().into(),
    };
    check_repo(&c, &alice.did, &commits, &[&acks], "com.example.note").await;

    // The next write builds on "two".
    let three = c
        .create_record(&alice, "com.example.note", Some("three"), json!({"n": 3}))
        .await;
    assert!(three["commit"]["rev"].as_str() > two["commit"]["rev"].as_str());
    let records: BTreeSet<String> = list_all(&c, &alice.did, "com.example.note")
        .await
        .into_keys()
        .collect();
    assert_eq!(
        records,
        BTreeSet::from(["one", "two", "three"].map(|k| format!("com.example.note/{k}")))
    );
    // Bob was not touched.
    write_one_more(&c, &bob).await;
}
