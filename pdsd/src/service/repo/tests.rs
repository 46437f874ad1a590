use atproto::Value;
use atproto::blockstore::BlockStore;
use atproto::commit::Commit;
use atproto::mst::Mst;
use atproto::syntax::{Did, Nsid, RecordKey};
use serde_json::json;

use super::{Validate, Write, WriteResult};
use crate::service::account::CreateAccountInput;
use crate::service::test_util::TestPds;
use crate::store::Durability;
use crate::store::actor::{ActorStore, actor_dir};

async fn account(pds: &TestPds, handle: &str) -> Did {
    let t = pds
        .service
        .create_account(CreateAccountInput {
            email: Some(format!("{handle}@example.com")),
            handle: format!("{handle}.test"),
            password: Some("pw".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    Did::new(&t.did).unwrap()
}

fn post(text: &str) -> Value {
    atproto::json::record_from_json(&json!({
        "$type": "app.bsky.feed.post",
        "text": text,
        "createdAt": "2026-11-23T05:00:00.000Z"
    }))
    .unwrap()
}

fn create(text: &str) -> Write {
    Write::Create {
        collection: Nsid::new("app.bsky.feed.post").unwrap(),
        rkey: None,
        value: post(text),
    }
}

/// Loads the stored repository and checks the commit signature and that the MST holds
/// exactly the record rows.
async fn verify_stored_repo(pds: &TestPds, did: &Did) -> usize {
    // Commits waiting for the actor store go in first: this reads the store directly.
    pds.service.flush_pending().await;
    let data = &pds.service.config.data_directory;
    let store = ActorStore::open(data, did, Durability::Normal).unwrap();
    let (commit_cid, rev) = store.root().unwrap().unwrap();
    let commit = Commit::decode(&store.get_block(&commit_cid).unwrap().unwrap()).unwrap();
    assert_eq!(commit.rev, rev);
    let key = ActorStore::signing_key(data, did).unwrap();
    commit.verify(&key.public_key()).unwrap();
    let mut mst = Mst::load(&store, commit.data).unwrap();
    let entries = mst.entries(&store).unwrap();
    for (key, cid) in &entries {
        let (collection, rkey) = key.split_once('/').unwrap();
        let (stored_cid, bytes) = store.get_record(collection, rkey).unwrap().unwrap();
        assert_eq!(&stored_cid, cid);
        assert!(cid.matches(&bytes));
    }
    entries.len()
}

#[tokio::test]
async fn writes_become_signed_commits_with_records_and_firehose_events() {
    let pds = TestPds::with(|a| a.invite_required = Some(false)).await;
    let did = account(&pds, "hana").await;
    let seq_before = pds.service.sequencer.last_seq();
    let out = pds
        .service
        .apply_writes(
            did.clone(),
            vec![create("one"), create("two")],
            Validate::Optimistic,
            None,
        )
        .await
        .unwrap();
    let (commit, _) = out.commit.unwrap();
    let WriteResult::Create {
        uri,
        validation_status,
        ..
    } = &out.results[0]
    else {
        panic!("not a create")
    };
    assert_eq!(*validation_status, Some("valid"));
    assert_eq!(verify_stored_repo(&pds, &did).await, 2);

    // The event carries the commit, its blocks as a CAR, and the ops.
    let events = pds.service.sequencer.events_after(seq_before, 10).unwrap();
    assert_eq!(events.len(), 1);
    let (_, body) = crate::sequencer::frame::parse_frame(&events[0].frame).unwrap();
    let body = body.as_map().unwrap();
    assert_eq!(body["commit"], Value::Link(commit));
    assert_eq!(body["repo"], Value::String(did.to_string()));
    let Value::Array(ops) = &body["ops"] else {
        panic!()
    };
    assert_eq!(ops.len(), 2);
    let Value::Bytes(car) = &body["blocks"] else {
        panic!()
    };
    let (roots, blocks) = atproto::car::read_car(car).unwrap();
    assert_eq!(roots, vec![commit]);
    assert!(blocks.iter().any(|(c, _)| *c == commit));

    // Reads.
    let rkey = uri.rkey().unwrap().to_string();
    let got = pds
        .service
        .get_record(
            did.as_str(),
            Nsid::new("app.bsky.feed.post").unwrap(),
            RecordKey::new(&rkey).unwrap(),
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        got.value.as_map().unwrap()["text"],
        Value::String("one".into())
    );
    let (page, cursor) = pds
        .service
        .list_records(
            "hana.test",
            Nsid::new("app.bsky.feed.post").unwrap(),
            1,
            None,
            false,
        )
        .await
        .unwrap();
    assert_eq!(page.len(), 1);
    assert!(cursor.is_some());
}

#[tokio::test]
async fn swaps_validation_and_deletes() {
    let pds = TestPds::with(|a| a.invite_required = Some(false)).await;
    let did = account(&pds, "ivan").await;
    let first = pds
        .service
        .apply_writes(did.clone(), vec![create("a")], Validate::Optimistic, None)
        .await
        .unwrap();
    let (c1, _) = first.commit.unwrap();
    pds.service
        .apply_writes(did.clone(), vec![create("b")], Validate::Optimistic, None)
        .await
        .unwrap();
    // A stale swapCommit is InvalidSwap and changes nothing.
    let e = pds
        .service
        .apply_writes(
            did.clone(),
            vec![create("c")],
            Validate::Optimistic,
            Some(c1),
        )
        .await
        .unwrap_err();
    assert_eq!(e.xrpc_name(), "InvalidSwap");
    assert_eq!(verify_stored_repo(&pds, &did).await, 2);

    // Lexicon validation: a post without text fails; a wrong $type fails; an unknown
    // collection is accepted optimistically but refused when validation is required.
    let bad = atproto::json::record_from_json(
        &json!({"$type": "app.bsky.feed.post", "createdAt": "2026-11-23T05:00:00.000Z"}),
    )
    .unwrap();
    let e = pds
        .service
        .apply_writes(
            did.clone(),
            vec![Write::Create {
                collection: Nsid::new("app.bsky.feed.post").unwrap(),
                rkey: None,
                value: bad,
            }],
            Validate::Optimistic,
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(e.xrpc_name(), "InvalidRequest");
    let e = pds
        .service
        .apply_writes(
            did.clone(),
            vec![Write::Create {
                collection: Nsid::new("app.bsky.feed.like").unwrap(),
                rkey: None,
                value: post("wrong type"),
            }],
            Validate::Optimistic,
            None,
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("Invalid $type"), "{e}");
    let custom = Write::Create {
        collection: Nsid::new("com.example.thing").unwrap(),
        rkey: Some(RecordKey::new("self").unwrap()),
        value: atproto::json::record_from_json(&json!({"anything": 1})).unwrap(),
    };
    let e = pds
        .service
        .apply_writes(did.clone(), vec![custom.clone()], Validate::Required, None)
        .await
        .unwrap_err();
    assert_eq!(e.xrpc_name(), "InvalidRequest");
    let ok = pds
        .service
        .apply_writes(did.clone(), vec![custom], Validate::Optimistic, None)
        .await
        .unwrap();
    let WriteResult::Create {
        validation_status, ..
    } = &ok.results[0]
    else {
        panic!()
    };
    assert_eq!(*validation_status, Some("unknown"));

    // Deleting a missing record is a no-op without a commit.
    let out = pds
        .service
        .apply_writes(
            did.clone(),
            vec![Write::Delete {
                collection: Nsid::new("com.example.thing").unwrap(),
                rkey: RecordKey::new("missing").unwrap(),
                swap_record: None,
            }],
            Validate::Optimistic,
            None,
        )
        .await
        .unwrap();
    assert!(out.commit.is_none());
    let out = pds
        .service
        .apply_writes(
            did.clone(),
            vec![Write::Delete {
                collection: Nsid::new("com.example.thing").unwrap(),
                rkey: RecordKey::new("self").unwrap(),
                swap_record: None,
            }],
            Validate::Optimistic,
            None,
        )
        .await
        .unwrap();
    assert!(out.commit.is_some());
    assert_eq!(verify_stored_repo(&pds, &did).await, 2);
}

#[tokio::test]
async fn a_commit_sequenced_but_not_stored_is_repaired_on_open() {
    let pds = TestPds::with(|a| a.invite_required = Some(false)).await;
    let did = account(&pds, "jade").await;
    pds.service
        .apply_writes(
            did.clone(),
            vec![create("before")],
            Validate::Optimistic,
            None,
        )
        .await
        .unwrap();
    // Snapshot the actor store, write once more, then put the snapshot back: the store now
    // misses the last commit, which only the event log has (a crash between the two).
    let dir = actor_dir(&pds.service.config.data_directory, &did);
    pds.service.flush_pending().await;
    // Close the writer's connection now (the flusher may hold the slot a moment longer).
    *pds.service.repos.slot(&did).lock().await = None;
    pds.service.repos.evict(&did);
    pds.service.readers.evict(&did);
    let snapshot = tempfile::tempdir().unwrap();
    copy_sqlite(&dir, snapshot.path());
    let out = pds
        .service
        .apply_writes(
            did.clone(),
            vec![create("lost?")],
            Validate::Optimistic,
            None,
        )
        .await
        .unwrap();
    let (commit, _) = out.commit.unwrap();
    pds.service.flush_pending().await;
    // Close the writer's connection now (the flusher may hold the slot a moment longer).
    *pds.service.repos.slot(&did).lock().await = None;
    pds.service.repos.evict(&did);
    pds.service.readers.evict(&did);
    copy_sqlite(snapshot.path(), &dir);
    assert_ne!(
        ActorStore::open(&pds.service.config.data_directory, &did, Durability::Normal)
            .unwrap()
            .root()
            .unwrap()
            .unwrap()
            .0,
        commit
    );
    // The next write opens the repository, replays the missing commit, and builds on it.
    let next = pds
        .service
        .apply_writes(
            did.clone(),
            vec![create("after")],
            Validate::Optimistic,
            None,
        )
        .await
        .unwrap();
    assert!(next.commit.is_some());
    assert_eq!(verify_stored_repo(&pds, &did).await, 3);
}

fn copy_sqlite(from: &std::path::Path, to: &std::path::Path) {
    for name in ["store.sqlite", "store.sqlite-wal", "store.sqlite-shm"] {
        let src = from.join(name);
        let dst = to.join(name);
        if src.exists() {
            std::fs::copy(&src, &dst).unwrap();
        } else if dst.exists() {
            std::fs::remove_file(&dst).unwrap();
        }
    }
}

#[tokio::test]
async fn import_replaces_the_repository_only_with_a_verified_newer_car() {
    use atproto::commit::UnsignedCommit;
    let pds = TestPds::with(|a| a.invite_required = Some(false)).await;
    let did = account(&pds, "kira").await;
    pds.service
        .apply_writes(did.clone(), vec![create("old")], Validate::Optimistic, None)
        .await
        .unwrap();
    let key = ActorStore::signing_key(&pds.service.config.data_directory, &did).unwrap();

    // A repository built elsewhere, signed with the account's key.
    let build = |n: usize, signer: &atproto::crypto::SigningKey| {
        let store = atproto::blockstore::MemoryBlockStore::new();
        let mut mst = Mst::new();
        let mut records = Vec::new();
        for i in 0..n {
            let bytes = post(&format!("imported {i}")).to_cbor();
            let cid = atproto::Cid::for_dag_cbor(&bytes);
            mst.insert(&store, &format!("app.bsky.feed.post/3kimport{i:05}"), cid)
                .unwrap();
            records.push((cid, bytes));
        }
        let changes = mst.take_changes();
        let commit =
            UnsignedCommit::new(did.clone(), changes.root, atproto::tid::next_tid()).sign(signer);
        let (commit_cid, commit_bytes) = commit.to_block();
        let mut blocks = vec![(commit_cid, commit_bytes)];
        blocks.extend(changes.new_blocks);
        blocks.extend(records);
        atproto::car::write_car(&[commit_cid], blocks.iter().map(|(c, b)| (c, b.as_slice())))
    };

    // Signed by another key: refused, nothing changes.
    let stranger = atproto::crypto::SigningKey::generate(atproto::crypto::KeyType::K256);
    let e = pds
        .service
        .import_repo(did.clone(), build(3, &stranger).into())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("signature"), "{e}");
    assert_eq!(verify_stored_repo(&pds, &did).await, 1);

    // Truncated: refused.
    let mut car = build(3, &key);
    car.truncate(car.len() - 10);
    assert!(
        pds.service
            .import_repo(did.clone(), car.into())
            .await
            .is_err()
    );

    pds.service
        .import_repo(did.clone(), build(25, &key).into())
        .await
        .unwrap();
    assert_eq!(verify_stored_repo(&pds, &did).await, 25);
    // And writes continue on top of the imported repository.
    pds.service
        .apply_writes(
            did.clone(),
            vec![create("after import")],
            Validate::Optimistic,
            None,
        )
        .await
        .unwrap();
    assert_eq!(verify_stored_repo(&pds, &did).await, 26);
}
