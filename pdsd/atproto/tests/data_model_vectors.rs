//! The official data-model vectors: canonical DAG-CBOR bytes and CIDs from atproto JSON, and the
//! valid/invalid data-model sets.

use std::path::PathBuf;

use atproto::json::{from_json, record_from_json, to_json};
use atproto::{Cid, Value};
use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use serde_json::Value as Json;

fn read(rel: &str) -> Json {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors/interop/data-model")
        .join(rel);
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn data_model_fixtures_encode_to_the_exact_cbor_and_cid_and_back() {
    let cases = read("data-model-fixtures.json");
    let cases = cases.as_array().unwrap();
    assert!(!cases.is_empty());
    for (i, case) in cases.iter().enumerate() {
        let value = from_json(&case["json"]).unwrap_or_else(|e| panic!("case {i}: {e}"));
        let cbor = value.to_cbor();
        let expected = STANDARD_NO_PAD
            .decode(case["cbor_base64"].as_str().unwrap())
            .unwrap();
        assert_eq!(cbor, expected, "case {i}: bytes");
        let cid: Cid = case["cid"].as_str().unwrap().parse().unwrap();
        assert_eq!(Cid::for_dag_cbor(&cbor), cid, "case {i}: cid");
        let decoded = Value::from_cbor(&expected).unwrap();
        assert_eq!(decoded, value, "case {i}: decode");
        assert_eq!(to_json(&decoded), case["json"], "case {i}: back to JSON");
    }
}

#[test]
fn data_model_valid_vectors_are_accepted() {
    for case in read("data-model-valid.json").as_array().unwrap() {
        let note = case["note"].as_str().unwrap_or("?");
        let value = record_from_json(&case["json"]).unwrap_or_else(|e| panic!("{note}: {e}"));
        // And the CBOR form passes the same checks.
        let back = Value::from_cbor(&value.to_cbor()).unwrap();
        atproto::json::check_data_model(&back).unwrap_or_else(|e| panic!("{note}: {e}"));
    }
}

#[test]
fn data_model_invalid_vectors_are_rejected() {
    for case in read("data-model-invalid.json").as_array().unwrap() {
        let note = case["note"].as_str().unwrap_or("?");
        assert!(
            record_from_json(&case["json"]).is_err(),
            "{note}: accepted but should be rejected"
        );
    }
}
