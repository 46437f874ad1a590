//! The `com.atproto.sync.subscribeRepos` firehose of the real pdsd binary: ordering, cursor
//! replay and hand-over to live events, errors, the frame format, and the official
//! `@atproto/sync` consumer verifying every commit.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use atproto::Cid;
use atproto::cbor::{Map, Value};
use common::{Account, Pdsd, Xrpc, next_frame, spawn_js, subscribe_repos};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(10);

async fn start() -> (tempfile::TempDir, Pdsd, Xrpc) {
    let dir = tempfile::tempdir().unwrap();
    let pds = Pdsd::start(dir.path(), &["--invite-required", "false"]);
    let c = Xrpc::new(&pds);
    (dir, pds, c)
}

/// A message frame: its `t` and body.
#[derive(Debug, Clone, PartialEq)]
struct Event {
    t: String,
    body: Map,
}

impl Event {
    fn seq(&self) -> i64 {
        self.body["seq"].as_integer().expect("seq is an integer")
    }

    fn str(&self, field: &str) -> Option<&str> {
        self.body.get(field).and_then(Value::as_str)
    }

    fn link(&self, field: &str) -> Option<Cid> {
        self.body.get(field).and_then(Value::as_link).copied()
    }

    /// The ops of a `#commit` as (action, path, cid, prev).
    fn ops(&self) -> Vec<(String, String, Option<Cid>, Option<Cid>)> {
        let Some(Value::Array(ops)) = self.body.get("ops") else {
            panic!("ops is an array: {self:?}")
        };
        ops.iter()
            .map(|op| {
                let m = op.as_map().unwrap();
                (
                    m["action"].as_str().unwrap().to_string(),
                    m["path"].as_str().unwrap().to_string(),
                    m.get("cid").and_then(Value::as_link).copied(),
                    m.get("prev").and_then(Value::as_link).copied(),
                )
            })
            .collect()
    }

    /// The `#commit`'s blocks, decoded and verified against their CIDs.
    fn blocks(&self) -> (Vec<Cid>, HashMap<Cid, Vec<u8>>) {
        let Some(Value::Bytes(car)) = self.body.get("blocks") else {
            panic!("blocks are bytes: {self:?}")
        };
        let (roots, blocks) = atproto::car::read_car(car).expect("blocks are a valid CAR");
        (roots, blocks.into_iter().collect())
    }

    fn commit_object(&self) -> atproto::commit::Commit {
        let (_, blocks) = self.blocks();
        let cid = self.link("commit").expect("commit is a link");
        atproto::commit::Commit::decode(&blocks[&cid]).expect("the commit block decodes")
    }
}

/// The next message frame; panics on an error frame or when nothing comes within `WAIT`.
async fn next_event(ws: &mut common::Firehose) -> Event {
    let (header, body) = next_frame(ws, WAIT).await.expect("a frame arrives");
    let header = header.as_map().unwrap();
    assert_eq!(header["op"], Value::Integer(1), "error frame: {body:?}");
    Event {
        t: header["t"].as_str().unwrap().to_string(),
        body: body.as_map().unwrap().clone(),
    }
}

/// Reads events until `commits` `#commit` events with ops arrived; returns every event read.
async fn read_commits(ws: &mut common::Firehose, commits: usize) -> Vec<Event> {
    let mut out = Vec::new();
    let mut seen = 0;
    while seen < commits {
        let e = next_event(ws).await;
        if e.t == "#commit" && !e.ops().is_empty() {
            seen += 1;
        }
        out.push(e);
    }
    out
}

#[track_caller]
fn assert_consecutive(events: &[Event], first: i64) {
    let seqs: Vec<i64> = events.iter().map(Event::seq).collect();
    let want: Vec<i64> = (first..first + seqs.len() as i64).collect();
    assert_eq!(seqs, want, "sequence numbers have a gap or a duplicate");
}

/// Per repository, each `#commit`'s `since` is the previous commit's `rev` and revs grow.
#[track_caller]
fn assert_chained(events: &[Event]) {
    let mut last: HashMap<String, String> = HashMap::new();
    for e in events.iter().filter(|e| e.t == "#commit") {
        let repo = e.str("repo").unwrap().to_string();
        let rev = e.str("rev").unwrap().to_string();
        if let Some(prev) = last.get(&repo) {
            assert_eq!(
                e.str("since"),
                Some(prev.as_str()),
                "since of seq {}",
                e.seq()
            );
            assert!(rev > *prev, "rev {rev} after {prev}");
        }
        last.insert(repo, rev);
    }
}

/// `n` createRecords in `account`'s repo, one after another; returns their URIs.
async fn write_many(c: Xrpc, account: Account, collection: &'static str, n: usize) -> Vec<String> {
    let mut uris = Vec::with_capacity(n);
    for i in 0..n {
        let out = c
            .create_record(&account, collection, None, json!({"i": i}))
            .await;
        uris.push(out["uri"].as_str().unwrap().to_string());
    }
    uris
}

fn created_uris(events: &[Event]) -> BTreeSet<String> {
    events
        .iter()
        .filter(|e| e.t == "#commit")
        .flat_map(|e| {
            let repo = e.str("repo").unwrap().to_string();
            e.ops()
                .into_iter()
                .filter(|op| op.0 == "create")
                .map(move |op| format!("at://{repo}/{}", op.1))
        })
        .collect()
}

#[tokio::test]
async fn live_events_arrive_in_seq_order_without_gaps_while_writing() {
    let (_dir, pds, c) = start().await;
    let alice = c.create_account("alice").await;
    let bob = c.create_account("bob").await;
    let mut ws = subscribe_repos(&pds.addr, None).await;
    // The subscription is live once the server has answered the upgrade; give its task a
    // moment to subscribe before the writes start.
    tokio::time::sleep(Duration::from_millis(100)).await;

    let writers = [
        tokio::spawn(write_many(c.clone(), alice.clone(), "com.example.a", 25)),
        tokio::spawn(write_many(c.clone(), bob.clone(), "com.example.b", 25)),
        tokio::spawn(write_many(c.clone(), alice.clone(), "com.example.c", 25)),
    ];
    let events = read_commits(&mut ws, 75).await;
    let mut acked = BTreeSet::new();
    for w in writers {
        acked.extend(w.await.unwrap());
    }

    assert_consecutive(&events, events[0].seq());
    assert_chained(&events);
    assert!(events.iter().all(|e| e.t == "#commit"));
    assert_eq!(created_uris(&events), acked);
    // Nothing more, and no duplicate, follows.
    assert!(
        next_frame(&mut ws, Duration::from_millis(300))
            .await
            .is_none()
    );
}

#[tokio::test]
async fn a_cursor_replays_the_log_then_hands_over_to_live_without_gap_or_duplicate() {
    let (_dir, pds, c) = start().await;
    let alice = c.create_account("alice").await;
    let bob = c.create_account("bob").await;
    let mut acked: BTreeSet<String> = write_many(c.clone(), alice.clone(), "com.example.a", 40)
        .await
        .into_iter()
        .collect();

    // Writers keep going while a consumer connects with an old cursor: the replay from the
    // log and the live stream meet somewhere in the middle of these writes.
    let writers = [
        tokio::spawn(write_many(c.clone(), alice.clone(), "com.example.b", 40)),
        tokio::spawn(write_many(c.clone(), bob.clone(), "com.example.c", 40)),
    ];
    tokio::time::sleep(Duration::from_millis(50)).await;
    let cursor = 3;
    let mut ws = subscribe_repos(&pds.addr, Some(cursor)).await;
    let events = read_commits(&mut ws, 120).await;
    for w in writers {
        acked.extend(w.await.unwrap());
    }
    assert_consecutive(&events, cursor + 1);
    assert_chained(&events);
    assert_eq!(created_uris(&events), acked);
    assert!(
        next_frame(&mut ws, Duration::from_millis(300))
            .await
            .is_none()
    );

    // A replay of the whole log from cursor 0 is the same events, frame for frame.
    let mut replay_ws = subscribe_repos(&pds.addr, Some(0)).await;
    let last = events.last().unwrap().seq();
    let mut replay = Vec::new();
    while replay.last().map(Event::seq) != Some(last) {
        replay.push(next_event(&mut replay_ws).await);
    }
    assert_consecutive(&replay, 1);
    assert_eq!(&replay[cursor as usize..], &events[..]);
    // The first events are the two accounts' creation.
    let kinds: Vec<&str> = replay[..8].iter().map(|e| e.t.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "#identity",
            "#account",
            "#commit",
            "#sync",
            "#identity",
            "#account",
            "#commit",
            "#sync"
        ]
    );
}

#[tokio::test]
async fn a_cursor_in_the_future_gets_a_future_cursor_error_frame() {
    let (_dir, pds, c) = start().await;
    let alice = c.create_account("alice").await;
    let mut ws = subscribe_repos(&pds.addr, Some(1000)).await;
    let (header, body) = next_frame(&mut ws, WAIT).await.expect("an error frame");
    assert_eq!(header.as_map().unwrap()["op"], Value::Integer(-1));
    assert!(!header.as_map().unwrap().contains_key("t"));
    let body = body.as_map().unwrap();
    assert_eq!(body["error"], Value::String("FutureCursor".into()));
    assert!(body["message"].as_str().is_some());
    // Then the server closes the stream.
    assert!(next_frame(&mut ws, WAIT).await.is_none());

    // The newest seq itself is not in the future: the stream goes on from there.
    let mut ws = subscribe_repos(&pds.addr, Some(4)).await;
    c.create_record(&alice, "com.example.note", None, json!({}))
        .await;
    let e = next_event(&mut ws).await;
    assert_eq!((e.t.as_str(), e.seq()), ("#commit", 5));
}

#[tokio::test]
async fn frames_carry_the_lexicon_fields_and_commits_carry_their_blocks() {
    let (_dir, pds, c) = start().await;
    let alice = c.create_account("alice").await;
    let key = c.signing_key(&alice.did).await;
    let a = c
        .create_record(&alice, "com.example.note", Some("a"), json!({"n": 1}))
        .await;
    let b = c
        .create_record(&alice, "com.example.note", Some("b"), json!({"n": 2}))
        .await;
    let (status, batch) = c
        .post(
            "com.atproto.repo.applyWrites",
            Some(&alice),
            json!({"repo": alice.did, "writes": [
                {"$type": "com.atproto.repo.applyWrites#create", "collection": "com.example.note", "rkey": "c", "value": {"n": 3}},
                {"$type": "com.atproto.repo.applyWrites#update", "collection": "com.example.note", "rkey": "a", "value": {"n": 10}},
                {"$type": "com.atproto.repo.applyWrites#delete", "collection": "com.example.note", "rkey": "b"},
            ]}),
        )
        .await;
    assert_eq!(status, 200, "{batch}");

    let mut ws = subscribe_repos(&pds.addr, Some(0)).await;
    let mut events = Vec::new();
    for _ in 0..7 {
        events.push(next_event(&mut ws).await);
    }
    assert_consecutive(&events, 1);
    let keys = |e: &Event| e.body.keys().cloned().collect::<BTreeSet<String>>();
    let set = |k: &[&str]| {
        k.iter()
            .map(|s| s.to_string())
            .collect::<BTreeSet<String>>()
    };
    for e in &events {
        let time = e.str("time").expect("time is a string");
        atproto::syntax::Datetime::new(time).expect("time is a datetime");
    }

    // Account creation: #identity, #account, the genesis #commit, #sync.
    let [identity, account, genesis, sync] = &events[..4] else {
        unreachable!()
    };
    assert_eq!(identity.t, "#identity");
    assert_eq!(keys(identity), set(&["seq", "did", "time", "handle"]));
    assert_eq!(identity.str("handle"), Some("alice.test"));
    assert_eq!(account.t, "#account");
    assert_eq!(keys(account), set(&["seq", "did", "time", "active"]));
    assert_eq!(account.body["active"], Value::Bool(true));
    assert_eq!(genesis.t, "#commit");
    assert_eq!(genesis.body["since"], Value::Null);
    assert!(genesis.ops().is_empty());
    assert_eq!(sync.t, "#sync");
    assert_eq!(keys(sync), set(&["seq", "did", "time", "rev", "blocks"]));
    assert_eq!(sync.str("rev"), genesis.str("rev"));

    // Every #commit: the lexicon's fields, a CAR whose first root is the signed commit.
    let commit_fields = set(&[
        "seq", "rebase", "tooBig", "repo", "commit", "rev", "since", "blocks", "ops", "blobs",
        "time", "prevData",
    ]);
    let commits: Vec<&Event> = events.iter().filter(|e| e.t == "#commit").collect();
    assert_eq!(commits.len(), 4);
    for (i, e) in commits.iter().enumerate() {
        let mut want = commit_fields.clone();
        if i == 0 {
            want.remove("prevData");
        }
        assert_eq!(keys(e), want, "fields of seq {}", e.seq());
        assert_eq!(e.body["rebase"], Value::Bool(false));
        assert_eq!(e.body["tooBig"], Value::Bool(false));
        assert_eq!(e.body["blobs"], Value::Array(vec![]));
        assert_eq!(e.str("repo"), Some(alice.did.as_str()));
        let (roots, blocks) = e.blocks();
        let commit_cid = e.link("commit").unwrap();
        assert_eq!(roots.first(), Some(&commit_cid));
        assert!(blocks.contains_key(&commit_cid));
        let commit = e.commit_object();
        commit.verify(&key).expect("the commit is signed");
        assert_eq!(commit.did.as_str(), alice.did);
        assert_eq!(Some(commit.rev.as_str()), e.str("rev"));
        atproto::syntax::Tid::new(e.str("rev").unwrap()).expect("rev is a TID");
        if i > 0 {
            // prevData is the previous commit's MST root; since its rev.
            let prev = commits[i - 1];
            assert_eq!(e.link("prevData"), Some(prev.commit_object().data));
            assert_eq!(e.str("since"), prev.str("rev"));
        }
    }

    // The ops, with cid and prev, as the lexicon's #repoOp.
    let note = |k: &str| format!("com.example.note/{k}");
    let cid = |v: &serde_json::Value| v.as_str().unwrap().parse::<Cid>().unwrap();
    assert_eq!(
        commits[1].ops(),
        [("create".into(), note("a"), Some(cid(&a["cid"])), None)]
    );
    assert_eq!(commits[1].link("commit"), Some(cid(&a["commit"]["cid"])));
    assert_eq!(
        commits[2].ops(),
        [("create".into(), note("b"), Some(cid(&b["cid"])), None)]
    );
    let last = commits[3];
    let results = batch["results"].as_array().unwrap();
    assert_eq!(
        last.ops(),
        [
            (
                "create".into(),
                note("c"),
                Some(cid(&results[0]["cid"])),
                None
            ),
            (
                "update".into(),
                note("a"),
                Some(cid(&results[1]["cid"])),
                Some(cid(&a["cid"]))
            ),
            ("delete".into(), note("b"), None, Some(cid(&b["cid"]))),
        ]
    );
    assert_eq!(last.link("commit"), Some(cid(&batch["commit"]["cid"])));
    assert_eq!(last.str("rev"), batch["commit"]["rev"].as_str());
    // The delete op's cid is present and null, as the lexicon's nullable field.
    let Some(Value::Array(ops)) = last.body.get("ops") else {
        unreachable!()
    };
    assert_eq!(ops[2].as_map().unwrap()["cid"], Value::Null);
    // The new records are in the blocks, with their values.
    let (_, blocks) = last.blocks();
    for r in &results[..2] {
        assert!(blocks.contains_key(&cid(&r["cid"])));
    }
    let c_value = Value::from_cbor(&blocks[&cid(&results[0]["cid"])]).unwrap();
    assert_eq!(
        atproto::json::to_json(&c_value),
        json!({"$type": "com.example.note", "n": 3})
    );
}

#[tokio::test]
async fn the_official_consumer_verifies_every_commit_in_order_while_writing() {
    let (_dir, pds, c) = start().await;
    let alice = c.create_account("alice").await;
    let bob = c.create_account("bob").await;
    // Alice: 20 creates, 5 updates, 5 deletes, one mixed batch; Bob: 20 creates; plus the two
    // genesis commits.
    let commits = 2 + 20 + 5 + 5 + 1 + 20;
    let consumer = spawn_js(
        "firehose-verify.mjs",
        &[
            ("PDS_URL", &pds.url()),
            ("CURSOR", "0"),
            ("COMMITS", &commits.to_string()),
            ("TIMEOUT_MS", "40000"),
        ],
    );
    consumer.wait_for_stderr("ready", Duration::from_secs(30));

    let bob_writer = tokio::spawn(write_many(c.clone(), bob.clone(), "app.example.b", 20));
    let mut rkeys = Vec::new();
    for i in 0..20 {
        let rkey = format!("r{i:02}");
        c.create_record(&alice, "com.example.a", Some(&rkey), json!({"i": i}))
            .await;
        rkeys.push(rkey);
    }
    for rkey in &rkeys[..5] {
        let (status, body) = c
            .post(
                "com.atproto.repo.putRecord",
                Some(&alice),
                json!({"repo": alice.did, "collection": "com.example.a", "rkey": rkey, "record": {"updated": true}}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
    for rkey in &rkeys[5..10] {
        let (status, body) = c
            .post(
                "com.atproto.repo.deleteRecord",
                Some(&alice),
                json!({"repo": alice.did, "collection": "com.example.a", "rkey": rkey}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
    let mut writes = Vec::new();
    for i in 0..10 {
        writes.push(json!({"$type": "com.atproto.repo.applyWrites#create", "collection": "com.example.z", "value": {"i": i}}));
    }
    for rkey in &rkeys[10..12] {
        writes.push(json!({"$type": "com.atproto.repo.applyWrites#update", "collection": "com.example.a", "rkey": rkey, "value": {"again": 1}}));
    }
    for rkey in &rkeys[12..14] {
        writes.push(json!({"$type": "com.atproto.repo.applyWrites#delete", "collection": "com.example.a", "rkey": rkey}));
    }
    let (status, body) = c
        .post(
            "com.atproto.repo.applyWrites",
            Some(&alice),
            json!({"repo": alice.did, "writes": writes}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    bob_writer.await.unwrap();

    let result = tokio::task::spawn_blocking(move || consumer.finish())
        .await
        .unwrap();
    assert_eq!(result["ok"], true, "{result}");
    assert_eq!(result["commits"], commits);
    let events = result["events"].as_array().unwrap();
    let seqs: Vec<i64> = events.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, (1..=seqs.len() as i64).collect::<Vec<_>>());
    let mut ops_by_action: BTreeMap<&str, usize> = BTreeMap::new();
    for e in events.iter().filter(|e| e["type"] == "commit") {
        assert_eq!(e["verified"], true, "{e}");
        for op in e["ops"].as_array().unwrap() {
            *ops_by_action
                .entry(op["action"].as_str().unwrap())
                .or_default() += 1;
        }
    }
    assert_eq!(
        ops_by_action,
        BTreeMap::from([("create", 50), ("update", 7), ("delete", 7)])
    );
}
