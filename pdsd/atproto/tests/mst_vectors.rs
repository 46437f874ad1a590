//! The official MST vectors (atproto-interop-tests `mst/` and `firehose/`) and the
//! mst-test-suite diff cases.
//!
//! All 16,384 mst-test-suite cases run on every `cargo test` (about 3 s in a debug build).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Read;
use std::path::PathBuf;

use atproto::Cid;
use atproto::blockstore::{BlockStore, MemoryBlockStore};
use atproto::mst::{self, Mst};
use serde_json::Value as Json;

fn vectors() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
}

fn read_json(rel: &str) -> Json {
    let path = vectors().join("interop").join(rel);
    serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap()
}

fn cid(s: &str) -> Cid {
    s.parse().unwrap_or_else(|e| panic!("bad CID {s}: {e}"))
}

fn cid_set(v: &Json) -> BTreeSet<Cid> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|c| cid(c.as_str().unwrap()))
        .collect()
}

#[test]
fn mst_key_heights_match_the_vectors() {
    for case in read_json("mst/key_heights.json").as_array().unwrap() {
        let key = case["key"].as_str().unwrap();
        let height = case["height"].as_u64().unwrap() as u32;
        assert_eq!(mst::key_layer(key), height, "key {key:?}");
    }
}

#[test]
fn mst_common_prefix_lengths_match_the_vectors() {
    for case in read_json("mst/common_prefix.json").as_array().unwrap() {
        let l = case["left"].as_str().unwrap();
        let r = case["right"].as_str().unwrap();
        let len = case["len"].as_u64().unwrap() as usize;
        assert_eq!(mst::common_prefix_len(l, r), len, "{l:?} vs {r:?}");
    }
}

#[test]
fn mst_example_keys_build_the_same_root_in_any_order() {
    let text = std::fs::read_to_string(vectors().join("interop/mst/example_keys.txt")).unwrap();
    let keys: Vec<&str> = text
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    assert_eq!(keys.len(), 156);
    let store = MemoryBlockStore::new();
    let value = Cid::for_dag_cbor(b"\xa0");
    let mut forward = Mst::new();
    for k in &keys {
        forward.insert(&store, k, value).unwrap();
    }
    let mut backward = Mst::new();
    for k in keys.iter().rev() {
        backward.insert(&store, k, value).unwrap();
    }
    assert_eq!(forward.root(), backward.root());
    assert_eq!(forward.entries(&store).unwrap().len(), 156);
}

#[test]
fn commit_proof_fixtures_give_the_expected_roots_and_proof_blocks() {
    for case in read_json("firehose/commit-proof-fixtures.json")
        .as_array()
        .unwrap()
    {
        let name = case["comment"].as_str().unwrap();
        let leaf = cid(case["leafValue"].as_str().unwrap());
        let mut store = MemoryBlockStore::new();
        let mut tree = Mst::new();
        for k in case["keys"].as_array().unwrap() {
            tree.insert(&store, k.as_str().unwrap(), leaf).unwrap();
        }
        let changes = tree.take_changes();
        assert_eq!(
            changes.root,
            cid(case["rootBeforeCommit"].as_str().unwrap()),
            "{name}: root before"
        );
        for (c, b) in changes.new_blocks {
            store.put(c, b);
        }
        // Start from the stored tree, as a server would.
        let mut tree = Mst::load(&store, changes.root).unwrap();
        let adds: Vec<&str> = case["adds"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k.as_str().unwrap())
            .collect();
        let dels: Vec<&str> = case["dels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k.as_str().unwrap())
            .collect();
        for k in &adds {
            tree.insert(&store, k, leaf).unwrap();
        }
        for k in &dels {
            assert!(tree.remove(&store, k).unwrap().is_some(), "{name}: del {k}");
        }
        let changes = tree.take_changes();
        assert_eq!(
            changes.root,
            cid(case["rootAfterCommit"].as_str().unwrap()),
            "{name}: root after"
        );
        for (c, b) in changes.new_blocks {
            store.put(c, b);
        }
        let mut proof = BTreeSet::new();
        for k in adds.iter().chain(&dels) {
            proof.extend(tree.covering_proof(&store, k).unwrap());
        }
        assert_eq!(
            proof,
            cid_set(&case["blocksInProof"]),
            "{name}: proof blocks"
        );
        // The same proof with the nodes' bytes, as the write path takes it.
        let mut with_bytes = BTreeMap::new();
        for k in adds.iter().chain(&dels) {
            tree.covering_proof_blocks(&store, k, &mut with_bytes)
                .unwrap();
        }
        assert_eq!(
            with_bytes.keys().copied().collect::<BTreeSet<_>>(),
            proof,
            "{name}: proof blocks with bytes"
        );
        for (c, b) in &with_bytes {
            assert_eq!(
                store.get_block(c).unwrap().as_deref(),
                Some(&b[..]),
                "{name}: {c}"
            );
        }
    }
}

/// The mst-test-suite archive, unpacked into memory: path -> bytes.
fn suite() -> HashMap<String, Vec<u8>> {
    let file = std::fs::File::open(vectors().join("mst-test-suite/mst-test-suite.tar.gz")).unwrap();
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut out = HashMap::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let path = entry.path().unwrap().to_string_lossy().into_owned();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        out.insert(path.trim_start_matches("./").to_string(), bytes);
    }
    out
}

fn load_car(files: &HashMap<String, Vec<u8>>, path: &str, store: &mut MemoryBlockStore) -> Cid {
    let bytes = &files[path.trim_start_matches("./")];
    let (roots, blocks) = atproto::car::read_car(bytes).unwrap();
    for (c, b) in blocks {
        store.put(c, b);
    }
    roots[0]
}

fn opt_cid(v: &Json) -> Option<Cid> {
    v.as_str().map(cid)
}

#[test]
fn mst_test_suite_diffs_proofs_and_replays_match() {
    let files = suite();
    let mut cases: Vec<&String> = files
        .keys()
        .filter(|p| p.starts_with("tests/") && p.ends_with(".json"))
        .collect();
    cases.sort();
    assert_eq!(cases.len(), 16_384, "the suite has 16,384 cases");
    let mut ran = 0;
    for path in &cases {
        ran += 1;
        let case: Json = serde_json::from_slice(&files[*path]).unwrap();
        assert_eq!(case["$type"], "mst-diff");
        let mut store = MemoryBlockStore::new();
        let a = load_car(
            &files,
            case["inputs"]["mst_a"].as_str().unwrap(),
            &mut store,
        );
        let b = load_car(
            &files,
            case["inputs"]["mst_b"].as_str().unwrap(),
            &mut store,
        );
        let results = &case["results"];

        // 1. The diff, computed from the two stored trees.
        let d = mst::diff(&store, Some(a), Some(b)).unwrap();
        assert_eq!(
            d.created_nodes,
            cid_set(&results["created_nodes"]),
            "{path}: created"
        );
        assert_eq!(
            d.deleted_nodes,
            cid_set(&results["deleted_nodes"]),
            "{path}: deleted"
        );
        let expected_ops: BTreeMap<String, (Option<Cid>, Option<Cid>)> = results["record_ops"]
            .as_array()
            .unwrap()
            .iter()
            .map(|op| {
                (
                    op["rpath"].as_str().unwrap().to_string(),
                    (opt_cid(&op["old_value"]), opt_cid(&op["new_value"])),
                )
            })
            .collect();
        assert_eq!(d.ops, expected_ops, "{path}: record ops");

        // 2. Replaying the ops on tree a gives tree b, with exactly the created and deleted
        //    nodes of the diff as the incremental changes.
        let mut tree = Mst::load(&store, a).unwrap();
        for (key, (_, new)) in &expected_ops {
            match new {
                Some(v) => {
                    tree.insert(&store, key, *v).unwrap();
                }
                None => {
                    tree.remove(&store, key).unwrap();
                }
            }
        }
        let changes = tree.take_changes();
        assert_eq!(changes.root, b, "{path}: replayed root");
        let created: BTreeSet<Cid> = changes.new_blocks.iter().map(|(c, _)| *c).collect();
        assert_eq!(created, d.created_nodes, "{path}: replay created");
        let removed: BTreeSet<Cid> = changes.removed.iter().copied().collect();
        assert_eq!(removed, d.deleted_nodes, "{path}: replay removed");

        // 3. Proofs in tree b: inclusion/exclusion paths, and the inversion proof.
        let mut proof = BTreeSet::new();
        for key in expected_ops.keys() {
            proof.extend(tree.key_proof(&store, key).unwrap());
        }
        let ops: Vec<mst::KeyOp> = expected_ops
            .iter()
            .map(|(k, (old, new))| (k.clone(), *old, *new))
            .collect();
        let (prev, inductive) = mst::invert_ops(&store, b, &ops).unwrap();
        assert_eq!(prev, a, "{path}: inverted ops give the old root");
        assert_eq!(
            proof,
            cid_set(&results["proof_nodes"]),
            "{path}: proof nodes"
        );
        assert_eq!(
            inductive,
            cid_set(&results["inductive_proof_nodes"]),
            "{path}: inductive proof nodes"
        );
    }
    assert_eq!(ran, 16_384);
    eprintln!("mst-test-suite: {ran} cases checked");
}
