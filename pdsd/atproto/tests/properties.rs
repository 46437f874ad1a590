//! Property tests: MST shape independent of insertion order, DAG-CBOR and CAR round trips, and
//! decoders that never panic on arbitrary bytes.

use atproto::blockstore::MemoryBlockStore;
use atproto::car::{read_car, write_car};
use atproto::cbor::Map;
use atproto::commit::Commit;
use atproto::mst::Mst;
use atproto::{Cid, Value};
use proptest::prelude::*;

fn arb_key() -> impl Strategy<Value = String> {
    ("[a-z]{1,3}(\\.[a-z]{1,4}){1,2}", "[a-zA-Z0-9._:~-]{1,15}")
        .prop_map(|(c, r)| format!("{c}/{r}"))
}

fn arb_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::Integer),
        ".{0,20}".prop_map(Value::String),
        proptest::collection::vec(any::<u8>(), 0..20).prop_map(Value::Bytes),
        proptest::collection::vec(any::<u8>(), 0..8).prop_map(|b| Value::Link(Cid::for_raw(&b))),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            proptest::collection::btree_map(".{0,10}", inner, 0..8)
                .prop_map(|m| Value::Map(m.into_iter().collect::<Map>())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn mst_root_does_not_depend_on_insertion_order(
        keys in proptest::collection::btree_set(arb_key(), 0..200),
        seed in any::<u64>(),
    ) {
        let store = MemoryBlockStore::new();
        let value = Cid::for_dag_cbor(b"\xa0");
        let keys: Vec<String> = keys.into_iter().collect();
        let mut sorted = Mst::new();
        for k in &keys {
            sorted.insert(&store, k, value).unwrap();
        }
        // A seeded shuffle (Fisher-Yates with an LCG).
        let mut shuffled = keys.clone();
        let mut s = seed | 1;
        for i in (1..shuffled.len()).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            shuffled.swap(i, (s >> 33) as usize % (i + 1));
        }
        let mut other = Mst::new();
        for k in &shuffled {
            other.insert(&store, k, value).unwrap();
        }
        prop_assert_eq!(sorted.root(), other.root());
    }

    #[test]
    fn mst_deletes_give_the_tree_of_the_remaining_keys(
        keys in proptest::collection::btree_set(arb_key(), 1..150),
        drop_mask in any::<u64>(),
    ) {
        let mut store = MemoryBlockStore::new();
        let value = Cid::for_dag_cbor(b"\xa0");
        let keys: Vec<String> = keys.into_iter().collect();
        let mut full = Mst::new();
        for k in &keys {
            full.insert(&store, k, value).unwrap();
        }
        let changes = full.take_changes();
        for (c, b) in changes.new_blocks {
            store.put(c, b);
        }
        let mut pruned = Mst::load(&store, changes.root).unwrap();
        let mut kept = Mst::new();
        for (i, k) in keys.iter().enumerate() {
            if drop_mask >> (i % 64) & 1 == 1 {
                prop_assert!(pruned.remove(&store, k).unwrap().is_some());
            } else {
                kept.insert(&store, k, value).unwrap();
            }
        }
        prop_assert_eq!(pruned.root(), kept.root());
    }

    #[test]
    fn dag_cbor_round_trips(value in arb_value()) {
        let bytes = value.to_cbor();
        let back = Value::from_cbor(&bytes).unwrap();
        prop_assert_eq!(&back, &value);
        prop_assert_eq!(back.to_cbor(), bytes);
    }

    #[test]
    fn car_round_trips(blocks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 0..40)) {
        let blocks: Vec<(Cid, Vec<u8>)> = blocks.into_iter().map(|b| (Cid::for_raw(&b), b)).collect();
        let root = blocks.first().map(|b| b.0).unwrap_or_else(|| Cid::for_raw(b""));
        let bytes = write_car(&[root], blocks.iter().map(|(c, b)| (c, b.as_slice())));
        let (roots, back) = read_car(&bytes).unwrap();
        prop_assert_eq!(roots, vec![root]);
        prop_assert_eq!(back, blocks);
    }

    #[test]
    fn random_bytes_never_make_a_decoder_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = Value::from_cbor(&bytes);
        let _ = Commit::decode(&bytes);
        let _ = read_car(&bytes);
        // As an MST root node.
        let mut store = MemoryBlockStore::new();
        let cid = Cid::for_dag_cbor(&bytes);
        store.put(cid, bytes.clone());
        if let Ok(mut t) = Mst::load(&store, cid) {
            let _ = t.entries(&store);
        }
    }

    #[test]
    fn mutated_cbor_never_panics(value in arb_value(), pos in any::<usize>(), byte in any::<u8>()) {
        let mut bytes = value.to_cbor();
        let i = pos % bytes.len();
        bytes[i] = byte;
        let _ = Value::from_cbor(&bytes);
    }
}
