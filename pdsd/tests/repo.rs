//! Repositories through HTTP against the real pdsd binary: the record write methods, record
//! reads, the `com.atproto.sync.*` reads and their errors, and the official `@atproto/repo`
//! verification of whole repositories and record proofs.

mod common;

use std::collections::BTreeMap;

use common::{Account, Pdsd, Xrpc, run_js, verify_repo_car};
use serde_json::{Value, json};

async fn start() -> (tempfile::TempDir, Pdsd, Xrpc) {
    let dir = tempfile::tempdir().unwrap();
    let pds = Pdsd::start(dir.path(), &["--invite-required", "false"]);
    let c = Xrpc::new(&pds);
    (dir, pds, c)
}

#[track_caller]
fn assert_error(got: (u16, Value), status: u16, error: &str) {
    assert_eq!(
        (got.0, got.1["error"].as_str()),
        (status, Some(error)),
        "{}",
        got.1
    );
}

fn post(text: &str) -> Value {
    json!({"$type": "app.bsky.feed.post", "text": text, "createdAt": "2024-01-01T00:00:00.000Z"})
}

async fn get_record(c: &Xrpc, a: &Account, collection: &str, rkey: &str) -> (u16, Value) {
    c.get(
        "com.atproto.repo.getRecord",
        &[("repo", &a.did), ("collection", collection), ("rkey", rkey)],
    )
    .await
}

async fn latest_commit(c: &Xrpc, did: &str) -> Value {
    let (status, body) = c
        .get("com.atproto.sync.getLatestCommit", &[("did", did)])
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test]
async fn records_are_created_read_replaced_and_deleted() {
    let (_dir, _pds, c) = start().await;
    let alice = c.create_account("alice").await;

    // An explicit rkey, and a generated one (a TID).
    let made = c
        .create_record(&alice, "com.example.note", Some("first"), json!({"n": 1}))
        .await;
    assert_eq!(
        made["uri"],
        format!("at://{}/com.example.note/first", alice.did)
    );
    assert_eq!(
        made["commit"]["rev"],
        latest_commit(&c, &alice.did).await["rev"]
    );
    let generated = c
        .create_record(&alice, "app.bsky.feed.post", None, post("hello"))
        .await;
    let rkey = generated["uri"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap();
    assert!(atproto::syntax::Tid::new(rkey).is_ok(), "{rkey} is a TID");

    let (status, got) = get_record(&c, &alice, "com.example.note", "first").await;
    assert_eq!(status, 200);
    assert_eq!(got["cid"], made["cid"]);
    assert_eq!(got["value"], json!({"$type": "com.example.note", "n": 1}));
    // By handle too.
    let (status, got) = c
        .get(
            "com.atproto.repo.getRecord",
            &[
                ("repo", "alice.test"),
                ("collection", "app.bsky.feed.post"),
                ("rkey", rkey),
            ],
        )
        .await;
    assert_eq!((status, &got["value"]["text"]), (200, &json!("hello")));

    // Creating over an existing record is refused.
    let (status, _) = c
        .post(
            "com.atproto.repo.createRecord",
            Some(&alice),
            json!({"repo": alice.did, "collection": "com.example.note", "rkey": "first", "record": {"n": 9}}),
        )
        .await;
    assert_eq!(status, 400);

    // putRecord replaces, and creates where nothing is.
    let (status, put) = c
        .post(
            "com.atproto.repo.putRecord",
            Some(&alice),
            json!({"repo": alice.did, "collection": "com.example.note", "rkey": "first", "record": {"n": 2}}),
        )
        .await;
    assert_eq!(status, 200, "{put}");
    assert_ne!(put["cid"], made["cid"]);
    let (_, got) = get_record(&c, &alice, "com.example.note", "first").await;
    assert_eq!((&got["cid"], &got["value"]["n"]), (&put["cid"], &json!(2)));
    let (status, _) = c
        .post(
            "com.atproto.repo.putRecord",
            Some(&alice),
            json!({"repo": alice.did, "collection": "com.example.note", "rkey": "second", "record": {"n": 3}}),
        )
        .await;
    assert_eq!(status, 200);
    // Putting the same value again changes nothing and makes no commit.
    let before = latest_commit(&c, &alice.did).await;
    let (status, same) = c
        .post(
            "com.atproto.repo.putRecord",
            Some(&alice),
            json!({"repo": alice.did, "collection": "com.example.note", "rkey": "second", "record": {"n": 3}}),
        )
        .await;
    assert_eq!(status, 200, "{same}");
    assert_eq!(latest_commit(&c, &alice.did).await, before);

    // getRecord with a cid that is not the current one.
    assert_error(
        c.get(
            "com.atproto.repo.getRecord",
            &[
                ("repo", &alice.did),
                ("collection", "com.example.note"),
                ("rkey", "first"),
                ("cid", made["cid"].as_str().unwrap()),
            ],
        )
        .await,
        400,
        "RecordNotFound",
    );

    // deleteRecord; deleting again is a no-op with no commit.
    let (status, deleted) = c
        .post(
            "com.atproto.repo.deleteRecord",
            Some(&alice),
            json!({"repo": alice.did, "collection": "com.example.note", "rkey": "first"}),
        )
        .await;
    assert_eq!(status, 200, "{deleted}");
    assert!(deleted["commit"]["cid"].is_string());
    assert_error(
        get_record(&c, &alice, "com.example.note", "first").await,
        400,
        "RecordNotFound",
    );
    let (status, again) = c
        .post(
            "com.atproto.repo.deleteRecord",
            Some(&alice),
            json!({"repo": alice.did, "collection": "com.example.note", "rkey": "first"}),
        )
        .await;
    assert_eq!((status, again.get("commit")), (200, None), "{again}");
}

#[tokio::test]
async fn apply_writes_makes_one_commit_of_creates_updates_and_deletes() {
    let (_dir, _pds, c) = start().await;
    let alice = c.create_account("alice").await;
    c.create_record(&alice, "com.example.note", Some("a"), json!({"n": 1}))
        .await;
    c.create_record(&alice, "com.example.note", Some("b"), json!({"n": 2}))
        .await;
    let (status, out) = c
        .post(
            "com.atproto.repo.applyWrites",
            Some(&alice),
            json!({"repo": alice.did, "writes": [
                {"$type": "com.atproto.repo.applyWrites#create", "collection": "com.example.note", "rkey": "c", "value": {"n": 3}},
                {"$type": "com.atproto.repo.applyWrites#create", "collection": "app.bsky.feed.post", "value": post("batched")},
                {"$type": "com.atproto.repo.applyWrites#update", "collection": "com.example.note", "rkey": "a", "value": {"n": 10}},
                {"$type": "com.atproto.repo.applyWrites#delete", "collection": "com.example.note", "rkey": "b"},
            ]}),
        )
        .await;
    assert_eq!(status, 200, "{out}");
    let results = out["results"].as_array().unwrap();
    let types: Vec<&str> = results
        .iter()
        .map(|r| r["$type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "com.atproto.repo.applyWrites#createResult",
            "com.atproto.repo.applyWrites#createResult",
            "com.atproto.repo.applyWrites#updateResult",
            "com.atproto.repo.applyWrites#deleteResult",
        ]
    );
    assert_eq!(results[1]["validationStatus"], "valid");
    assert_eq!(results[0]["validationStatus"], "unknown");
    let head = latest_commit(&c, &alice.did).await;
    assert_eq!(out["commit"]["cid"], head["cid"]);
    assert_eq!(out["commit"]["rev"], head["rev"]);

    let (_, a) = get_record(&c, &alice, "com.example.note", "a").await;
    assert_eq!(
        (&a["value"]["n"], &a["cid"]),
        (&json!(10), &results[2]["cid"])
    );
    assert_error(
        get_record(&c, &alice, "com.example.note", "b").await,
        400,
        "RecordNotFound",
    );
    let (status, _) = get_record(&c, &alice, "com.example.note", "c").await;
    assert_eq!(status, 200);

    // Two writes to one record in a batch are refused, and nothing of the batch is applied.
    let (status, _) = c
        .post(
            "com.atproto.repo.applyWrites",
            Some(&alice),
            json!({"repo": alice.did, "writes": [
                {"$type": "com.atproto.repo.applyWrites#create", "collection": "com.example.note", "rkey": "d", "value": {"n": 4}},
                {"$type": "com.atproto.repo.applyWrites#delete", "collection": "com.example.note", "rkey": "d"},
            ]}),
        )
        .await;
    assert_eq!(status, 400);
    assert_error(
        get_record(&c, &alice, "com.example.note", "d").await,
        400,
        "RecordNotFound",
    );
    assert_eq!(latest_commit(&c, &alice.did).await, head);
}

#[tokio::test]
async fn apply_writes_takes_200_writes_and_refuses_201() {
    let (_dir, _pds, c) = start().await;
    let alice = c.create_account("alice").await;
    let writes = |n: usize| -> Vec<Value> {
        (0..n)
            .map(|i| json!({"$type": "com.atproto.repo.applyWrites#create", "collection": "com.example.item", "rkey": format!("k{i:04}"), "value": {"i": i}}))
            .collect()
    };
    let (status, body) = c
        .post(
            "com.atproto.repo.applyWrites",
            Some(&alice),
            json!({"repo": alice.did, "writes": writes(201)}),
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("InvalidRequest")),
        "{body}"
    );

    let (status, body) = c
        .post(
            "com.atproto.repo.applyWrites",
            Some(&alice),
            json!({"repo": alice.did, "writes": writes(200)}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["results"].as_array().unwrap().len(), 200);
    let (_, page) = c
        .get(
            "com.atproto.repo.listRecords",
            &[
                ("repo", &alice.did),
                ("collection", "com.example.item"),
                ("limit", "100"),
            ],
        )
        .await;
    assert_eq!(page["records"].as_array().unwrap().len(), 100);
    assert!(page["cursor"].is_string());
}

#[tokio::test]
async fn a_stale_swap_commit_is_invalid_swap_for_every_write_method() {
    let (_dir, _pds, c) = start().await;
    let alice = c.create_account("alice").await;
    let first = c
        .create_record(&alice, "com.example.note", Some("a"), json!({"n": 1}))
        .await;
    let stale = first["commit"]["cid"].as_str().unwrap().to_string();
    c.create_record(&alice, "com.example.note", Some("b"), json!({"n": 2}))
        .await;
    let head = latest_commit(&c, &alice.did).await;

    let calls = [
        (
            "com.atproto.repo.createRecord",
            json!({"repo": alice.did, "collection": "com.example.note", "rkey": "x", "record": {"n": 0}, "swapCommit": stale}),
        ),
        (
            "com.atproto.repo.putRecord",
            json!({"repo": alice.did, "collection": "com.example.note", "rkey": "a", "record": {"n": 0}, "swapCommit": stale}),
        ),
        (
            "com.atproto.repo.deleteRecord",
            json!({"repo": alice.did, "collection": "com.example.note", "rkey": "a", "swapCommit": stale}),
        ),
        (
            "com.atproto.repo.applyWrites",
            json!({"repo": alice.did, "swapCommit": stale, "writes": [
                {"$type": "com.atproto.repo.applyWrites#delete", "collection": "com.example.note", "rkey": "a"},
            ]}),
        ),
    ];
    for (nsid, input) in calls {
        assert_error(c.post(nsid, Some(&alice), input).await, 400, "InvalidSwap");
    }
    assert_eq!(latest_commit(&c, &alice.did).await, head);

    // The current commit is accepted.
    let (status, body) = c
        .post(
            "com.atproto.repo.createRecord",
            Some(&alice),
            json!({"repo": alice.did, "collection": "com.example.note", "rkey": "x", "record": {"n": 0}, "swapCommit": head["cid"]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn a_wrong_swap_record_is_invalid_swap() {
    let (_dir, _pds, c) = start().await;
    let alice = c.create_account("alice").await;
    let v1 = c
        .create_record(&alice, "com.example.note", Some("a"), json!({"n": 1}))
        .await;
    let other = c
        .create_record(&alice, "com.example.note", Some("b"), json!({"n": 2}))
        .await;

    // putRecord: another record's CID, and null (must not exist) for a record that exists.
    for swap in [other["cid"].clone(), Value::Null] {
        assert_error(
            c.post(
                "com.atproto.repo.putRecord",
                Some(&alice),
                json!({"repo": alice.did, "collection": "com.example.note", "rkey": "a", "record": {"n": 5}, "swapRecord": swap}),
            )
            .await,
            400,
            "InvalidSwap",
        );
    }
    // deleteRecord with another record's CID.
    assert_error(
        c.post(
            "com.atproto.repo.deleteRecord",
            Some(&alice),
            json!({"repo": alice.did, "collection": "com.example.note", "rkey": "a", "swapRecord": other["cid"]}),
        )
        .await,
        400,
        "InvalidSwap",
    );
    let (_, a) = get_record(&c, &alice, "com.example.note", "a").await;
    assert_eq!(a["cid"], v1["cid"]);

    // The right CIDs, and null for a record that does not exist, are accepted.
    let (status, v2) = c
        .post(
            "com.atproto.repo.putRecord",
            Some(&alice),
            json!({"repo": alice.did, "collection": "com.example.note", "rkey": "a", "record": {"n": 5}, "swapRecord": v1["cid"]}),
        )
        .await;
    assert_eq!(status, 200, "{v2}");
    let (status, body) = c
        .post(
            "com.atproto.repo.putRecord",
            Some(&alice),
            json!({"repo": alice.did, "collection": "com.example.note", "rkey": "new", "record": {"n": 6}, "swapRecord": null}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = c
        .post(
            "com.atproto.repo.deleteRecord",
            Some(&alice),
            json!({"repo": alice.did, "collection": "com.example.note", "rkey": "a", "swapRecord": v2["cid"]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn validation_status_follows_the_validate_flag() {
    let (_dir, _pds, c) = start().await;
    let alice = c.create_account("alice").await;
    let create = |collection: &str, record: Value, validate: Option<bool>| {
        let mut input = json!({"repo": alice.did, "collection": collection, "record": record});
        if let Some(v) = validate {
            input["validate"] = v.into();
        }
        let c = c.clone();
        let alice = alice.clone();
        async move {
            c.post("com.atproto.repo.createRecord", Some(&alice), input)
                .await
        }
    };
    let bad_post = json!({"text": "no createdAt"});

    // A known lexicon: validated unless validate is false.
    for validate in [None, Some(true)] {
        let (status, body) = create("app.bsky.feed.post", post("ok"), validate).await;
        assert_eq!(
            (status, &body["validationStatus"]),
            (200, &json!("valid")),
            "{body}"
        );
        assert_error(
            create("app.bsky.feed.post", bad_post.clone(), validate).await,
            400,
            "InvalidRequest",
        );
    }
    let (status, body) = create("app.bsky.feed.post", bad_post.clone(), Some(false)).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("validationStatus").is_none(), "{body}");

    // An unknown lexicon: "unknown" by default, refused when validation is required.
    let (status, body) = create("com.example.thing", json!({"x": 1}), None).await;
    assert_eq!(
        (status, &body["validationStatus"]),
        (200, &json!("unknown")),
        "{body}"
    );
    assert_error(
        create("com.example.thing", json!({"x": 1}), Some(true)).await,
        400,
        "InvalidRequest",
    );
    let (status, body) = create("com.example.thing", json!({"x": 1}), Some(false)).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("validationStatus").is_none(), "{body}");
}

#[tokio::test]
async fn bad_record_keys_wrong_types_and_oversized_records_are_refused() {
    let (_dir, _pds, c) = start().await;
    let alice = c.create_account("alice").await;
    let create = |collection: &str, rkey: Option<&str>, record: Value| {
        let mut input = json!({"repo": alice.did, "collection": collection, "record": record});
        if let Some(k) = rkey {
            input["rkey"] = k.into();
        }
        let c = c.clone();
        let alice = alice.clone();
        async move {
            c.post("com.atproto.repo.createRecord", Some(&alice), input)
                .await
        }
    };
    let head = latest_commit(&c, &alice.did).await;

    for rkey in [".", "..", "a/b", "has space", "", &"k".repeat(513)] {
        assert_error(
            create("com.example.note", Some(rkey), json!({"n": 1})).await,
            400,
            "InvalidRequest",
        );
    }
    // app.bsky.feed.post keys must be TIDs.
    assert_error(
        create("app.bsky.feed.post", Some("not-a-tid"), post("x")).await,
        400,
        "InvalidRequest",
    );
    // A $type that is not the collection, a record that is not an object, a bad collection.
    assert_error(
        create(
            "com.example.note",
            None,
            json!({"$type": "com.example.other", "n": 1}),
        )
        .await,
        400,
        "InvalidRequest",
    );
    assert_error(
        create("com.example.note", None, json!([1, 2])).await,
        400,
        "InvalidRequest",
    );
    assert_error(
        create("not an nsid", None, json!({"n": 1})).await,
        400,
        "InvalidRequest",
    );
    // Floats are not in the data model.
    assert_error(
        create("com.example.note", None, json!({"n": 1.5})).await,
        400,
        "InvalidRequest",
    );
    // Over the 1 MiB record limit (but under the request body limit).
    assert_error(
        create(
            "com.example.note",
            None,
            json!({"text": "x".repeat(1024 * 1024 + 10)}),
        )
        .await,
        400,
        "InvalidRequest",
    );
    assert_eq!(latest_commit(&c, &alice.did).await, head);
}

#[tokio::test]
async fn writing_to_another_accounts_repo_is_refused() {
    let (_dir, _pds, c) = start().await;
    let alice = c.create_account("alice").await;
    let bob = c.create_account("bob").await;
    let head = latest_commit(&c, &bob.did).await;
    let calls = [
        (
            "com.atproto.repo.createRecord",
            json!({"repo": bob.did, "collection": "com.example.note", "record": {"n": 1}}),
        ),
        (
            "com.atproto.repo.putRecord",
            json!({"repo": "bob.test", "collection": "com.example.note", "rkey": "a", "record": {"n": 1}}),
        ),
        (
            "com.atproto.repo.deleteRecord",
            json!({"repo": bob.did, "collection": "com.example.note", "rkey": "a"}),
        ),
        (
            "com.atproto.repo.applyWrites",
            json!({"repo": bob.did, "writes": [
                {"$type": "com.atproto.repo.applyWrites#create", "collection": "com.example.note", "value": {"n": 1}},
            ]}),
        ),
    ];
    for (nsid, input) in calls {
        let (status, body) = c.post(nsid, Some(&alice), input.clone()).await;
        assert_eq!(status, 401, "{nsid} as alice: {body}");
        let (status, body) = c.post(nsid, None, input).await;
        assert_eq!(status, 401, "{nsid} without auth: {body}");
    }
    assert_eq!(latest_commit(&c, &bob.did).await, head);
}

#[tokio::test]
async fn list_records_pages_with_limit_cursor_and_reverse() {
    let (_dir, _pds, c) = start().await;
    let alice = c.create_account("alice").await;
    for i in 1..=7 {
        c.create_record(
            &alice,
            "com.example.note",
            Some(&format!("r{i}")),
            json!({"i": i}),
        )
        .await;
    }
    c.create_record(&alice, "com.example.other", Some("o"), json!({}))
        .await;
    let list = |cursor: Option<String>, reverse: bool| {
        let c = c.clone();
        let did = alice.did.clone();
        async move {
            let mut q = vec![
                ("repo", did),
                ("collection", "com.example.note".to_string()),
                ("limit", "3".to_string()),
            ];
            if let Some(cur) = cursor {
                q.push(("cursor", cur));
            }
            if reverse {
                q.push(("reverse", "true".to_string()));
            }
            let q: Vec<(&str, &str)> = q.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let (status, body) = c.get("com.atproto.repo.listRecords", &q).await;
            assert_eq!(status, 200, "{body}");
            let keys: Vec<String> = body["records"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| {
                    r["uri"]
                        .as_str()
                        .unwrap()
                        .rsplit('/')
                        .next()
                        .unwrap()
                        .to_string()
                })
                .collect();
            (keys, body["cursor"].as_str().map(str::to_string))
        }
    };
    let mut all = Vec::new();
    let mut cursor = None;
    loop {
        let (keys, next) = list(cursor, false).await;
        assert!(keys.len() <= 3);
        all.extend(keys);
        match next {
            Some(n) => cursor = Some(n),
            None => break,
        }
    }
    assert_eq!(all, ["r7", "r6", "r5", "r4", "r3", "r2", "r1"]);
    let (keys, next) = list(None, true).await;
    assert_eq!(keys, ["r1", "r2", "r3"]);
    let (keys, _) = list(next, true).await;
    assert_eq!(keys, ["r4", "r5", "r6"]);

    // Records carry uri, cid and value.
    let (_, body) = c
        .get(
            "com.atproto.repo.listRecords",
            &[("repo", &alice.did), ("collection", "com.example.other")],
        )
        .await;
    let r = &body["records"][0];
    assert_eq!(r["uri"], format!("at://{}/com.example.other/o", alice.did));
    assert!(r["cid"].is_string());
    assert_eq!(r["value"], json!({"$type": "com.example.other"}));
}

#[tokio::test]
async fn describe_repo_names_the_handle_collections_and_did_document() {
    let (_dir, _pds, c) = start().await;
    let alice = c.create_account("alice").await;
    c.create_record(&alice, "com.example.note", None, json!({}))
        .await;
    c.create_record(&alice, "app.bsky.feed.post", None, post("x"))
        .await;
    for repo in [alice.did.as_str(), "alice.test"] {
        let (status, d) = c
            .get("com.atproto.repo.describeRepo", &[("repo", repo)])
            .await;
        assert_eq!(status, 200, "{d}");
        assert_eq!(d["did"], alice.did);
        assert_eq!(d["handle"], "alice.test");
        assert_eq!(d["handleIsCorrect"], true);
        assert_eq!(d["didDoc"]["id"], alice.did);
        assert_eq!(
            d["collections"],
            json!(["app.bsky.feed.post", "com.example.note"])
        );
    }
    let (status, _) = c
        .get("com.atproto.repo.describeRepo", &[("repo", "nobody.test")])
        .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn sync_reads_serve_commits_repos_proofs_and_blocks() {
    let (_dir, _pds, c) = start().await;
    let alice = c.create_account("alice").await;
    let bob = c.create_account("bob").await;
    let a1 = c
        .create_record(&alice, "com.example.note", Some("a1"), json!({"n": 1}))
        .await;
    let middle = latest_commit(&c, &alice.did).await;
    let a2 = c
        .create_record(&alice, "com.example.note", Some("a2"), json!({"n": 2}))
        .await;
    let key = c.signing_key(&alice.did).await;

    // getLatestCommit is the last write's commit.
    let head = latest_commit(&c, &alice.did).await;
    assert_eq!(head["cid"], a2["commit"]["cid"]);
    assert_eq!(head["rev"], a2["commit"]["rev"]);

    // getRepo: the whole repository, verified.
    let (status, car) = c
        .get_bytes("com.atproto.sync.getRepo", &[("did", &alice.did)])
        .await;
    assert_eq!(status, 200);
    let (commit, records) = verify_repo_car(&car, &alice.did, &key);
    assert_eq!(commit.rev.as_str(), head["rev"]);
    let want: Vec<(String, String)> = [("a1", &a1), ("a2", &a2)]
        .iter()
        .map(|(k, r)| {
            (
                format!("com.example.note/{k}"),
                r["cid"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let got: Vec<(String, String)> = records
        .iter()
        .map(|(k, v)| (k.clone(), v.to_string()))
        .collect();
    assert_eq!(got, want);

    // getRepo since a revision: only what changed after it (the new commit, nodes, record).
    let (status, diff) = c
        .get_bytes(
            "com.atproto.sync.getRepo",
            &[
                ("did", &alice.did),
                ("since", middle["rev"].as_str().unwrap()),
            ],
        )
        .await;
    assert_eq!(status, 200);
    let (roots, blocks) = atproto::car::read_car(&diff).unwrap();
    assert_eq!(roots[0].to_string(), head["cid"]);
    let cids: Vec<String> = blocks.iter().map(|(c, _)| c.to_string()).collect();
    assert!(cids.contains(&a2["cid"].as_str().unwrap().to_string()));
    assert!(!cids.contains(&a1["cid"].as_str().unwrap().to_string()));
    assert!(blocks.len() < atproto::car::read_car(&car).unwrap().1.len());

    // getRecord: a proof CAR with the commit and the record.
    let (status, proof) = c
        .get_bytes(
            "com.atproto.sync.getRecord",
            &[
                ("did", &alice.did),
                ("collection", "com.example.note"),
                ("rkey", "a1"),
            ],
        )
        .await;
    assert_eq!(status, 200);
    let (roots, blocks) = atproto::car::read_car(&proof).unwrap();
    assert_eq!(roots[0].to_string(), head["cid"]);
    assert!(blocks.iter().any(|(c, _)| c.to_string() == a1["cid"]));

    // getBlocks: known blocks; one unknown block is BlockNotFound.
    let a1_cid = a1["cid"].as_str().unwrap();
    let head_cid = head["cid"].as_str().unwrap();
    let (status, got) = c
        .get_bytes(
            "com.atproto.sync.getBlocks",
            &[("did", &alice.did), ("cids", a1_cid), ("cids", head_cid)],
        )
        .await;
    assert_eq!(status, 200);
    let (_, blocks) = atproto::car::read_car(&got).unwrap();
    let mut cids: Vec<String> = blocks.iter().map(|(c, _)| c.to_string()).collect();
    cids.sort();
    let mut want = vec![a1_cid.to_string(), head_cid.to_string()];
    want.sort();
    assert_eq!(cids, want);
    // Bob's blocks are not Alice's.
    let bob_head = latest_commit(&c, &bob.did).await;
    assert_error(
        c.get(
            "com.atproto.sync.getBlocks",
            &[
                ("did", &alice.did),
                ("cids", bob_head["cid"].as_str().unwrap()),
            ],
        )
        .await,
        400,
        "BlockNotFound",
    );

    // listRepos: both, in pages.
    let (status, page1) = c.get("com.atproto.sync.listRepos", &[("limit", "1")]).await;
    assert_eq!(status, 200, "{page1}");
    let cursor = page1["cursor"].as_str().unwrap();
    let (_, page2) = c
        .get(
            "com.atproto.sync.listRepos",
            &[("limit", "1"), ("cursor", cursor)],
        )
        .await;
    let mut repos: Vec<Value> = page1["repos"]
        .as_array()
        .unwrap()
        .iter()
        .chain(page2["repos"].as_array().unwrap())
        .cloned()
        .collect();
    repos.sort_by(|a, b| a["did"].as_str().cmp(&b["did"].as_str()));
    let mut dids = vec![alice.did.clone(), bob.did.clone()];
    dids.sort();
    assert_eq!(
        repos
            .iter()
            .map(|r| r["did"].as_str().unwrap())
            .collect::<Vec<_>>(),
        dids
    );
    let alice_listed = repos.iter().find(|r| r["did"] == alice.did).unwrap();
    assert_eq!(alice_listed["head"], head["cid"]);
    assert_eq!(alice_listed["rev"], head["rev"]);
    assert_eq!(alice_listed["active"], true);

    // getRepoStatus.
    let (status, st) = c
        .get("com.atproto.sync.getRepoStatus", &[("did", &alice.did)])
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        st,
        json!({"did": alice.did, "active": true, "rev": head["rev"]})
    );
}

#[tokio::test]
async fn sync_reads_of_an_unknown_repo_are_repo_not_found() {
    let (_dir, _pds, c) = start().await;
    let alice = c.create_account("alice").await;
    let head = latest_commit(&c, &alice.did).await;
    let nobody = "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa";
    let cid = head["cid"].as_str().unwrap();
    let calls: [(&str, Vec<(&str, &str)>); 5] = [
        ("com.atproto.sync.getRepo", vec![("did", nobody)]),
        ("com.atproto.sync.getLatestCommit", vec![("did", nobody)]),
        (
            "com.atproto.sync.getRecord",
            vec![
                ("did", nobody),
                ("collection", "com.example.note"),
                ("rkey", "a"),
            ],
        ),
        (
            "com.atproto.sync.getBlocks",
            vec![("did", nobody), ("cids", cid)],
        ),
        ("com.atproto.sync.getRepoStatus", vec![("did", nobody)]),
    ];
    for (nsid, query) in calls {
        let got = c.get(nsid, &query).await;
        assert_eq!(
            (got.0, got.1["error"].as_str()),
            (400, Some("RepoNotFound")),
            "{nsid}: {}",
            got.1
        );
    }
    // A record that is not there: the proof of its absence, not an error (as the reference).
    let (status, proof) = c
        .get_bytes(
            "com.atproto.sync.getRecord",
            &[
                ("did", &alice.did),
                ("collection", "com.example.note"),
                ("rkey", "none"),
            ],
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        atproto::car::read_car(&proof).unwrap().0[0].to_string(),
        head["cid"]
    );
    // A malformed DID.
    let (status, _) = c
        .get("com.atproto.sync.getLatestCommit", &[("did", "alice")])
        .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn sync_reads_of_a_deactivated_repo_are_repo_deactivated() {
    let (_dir, _pds, c) = start().await;
    let alice = c.create_account("alice").await;
    let rec = c
        .create_record(&alice, "com.example.note", Some("a"), json!({"n": 1}))
        .await;
    let (status, body) = c
        .post(
            "com.atproto.server.deactivateAccount",
            Some(&alice),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    let cid = rec["cid"].as_str().unwrap();
    let calls: [(&str, Vec<(&str, &str)>); 4] = [
        ("com.atproto.sync.getRepo", vec![("did", &alice.did)]),
        (
            "com.atproto.sync.getLatestCommit",
            vec![("did", &alice.did)],
        ),
        (
            "com.atproto.sync.getRecord",
            vec![
                ("did", &alice.did),
                ("collection", "com.example.note"),
                ("rkey", "a"),
            ],
        ),
        (
            "com.atproto.sync.getBlocks",
            vec![("did", &alice.did), ("cids", cid)],
        ),
    ];
    for (nsid, query) in calls {
        let got = c.get(nsid, &query).await;
        assert_eq!(
            (got.0, got.1["error"].as_str()),
            (400, Some("RepoDeactivated")),
            "{nsid}: {}",
            got.1
        );
    }
    let (status, st) = c
        .get("com.atproto.sync.getRepoStatus", &[("did", &alice.did)])
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        st,
        json!({"did": alice.did, "active": false, "status": "deactivated"})
    );
    let (_, list) = c.get("com.atproto.sync.listRepos", &[]).await;
    assert_eq!(list["repos"][0]["active"], false);
    assert_eq!(list["repos"][0]["status"], "deactivated");

    // Reactivated, it is served again.
    let (status, body) = c
        .post(
            "com.atproto.server.activateAccount",
            Some(&alice),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = c
        .get_bytes("com.atproto.sync.getRepo", &[("did", &alice.did)])
        .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn the_official_client_verifies_a_repo_of_hundreds_of_records_and_its_proofs() {
    let (dir, pds, c) = start().await;
    let alice = c.create_account("alice").await;
    let bob = c.create_account("bob").await;
    // path -> (cid, value)
    let mut expect: BTreeMap<String, (String, Value)> = BTreeMap::new();

    // 300 records in two applyWrites batches, 20 posts one by one, some in Bob's repo.
    for batch in 0..2 {
        let values: Vec<Value> = (0..150)
            .map(|i| json!({"i": batch * 150 + i, "text": format!("item {}", batch * 150 + i)}))
            .collect();
        let writes: Vec<Value> = values
            .iter()
            .enumerate()
            .map(|(i, v)| json!({"$type": "com.atproto.repo.applyWrites#create", "collection": "com.example.item", "rkey": format!("item{:04}", batch * 150 + i), "value": v}))
            .collect();
        let (status, out) = c
            .post(
                "com.atproto.repo.applyWrites",
                Some(&alice),
                json!({"repo": alice.did, "writes": writes}),
            )
            .await;
        assert_eq!(status, 200, "{out}");
        for (i, (r, v)) in out["results"]
            .as_array()
            .unwrap()
            .iter()
            .zip(values)
            .enumerate()
        {
            let mut v = v;
            v["$type"] = "com.example.item".into();
            expect.insert(
                format!("com.example.item/item{:04}", batch * 150 + i),
                (r["cid"].as_str().unwrap().to_string(), v),
            );
        }
    }
    for i in 0..20 {
        let value = post(&format!("post {i}"));
        let out = c
            .create_record(&alice, "app.bsky.feed.post", None, value.clone())
            .await;
        let rkey = out["uri"].as_str().unwrap().rsplit('/').next().unwrap();
        expect.insert(
            format!("app.bsky.feed.post/{rkey}"),
            (out["cid"].as_str().unwrap().to_string(), value),
        );
        c.create_record(&bob, "app.bsky.feed.post", None, post("bob"))
            .await;
    }

    // Update 50 and delete 50, in one batch.
    let mut writes = Vec::new();
    for i in 0..50 {
        let rkey = format!("item{:04}", i * 3);
        writes.push(json!({"$type": "com.atproto.repo.applyWrites#update", "collection": "com.example.item", "rkey": rkey, "value": {"i": i * 3, "text": "updated"}}));
        let rkey = format!("item{:04}", i * 3 + 1);
        writes.push(json!({"$type": "com.atproto.repo.applyWrites#delete", "collection": "com.example.item", "rkey": rkey}));
    }
    let (status, out) = c
        .post(
            "com.atproto.repo.applyWrites",
            Some(&alice),
            json!({"repo": alice.did, "writes": writes}),
        )
        .await;
    assert_eq!(status, 200, "{out}");
    for (i, r) in out["results"].as_array().unwrap().iter().enumerate() {
        let n = (i / 2) * 3;
        if i % 2 == 0 {
            expect.insert(
                format!("com.example.item/item{n:04}"),
                (
                    r["cid"].as_str().unwrap().to_string(),
                    json!({"$type": "com.example.item", "i": n, "text": "updated"}),
                ),
            );
        } else {
            expect.remove(&format!("com.example.item/item{:04}", n + 1));
        }
    }
    assert_eq!(expect.len(), 270);

    let records: serde_json::Map<String, Value> = expect
        .iter()
        .map(|(k, (cid, value))| (k.clone(), json!({"cid": cid, "value": value})))
        .collect();
    let expect_file = dir.path().join("expect.json");
    std::fs::write(
        &expect_file,
        json!({"count": expect.len(), "records": records}).to_string(),
    )
    .unwrap();
    // Present (updated, untouched, a post), deleted, and never created.
    let post_path = expect.keys().find(|k| k.starts_with("app.bsky")).unwrap();
    let proofs = json!([
        "com.example.item/item0000",
        "com.example.item/item0002",
        post_path,
        "com.example.item/item0298",
        "com.example.item/item0001",
        "com.example.item/item0148",
        "com.example.item/nothing",
        "com.example.none/x",
    ]);
    let result = run_js(
        "repo-verify.mjs",
        &[
            ("PDS_URL", &pds.url()),
            ("DID", &alice.did),
            ("EXPECT_FILE", expect_file.to_str().unwrap()),
            ("PROOFS", &proofs.to_string()),
        ],
    );
    assert_eq!(result["ok"], true, "{result}");
    assert_eq!(result["records"], 270);
    assert_eq!(
        result["collections"],
        json!({"app.bsky.feed.post": 20, "com.example.item": 250})
    );
    assert_eq!(result["proofs"], json!({"present": 4, "absent": 4}));
    assert_eq!(result["rev"], latest_commit(&c, &alice.did).await["rev"]);

    // The verifier notices a wrong expectation (it is not a rubber stamp).
    let result = run_js(
        "repo-verify.mjs",
        &[
            ("PDS_URL", &pds.url()),
            ("DID", &bob.did),
            ("EXPECT", r#"{"count": 21}"#),
        ],
    );
    assert_eq!(
        (&result["ok"], &result["step"]),
        (&json!(false), &json!("records")),
        "{result}"
    );
}
