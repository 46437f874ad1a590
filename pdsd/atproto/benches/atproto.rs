//! Single-threaded benchmarks of the repository write and export paths: MST building and
//! single inserts, commit signing and verification, CAR writing and reading, and the
//! JSON <-> DAG-CBOR conversion of a typical post.
//!
//! Run with `cargo bench -p atproto`; pass a filter (`cargo bench -p atproto -- car_`) to run a
//! subset. The 100k benches use 10 samples each so a full run stays short.

use std::hint::black_box;
use std::sync::OnceLock;
use std::time::Duration;

use atproto::Value;
use atproto::blockstore::MemoryBlockStore;
use atproto::car::{CarReader, CarWriter, read_car, write_car};
use atproto::cbor::Map;
use atproto::cid::{Cid, sha256};
use atproto::commit::{Commit, UnsignedCommit};
use atproto::crypto::{KeyType, PublicKey, SigningKey};
use atproto::json::{record_from_json, write_json};
use atproto::mst::Mst;
use atproto::syntax::{Did, Tid};
use criterion::{
    BatchSize, BenchmarkGroup, Criterion, SamplingMode, Throughput, criterion_group,
    criterion_main, measurement::WallTime,
};

const RECORDS: usize = 100_000;
const COLLECTION: &str = "app.bsky.feed.post";
const DID: &str = "did:plc:ab7cd3ef5gh2ij4kl6mn7op2";
/// 2023-11-14, microseconds since the epoch: where the synthetic TIDs start.
const START_MICROS: u64 = 1_700_000_000_000_000;
const CLOCK_ID: u16 = 21;

// ---------------------------------------------------------------------------------------------
// Fixtures

/// A small deterministic PRNG (splitmix64), so every run builds the same repository.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const WORDS: &[&str] = &[
    "the",
    "protocol",
    "repo",
    "merkle",
    "tree",
    "post",
    "record",
    "signing",
    "key",
    "commit",
    "firehose",
    "relay",
    "appview",
    "feed",
    "like",
    "follow",
    "handle",
    "did",
    "lexicon",
    "blob",
    "today",
    "really",
    "interesting",
    "thread",
    "about",
    "federation",
    "and",
    "with",
    "some",
    "coffee",
    "weather",
    "music",
    "photo",
    "running",
    "garden",
    "weekend",
    "news",
    "🦋",
    "café",
];

fn post_key(micros: u64) -> String {
    format!(
        "{COLLECTION}/{}",
        Tid::from_parts(micros, CLOCK_ID).as_str()
    )
}

/// A ~300-byte `app.bsky.feed.post` record block (DAG-CBOR) with some varied text.
fn record_block(rng: &mut Rng, micros: u64) -> (Cid, Vec<u8>) {
    let mut text = String::new();
    while text.len() < 200 {
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(WORDS[rng.below(WORDS.len() as u64) as usize]);
    }
    let secs = micros / 1_000_000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let created_at = format!(
        "2023-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        11 + (days / 28) % 2,
        1 + days % 28,
        rem / 3600,
        rem / 60 % 60,
        rem % 60,
        micros / 1000 % 1000
    );
    let mut map = Map::new();
    map.insert("$type".into(), Value::String(COLLECTION.into()));
    map.insert("text".into(), Value::String(text));
    map.insert("createdAt".into(), Value::String(created_at));
    map.insert(
        "langs".into(),
        Value::Array(vec![Value::String("en".into())]),
    );
    let bytes = Value::Map(map).to_cbor();
    (Cid::for_dag_cbor(&bytes), bytes)
}

/// A 100k-record repository, built once and shared by the benches that need it.
struct Repo {
    /// MST keys in insertion (chronological) order.
    keys: Vec<String>,
    /// Record blocks, parallel to `keys`.
    records: Vec<(Cid, Vec<u8>)>,
    /// Every MST node of the tree.
    mst_blocks: Vec<(Cid, Vec<u8>)>,
    /// The MST nodes in a block store, for `Mst::load`.
    store: MemoryBlockStore,
    root: Cid,
    commit_cid: Cid,
    commit_bytes: Vec<u8>,
    /// Microseconds after the newest key, for appending new keys.
    next_micros: u64,
    /// Keys that are not in the tree but fall between existing keys, spread over the range.
    middle_keys: Vec<String>,
    /// The whole repository as a CAR: commit, MST nodes, records.
    car: Vec<u8>,
}

fn signing_key() -> SigningKey {
    SigningKey::from_hex(
        KeyType::K256,
        "9085d2bef69286a6cbb51623c8fa258629945cd55ca705cc4e66700396894e0c",
    )
    .expect("valid k256 key")
}

fn repo() -> &'static Repo {
    static REPO: OnceLock<Repo> = OnceLock::new();
    REPO.get_or_init(build_repo)
}

fn build_repo() -> Repo {
    let mut rng = Rng(0x5eed);
    let mut micros = START_MICROS;
    let mut keys = Vec::with_capacity(RECORDS);
    let mut records = Vec::with_capacity(RECORDS);
    let mut middle_keys = Vec::new();
    for i in 0..RECORDS {
        // Gaps of 2 µs .. 1 min keep a free TID right after every key.
        micros += 2 + rng.below(60_000_000);
        keys.push(post_key(micros));
        records.push(record_block(&mut rng, micros));
        if i % (RECORDS / 64) == RECORDS / 128 {
            middle_keys.push(post_key(micros + 1));
        }
    }

    let store = MemoryBlockStore::new();
    let mut mst = Mst::new();
    for (key, (cid, _)) in keys.iter().zip(&records) {
        mst.insert(&store, key, *cid).expect("insert");
    }
    let changes = mst.take_changes();
    let root = changes.root;
    let mst_blocks = changes.new_blocks;
    let mut store = MemoryBlockStore::new();
    for (cid, bytes) in &mst_blocks {
        store.put(*cid, bytes.clone());
    }

    let commit = UnsignedCommit::new(
        Did::new(DID).expect("did"),
        root,
        Tid::from_parts(micros + 1, CLOCK_ID),
    )
    .sign(&signing_key());
    let (commit_cid, commit_bytes) = commit.to_block();

    let car = write_car(
        &[commit_cid],
        std::iter::once((&commit_cid, commit_bytes.as_slice()))
            .chain(mst_blocks.iter().map(|(c, b)| (c, b.as_slice())))
            .chain(records.iter().map(|(c, b)| (c, b.as_slice()))),
    );

    let record_bytes: usize = records.iter().map(|(_, b)| b.len()).sum();
    let node_bytes: usize = mst_blocks.iter().map(|(_, b)| b.len()).sum();
    eprintln!(
        "fixture: {RECORDS} records (avg {} B), {} MST nodes (avg {} B), CAR {:.1} MB",
        record_bytes / RECORDS,
        mst_blocks.len(),
        node_bytes / mst_blocks.len(),
        car.len() as f64 / 1e6
    );

    Repo {
        keys,
        records,
        mst_blocks,
        store,
        root,
        commit_cid,
        commit_bytes,
        next_micros: micros + 1_000_000,
        middle_keys,
        car,
    }
}

/// Settings for benches whose iterations take a good fraction of a second.
fn slow_group<'a>(c: &'a mut Criterion, name: &str) -> BenchmarkGroup<'a, WallTime> {
    let mut g = c.benchmark_group(name);
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(4));
    g
}

/// Settings for micro-benchmarks.
fn fast_group<'a>(c: &'a mut Criterion, name: &str) -> BenchmarkGroup<'a, WallTime> {
    let mut g = c.benchmark_group(name);
    g.sample_size(50)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    g
}

// ---------------------------------------------------------------------------------------------
// MST

fn bench_mst(c: &mut Criterion) {
    // The fixture is built on first use inside a bench closure, so a filtered run that skips
    // every 100k bench never builds it.
    let mut g = slow_group(c, "mst_build_100k");
    g.throughput(Throughput::Elements(RECORDS as u64));
    g.bench_function("insert_all+take_changes", |b| {
        let repo = repo();
        // The finished tree and its blocks are dropped outside the timed region.
        b.iter_with_large_drop(|| {
            let store = MemoryBlockStore::new();
            let mut mst = Mst::new();
            for (key, (cid, _)) in repo.keys.iter().zip(&repo.records) {
                mst.insert(&store, key, *cid).unwrap();
            }
            let changes = mst.take_changes();
            assert_eq!(changes.root, repo.root);
            (mst, changes)
        })
    });
    g.bench_function("insert_all_only", |b| {
        let repo = repo();
        b.iter_with_large_drop(|| {
            let store = MemoryBlockStore::new();
            let mut mst = Mst::new();
            for (key, (cid, _)) in repo.keys.iter().zip(&repo.records) {
                mst.insert(&store, key, *cid).unwrap();
            }
            mst
        })
    });
    g.finish();

    let mut g = fast_group(c, "mst_insert_one_into_100k");
    g.bench_function("cold_append", |b| {
        let repo = repo();
        let value = repo.records[0].0;
        let key = post_key(repo.next_micros);
        b.iter(|| {
            let mut mst = Mst::load(&repo.store, repo.root).unwrap();
            mst.insert(&repo.store, &key, value).unwrap();
            mst.take_changes()
        })
    });
    g.bench_function("cold_middle", |b| {
        let repo = repo();
        let value = repo.records[0].0;
        let mut i = 0;
        b.iter(|| {
            let key = &repo.middle_keys[i % repo.middle_keys.len()];
            i += 1;
            let mut mst = Mst::load(&repo.store, repo.root).unwrap();
            mst.insert(&repo.store, key, value).unwrap();
            mst.take_changes()
        })
    });
    g.bench_function("cold_load_only", |b| {
        let repo = repo();
        b.iter(|| Mst::load(&repo.store, repo.root).unwrap())
    });
    // A tree kept in memory across writes: after the first append the right spine stays
    // loaded, so each further append only re-encodes the changed path. Every iteration adds
    // a new, newer key (the tree grows by the number of iterations, a few percent).
    g.bench_function("warm_append", |b| {
        let repo = repo();
        let value = repo.records[0].0;
        let mut warm = Mst::load(&repo.store, repo.root).unwrap();
        let mut micros = repo.next_micros;
        warm.insert(&repo.store, &post_key(micros), value).unwrap();
        warm.take_changes();
        b.iter_batched(
            || {
                micros += 1_000;
                post_key(micros)
            },
            |key| {
                warm.insert(&repo.store, &key, value).unwrap();
                warm.take_changes()
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

// ---------------------------------------------------------------------------------------------
// Commits

fn bench_commit(c: &mut Criterion) {
    let key = signing_key();
    let public: PublicKey = key.public_key();
    let did = Did::new(DID).unwrap();
    let data = Cid::for_dag_cbor(b"\xa0");
    let rev = Tid::from_parts(START_MICROS, CLOCK_ID);
    let unsigned = UnsignedCommit::new(did, data, rev);
    let msg = unsigned.encode();
    let commit: Commit = unsigned.clone().sign(&key);
    let raw_sig = key.sign(&msg);
    assert_eq!(raw_sig.as_slice(), commit.sig.as_slice());

    let mut g = fast_group(c, "commit_sign");
    g.bench_function("UnsignedCommit::sign", |b| {
        b.iter_batched(|| unsigned.clone(), |u| u.sign(&key), BatchSize::SmallInput)
    });
    g.bench_function(format!("raw_SigningKey::sign_{}B", msg.len()), |b| {
        b.iter(|| key.sign(black_box(&msg)))
    });
    g.finish();

    let mut g = fast_group(c, "commit_verify");
    g.bench_function("Commit::verify", |b| {
        b.iter(|| black_box(&commit).verify(&public).unwrap())
    });
    g.bench_function(format!("raw_PublicKey::verify_{}B", msg.len()), |b| {
        b.iter(|| public.verify(black_box(&msg), &raw_sig).unwrap())
    });
    g.bench_function("Commit::decode+verify", |b| {
        let bytes = commit.encode();
        b.iter(|| {
            Commit::decode(black_box(&bytes))
                .unwrap()
                .verify(&public)
                .unwrap()
        })
    });
    g.finish();
}

// ---------------------------------------------------------------------------------------------
// CAR

fn bench_car(c: &mut Criterion) {
    // Criterion needs the byte count before the group runs, so this builds the fixture even
    // when a filter skips the CAR benches; the groups are ordered so that the small benches
    // run first on a fresh heap.
    let repo = repo();
    let car_len = repo.car.len() as u64;
    let blocks = || {
        std::iter::once((&repo.commit_cid, repo.commit_bytes.as_slice()))
            .chain(repo.mst_blocks.iter().map(|(c, b)| (c, b.as_slice())))
            .chain(repo.records.iter().map(|(c, b)| (c, b.as_slice())))
    };

    let mut g = slow_group(c, "car_write_100k");
    g.throughput(Throughput::Bytes(car_len));
    g.bench_function("write_car", |b| {
        b.iter_with_large_drop(|| {
            let out = write_car(&[repo.commit_cid], blocks());
            assert_eq!(out.len() as u64, car_len);
            out
        })
    });
    g.bench_function("CarWriter<Vec>", |b| {
        b.iter_with_large_drop(|| {
            let mut w = CarWriter::new(Vec::new(), &[repo.commit_cid]).unwrap();
            for (cid, data) in blocks() {
                w.write_block(cid, data).unwrap();
            }
            w.finish().unwrap()
        })
    });
    g.finish();

    let mut g = slow_group(c, "car_read_100k");
    g.throughput(Throughput::Bytes(car_len));
    g.bench_function("read_car", |b| {
        b.iter_with_large_drop(|| {
            let (roots, blocks) = read_car(black_box(&repo.car)).unwrap();
            assert_eq!(blocks.len(), RECORDS + repo.mst_blocks.len() + 1);
            (roots, blocks)
        })
    });
    g.bench_function("CarReader::next_block_ref", |b| {
        b.iter(|| {
            let mut reader = CarReader::new(black_box(repo.car.as_slice())).unwrap();
            let mut n = 0usize;
            while let Some((cid, data)) = reader.next_block_ref().unwrap() {
                black_box((cid, data));
                n += 1;
            }
            n
        })
    });
    // The floor for a verifying reader: SHA-256 of every block's data, nothing else.
    g.bench_function("sha256_of_blocks_only", |b| {
        b.iter(|| {
            for (_, data) in blocks() {
                black_box(sha256(black_box(data)));
            }
        })
    });
    g.finish();
}

// ---------------------------------------------------------------------------------------------
// Records

fn post_json() -> String {
    let did = "did:plc:ewvi7nxzyoun6zhxrhs64oiz";
    let root_cid = Cid::for_dag_cbor(b"root post").to_string();
    let parent_cid = Cid::for_dag_cbor(b"parent post").to_string();
    let text = "Just shipped the new repo export path: streaming CAR writes, verified reads \
                and a faster MST. Details in the write-up https://example.com/blog/mst 🦋";
    let link = "https://example.com/blog/mst";
    let link_start = text.find(link).unwrap();
    serde_json::json!({
        "$type": "app.bsky.feed.post",
        "text": text,
        "createdAt": "2024-11-05T12:34:56.789Z",
        "langs": ["en"],
        "facets": [{
            "$type": "app.bsky.richtext.facet",
            "index": {"byteStart": link_start, "byteEnd": link_start + link.len()},
            "features": [{
                "$type": "app.bsky.richtext.facet#link",
                "uri": link
            }]
        }],
        "reply": {
            "root": {
                "uri": format!("at://{did}/app.bsky.feed.post/3l6oveex3ii2l"),
                "cid": root_cid
            },
            "parent": {
                "uri": format!("at://{did}/app.bsky.feed.post/3l6ovf7ksaq2x"),
                "cid": parent_cid
            }
        }
    })
    .to_string()
}

fn bench_post(c: &mut Criterion) {
    let text = post_json();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let value = record_from_json(&json).unwrap();
    let cbor = value.to_cbor();
    let mut round_trip = String::new();
    write_json(&Value::from_cbor(&cbor).unwrap(), &mut round_trip);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&round_trip).unwrap(),
        json
    );

    let mut g = fast_group(c, "post_encode");
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function("json_text->cbor", |b| {
        b.iter(|| {
            let json: serde_json::Value = serde_json::from_str(black_box(&text)).unwrap();
            record_from_json(&json).unwrap().to_cbor()
        })
    });
    g.bench_function("record_from_json+to_cbor", |b| {
        b.iter(|| record_from_json(black_box(&json)).unwrap().to_cbor())
    });
    g.bench_function("to_cbor_only", |b| b.iter(|| black_box(&value).to_cbor()));
    g.finish();

    let mut g = fast_group(c, "post_decode");
    g.throughput(Throughput::Bytes(cbor.len() as u64));
    g.bench_function("cbor->json_text", |b| {
        b.iter(|| {
            let v = Value::from_cbor(black_box(&cbor)).unwrap();
            let mut out = String::with_capacity(512);
            write_json(&v, &mut out);
            out
        })
    });
    g.bench_function("from_cbor_only", |b| {
        b.iter(|| Value::from_cbor(black_box(&cbor)).unwrap())
    });
    // What getRecord and listRecords do: JSON text straight from the stored bytes.
    let mut scratch = atproto::json::CborJsonScratch::default();
    g.bench_function("cbor->json_text_direct", |b| {
        b.iter(|| {
            let mut out = String::with_capacity(512);
            atproto::json::write_json_from_cbor(black_box(&cbor), &mut out, &mut scratch).unwrap();
            out
        })
    });
    g.finish();
}

criterion_group!(benches, bench_post, bench_commit, bench_mst, bench_car);
criterion_main!(benches);
