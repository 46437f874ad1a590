//! `com.atproto.repo.importRepo` over HTTP against the real pdsd binary: a newer repository
//! built and signed with the `atproto` crate replaces the account's, and every kind of bad
//! CAR is refused with 400 and a clear message, leaving the repository as it was.

mod common;

use atproto::Cid;
use atproto::blockstore::MemoryBlockStore;
use atproto::car::{read_car, write_car};
use atproto::commit::{Commit, UnsignedCommit};
use atproto::crypto::{KeyType, SigningKey};
use atproto::mst::Mst;
use atproto::syntax::{Did, Tid};
use common::{Account, Pdsd, Xrpc, verify_repo_car};
use serde_json::json;

async fn start() -> (tempfile::TempDir, Pdsd, Xrpc) {
    let dir = tempfile::tempdir().unwrap();
    let pds = Pdsd::start(dir.path(), &["--invite-required", "false"]);
    let c = Xrpc::new(&pds);
    (dir, pds, c)
}

/// The account's repository signing key, as pdsd keeps it.
fn account_key(pds: &Pdsd, did: &str) -> SigningKey {
    let path = pdsd::store::actor::actor_dir(&pds.data, &Did::new(did).unwrap()).join("key");
    let hex = std::fs::read_to_string(path).unwrap();
    SigningKey::from_hex(KeyType::K256, hex.trim()).unwrap()
}

async fn get_repo(c: &Xrpc, did: &str) -> Vec<u8> {
    let (status, car) = c
        .get_bytes("com.atproto.sync.getRepo", &[("did", did)])
        .await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&car));
    car
}

async fn import(c: &Xrpc, account: &Account, car: Vec<u8>) -> (u16, serde_json::Value) {
    let resp = c
        .http
        .post(format!("{}/xrpc/com.atproto.repo.importRepo", c.base))
        .header("authorization", account.bearer())
        .header("content-type", "application/vnd.ipld.car")
        .body(car)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
    )
}

/// A repository: its commit and every block (records, MST nodes, commit), commit last.
struct Repo {
    commit: Commit,
    blocks: Vec<(Cid, Vec<u8>)>,
}

impl Repo {
    fn car(&self) -> Vec<u8> {
        let root = self.blocks.last().unwrap().0;
        write_car(&[root], self.blocks.iter().map(|(c, b)| (c, b.as_slice())))
    }
}

/// `car` (a getRepo export) with `records` added, committed at `rev` for `did` and signed with
/// `key`.
fn extend_repo(
    car: &[u8],
    did: &str,
    rev: Tid,
    key: &SigningKey,
    records: &[(&str, serde_json::Value)],
) -> Repo {
    let (roots, blocks) = read_car(car).unwrap();
    let mut store = MemoryBlockStore::new();
    for (cid, bytes) in &blocks {
        store.put(*cid, bytes.clone());
    }
    let old = Commit::decode(store.get(&roots[0]).unwrap()).unwrap();
    let mut mst = Mst::load(&store, old.data).unwrap();
    let mut out: Vec<(Cid, Vec<u8>)> = blocks.into_iter().filter(|(c, _)| *c != roots[0]).collect();
    for (path, value) in records {
        let (bytes, cid) = atproto::json::record_from_json(value)
            .unwrap()
            .to_cbor_with_cid();
        mst.insert(&store, path, cid).unwrap();
        out.push((cid, bytes));
    }
    let changes = mst.take_changes();
    out.extend(changes.new_blocks);
    let commit = UnsignedCommit::new(Did::new(did).unwrap(), changes.root, rev).sign(key);
    out.push(commit.to_block());
    Repo {
        commit,
        blocks: out,
    }
}

/// The bytes of a varint.
fn varint(mut v: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return out;
        }
        out.push(b | 0x80);
    }
}

#[tokio::test]
async fn import_repo_replaces_the_repository_and_refuses_bad_cars_without_changing_it() {
    let (_dir, pds, c) = start().await;
    let alice = c.create_account("alice").await;
    let bob = c.create_account("bob").await;
    for i in 0..5 {
        c.create_record(&alice, "com.example.note", None, json!({"i": i}))
            .await;
    }
    let public = c.signing_key(&alice.did).await;
    let key = account_key(&pds, &alice.did);
    assert_eq!(key.public_key(), public);

    // A newer repository: the export plus two records, signed with the account's key.
    let exported = get_repo(&c, &alice.did).await;
    let (old_commit, old_records) = verify_repo_car(&exported, &alice.did, &public);
    let newer = extend_repo(
        &exported,
        &alice.did,
        atproto::tid::next_tid(),
        &key,
        &[
            (
                "com.example.imported/3kaaaaaaaaaa2",
                json!({"$type": "com.example.imported", "n": 1}),
            ),
            (
                "com.example.imported/3kaaaaaaaaab2",
                json!({"$type": "com.example.imported", "n": 2}),
            ),
        ],
    );
    let (status, body) = import(&c, &alice, newer.car()).await;
    assert_eq!(status, 200, "{body}");
    let current = get_repo(&c, &alice.did).await;
    let (commit, records) = verify_repo_car(&current, &alice.did, &public);
    assert_eq!(
        commit.data, newer.commit.data,
        "the imported tree is served"
    );
    assert!(commit.rev > old_commit.rev);
    assert_eq!(records.len(), old_records.len() + 2);
    let (status, body) = c
        .get(
            "com.atproto.repo.getRecord",
            &[
                ("repo", &alice.did),
                ("collection", "com.example.imported"),
                ("rkey", "3kaaaaaaaaab2"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["value"]["n"], 2);

    // Each bad CAR: 400 InvalidRequest with a message saying what is wrong, nothing changed.
    let add = [(
        "com.example.imported/3kaaaaaaaaac2",
        json!({"$type": "com.example.imported", "n": 3}),
    )];
    let good = extend_repo(&current, &alice.did, atproto::tid::next_tid(), &key, &add);
    let good_car = good.car();

    let truncated = good_car[..good_car.len() / 2].to_vec();

    let mut tampered = good.blocks.clone();
    let (_, record_cid) = atproto::json::record_from_json(&add[0].1)
        .unwrap()
        .to_cbor_with_cid();
    let block = tampered.iter_mut().find(|(c, _)| *c == record_cid).unwrap();
    let last = block.1.len() - 1;
    block.1[last] ^= 1;
    let mismatched = Repo {
        commit: good.commit.clone(),
        blocks: tampered,
    }
    .car();

    let header_only = write_car(
        &[good.blocks.last().unwrap().0],
        std::iter::empty::<(&Cid, &[u8])>(),
    );
    let mut oversized_block = header_only.clone();
    oversized_block.extend(varint(1 << 40));
    oversized_block.extend(&good_car[header_only.len()..]);
    let mut oversized_header = varint(1 << 40);
    oversized_header.extend(&good_car);

    let stranger = SigningKey::generate(KeyType::K256);
    let wrong_key = extend_repo(
        &current,
        &alice.did,
        atproto::tid::next_tid(),
        &stranger,
        &add,
    )
    .car();

    let bob_car = get_repo(&c, &bob.did).await;
    let bob_key = account_key(&pds, &bob.did);
    let other_did = extend_repo(&bob_car, &bob.did, atproto::tid::next_tid(), &bob_key, &add).car();

    let older_rev = Tid::from_u64(old_commit.rev.as_u64() - (1 << 20));
    let older = extend_repo(&current, &alice.did, older_rev, &key, &add).car();

    let cases: [(&str, Vec<u8>, &str); 8] = [
        ("truncated", truncated, "ends in the middle"),
        (
            "block not matching its cid",
            mismatched,
            "does not hash to its cid",
        ),
        ("oversized block length", oversized_block, "over the limit"),
        (
            "oversized header length",
            oversized_header,
            "over the limit",
        ),
        ("signed by another key", wrong_key, "signature"),
        ("another did", other_did, &bob.did),
        ("older rev", older, "older"),
        (
            "not a car",
            b"{\"hello\": \"world\"}".to_vec(),
            "Invalid repository CAR",
        ),
    ];
    for (what, car, message) in cases {
        let (status, body) = import(&c, &alice, car).await;
        assert_eq!(status, 400, "{what}: {body}");
        assert_eq!(body["error"], "InvalidRequest", "{what}: {body}");
        let text = body["message"].as_str().unwrap_or_default();
        assert!(
            text.contains(message),
            "{what}: {text:?} should mention {message:?}"
        );
        assert_eq!(
            get_repo(&c, &alice.did).await,
            current,
            "{what}: the repository changed"
        );
    }
    verify_repo_car(&get_repo(&c, &alice.did).await, &alice.did, &public);

    // The good one still imports after all that.
    let (status, body) = import(&c, &alice, good_car).await;
    assert_eq!(status, 200, "{body}");
    let (commit, _) = verify_repo_car(&get_repo(&c, &alice.did).await, &alice.did, &public);
    assert_eq!(commit.data, good.commit.data);
}
