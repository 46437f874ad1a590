//! Lexicon schema loading and record validation against the official interop vectors
//! (`tests/vectors/interop/lexicon/`) and the vendored schemas (`lexicons/`).

use std::path::PathBuf;

use atproto::Value;
use atproto::json::record_from_json;
use atproto::lexicon::{Catalog, LexiconError};
use serde_json::{Value as Json, json};

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn vectors_dir() -> PathBuf {
    crate_dir().join("tests/vectors/interop/lexicon")
}

fn read_json(path: PathBuf) -> Json {
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()))
}

fn cases(file: &str) -> Vec<Json> {
    match read_json(vectors_dir().join(file)) {
        Json::Array(items) => items,
        other => panic!("{file} is not an array: {other}"),
    }
}

fn case_name(case: &Json) -> &str {
    case["name"].as_str().unwrap_or("<unnamed>")
}

/// The vector catalog (`catalog/*.json`).
fn vector_catalog() -> Catalog {
    let mut catalog = Catalog::new();
    let n = catalog
        .add_documents_from_dir(vectors_dir().join("catalog"))
        .expect("the vector catalog loads");
    assert_eq!(n, 5);
    catalog
}

/// Every vendored schema under `lexicons/`.
fn vendored_catalog() -> Catalog {
    let mut catalog = Catalog::new();
    catalog
        .add_documents_from_dir(crate_dir().join("lexicons"))
        .expect("the vendored lexicons load");
    catalog
}

#[test]
fn every_valid_lexicon_document_loads() {
    let cases = cases("lexicon-valid.json");
    assert!(!cases.is_empty());
    for case in &cases {
        let mut catalog = Catalog::new();
        if let Err(e) = catalog.add_document(&case["lexicon"]) {
            panic!("valid lexicon {:?} was rejected: {e}", case_name(case));
        }
        let id = case["lexicon"]["id"].as_str().unwrap();
        assert!(
            catalog.get(id).is_some(),
            "{:?} is not in the catalog",
            case_name(case)
        );
    }
}

#[test]
fn every_invalid_lexicon_document_is_rejected() {
    let cases = cases("lexicon-invalid.json");
    assert!(!cases.is_empty());
    for case in &cases {
        let mut catalog = Catalog::new();
        match catalog.add_document(&case["lexicon"]) {
            Ok(()) => panic!("invalid lexicon {:?} was accepted", case_name(case)),
            Err(e) => assert!(
                matches!(e, LexiconError::Invalid { .. }),
                "{:?}: unexpected error kind {e:?}",
                case_name(case)
            ),
        }
        assert!(catalog.is_empty());
    }
}

#[test]
fn the_vector_catalog_loads_with_every_primary_type() {
    let catalog = vector_catalog();
    for (id, ty) in [
        ("example.lexicon.record", "record"),
        ("example.lexicon.query", "query"),
        ("example.lexicon.procedure", "procedure"),
        ("example.lexicon.subscription", "subscription"),
        ("example.lexicon.permissionset", "permission-set"),
    ] {
        let main = catalog
            .get(id)
            .and_then(|d| d.main())
            .unwrap_or_else(|| panic!("{id} has no main definition"));
        assert_eq!(main.type_name(), ty, "{id}");
    }
    assert!(catalog.has_record("example.lexicon.record"));
    assert!(!catalog.has_record("example.lexicon.query"));
    // The procedure refers to app.bsky.actor.defs, which this small catalog lacks.
    assert!(catalog.check_references().is_err());
}

/// Converts a vector's `data` to the data model, panicking with the case name on failure.
fn case_record(case: &Json) -> Value {
    record_from_json(&case["data"]).unwrap_or_else(|e| {
        panic!(
            "record data of {:?} is not valid atproto data: {e}",
            case_name(case)
        )
    })
}

#[test]
fn every_valid_record_validates_against_the_catalog() {
    let catalog = vector_catalog();
    let cases = cases("record-data-valid.json");
    assert!(!cases.is_empty());
    for case in &cases {
        let record = case_record(case);
        let collection = record.type_name().expect("vector records have a $type");
        if let Err(e) = catalog.validate_record(collection, &record) {
            panic!("valid record {:?} was rejected: {e}", case_name(case));
        }
        let rkey = case["rkey"].as_str().unwrap();
        if let Err(e) = catalog.validate_record_key(collection, rkey) {
            panic!("record key of {:?} was rejected: {e}", case_name(case));
        }
    }
}

#[test]
fn every_invalid_record_is_rejected_by_the_catalog() {
    let catalog = vector_catalog();
    let cases = cases("record-data-invalid.json");
    assert!(!cases.is_empty());
    for case in &cases {
        // Every invalid vector is valid atproto data; it is the lexicon that must refuse it.
        let record = case_record(case);
        let collection = record.type_name().expect("vector records have a $type");
        if catalog.validate_record(collection, &record).is_ok() {
            panic!("invalid record {:?} was accepted", case_name(case));
        }
    }
}

#[test]
fn invalid_records_fail_for_their_stated_reason() {
    // Several invalid vectors also lack the required `integer`; adding it shows each is still
    // rejected for the field the case is about.
    let catalog = vector_catalog();
    for case in cases("record-data-invalid.json") {
        let mut data = case["data"].clone();
        if case_name(&case) == "missing required field" {
            continue;
        }
        data.as_object_mut()
            .unwrap()
            .entry("integer")
            .or_insert(json!(1));
        let record =
            record_from_json(&data).unwrap_or_else(|e| panic!("{}: {e}", case_name(&case)));
        let Err(err) = catalog.validate_record("example.lexicon.record", &record) else {
            panic!("invalid record {:?} was accepted", case_name(&case));
        };
        assert_ne!(err.path, "Record", "{:?}: {err}", case_name(&case));
    }
}

#[test]
fn errors_name_the_path_of_the_bad_field() {
    let catalog = vector_catalog();
    let record = record_from_json(&json!({
        "$type": "example.lexicon.record",
        "integer": 1,
        "formats": { "handle": "123" }
    }))
    .unwrap();
    let err = catalog
        .validate_record("example.lexicon.record", &record)
        .unwrap_err();
    assert_eq!(err.path, "Record/formats/handle");
    assert_eq!(err.message, "must be a valid handle");

    let record = record_from_json(&json!({"$type": "example.lexicon.record"})).unwrap();
    let err = catalog
        .validate_record("example.lexicon.record", &record)
        .unwrap_err();
    assert_eq!(err.to_string(), "Record must have the property \"integer\"");

    let record = record_from_json(&json!({
        "$type": "example.lexicon.record",
        "integer": 1,
        "lenArray": [1, "two"]
    }))
    .unwrap();
    let err = catalog
        .validate_record("example.lexicon.record", &record)
        .unwrap_err();
    assert_eq!(err.path, "Record/lenArray/1");
}

#[test]
fn a_record_with_the_wrong_type_is_rejected() {
    let catalog = vector_catalog();
    let record =
        record_from_json(&json!({"$type": "example.lexicon.other", "integer": 1})).unwrap();
    let err = catalog
        .validate_record("example.lexicon.record", &record)
        .unwrap_err();
    assert_eq!(err.path, "Record/$type");
    let record = record_from_json(&json!({"integer": 1})).unwrap();
    assert!(
        catalog
            .validate_record("example.lexicon.record", &record)
            .is_err()
    );
    assert!(
        catalog
            .validate_record("example.lexicon.nothing", &record)
            .is_err()
    );
}

#[test]
fn record_keys_follow_the_key_type() {
    let catalog = vector_catalog();
    assert!(
        catalog
            .validate_record_key("example.lexicon.record", "demo")
            .is_ok()
    );
    assert!(
        catalog
            .validate_record_key("example.lexicon.record", "other")
            .is_err()
    );

    let catalog = vendored_catalog();
    assert!(
        catalog
            .validate_record_key("app.bsky.feed.post", "3jzfcijpj2z2a")
            .is_ok()
    );
    assert!(
        catalog
            .validate_record_key("app.bsky.feed.post", "self")
            .is_err()
    );
    assert!(
        catalog
            .validate_record_key("app.bsky.actor.profile", "self")
            .is_ok()
    );
    assert!(
        catalog
            .validate_record_key("app.bsky.actor.profile", "3jzfcijpj2z2a")
            .is_err()
    );
}

#[test]
fn query_parameters_are_converted_and_checked() {
    let catalog = vector_catalog();
    let params = catalog
        .parse_params(
            "example.lexicon.query",
            [
                ("stringField", "hello"),
                ("boolean", "true"),
                ("integer", "-7"),
                ("array", "1"),
                ("array", "2"),
                ("ignored", "x"),
            ],
        )
        .unwrap();
    assert_eq!(params["stringField"], Value::String("hello".into()));
    assert_eq!(params["boolean"], Value::Bool(true));
    assert_eq!(params["integer"], Value::Integer(-7));
    assert_eq!(
        params["array"],
        Value::Array(vec![Value::Integer(1), Value::Integer(2)])
    );
    assert!(!params.contains_key("ignored"));

    let missing = catalog
        .parse_params("example.lexicon.query", [("boolean", "false")])
        .unwrap_err();
    assert_eq!(missing.path, "Params");
    let bad = catalog
        .parse_params(
            "example.lexicon.query",
            [("stringField", "x"), ("integer", "1.5")],
        )
        .unwrap_err();
    assert_eq!(bad.path, "Params/integer");
    let bad = catalog
        .parse_params(
            "example.lexicon.query",
            [("stringField", "x"), ("handle", "not a handle")],
        )
        .unwrap_err();
    assert_eq!(bad.path, "Params/handle");
}

#[test]
fn every_vendored_lexicon_loads_and_its_references_resolve() {
    let mut catalog = Catalog::new();
    let n = catalog
        .add_documents_from_dir(crate_dir().join("lexicons"))
        .expect("the vendored lexicons load");
    assert!(n > 300, "only {n} lexicons found");
    assert_eq!(catalog.len(), n);
    catalog
        .check_references()
        .expect("every reference in the vendored lexicons resolves");
    for nsid in [
        "app.bsky.feed.post",
        "app.bsky.feed.like",
        "app.bsky.feed.repost",
        "app.bsky.graph.follow",
        "app.bsky.actor.profile",
    ] {
        assert!(catalog.has_record(nsid), "{nsid}");
    }
}

const IMAGE_CID: &str = "bafkreibme22gw2h7y2h7tg2fhqotaqjucnbc24deqo72b6mkl2egezxhvy";
const POST_CID: &str = "bafyreiclp443lavogvhj3d2ob2cxbfuscni2k5jk7bebjzg7khl3esabwq";

fn realistic_post(text: &str) -> Json {
    json!({
        "$type": "app.bsky.feed.post",
        "text": text,
        "createdAt": "2024-11-21T16:09:27.095Z",
        "langs": ["en", "pt-BR"],
        "facets": [
            {
                "$type": "app.bsky.richtext.facet",
                "index": { "byteStart": 0, "byteEnd": 6 },
                "features": [{
                    "$type": "app.bsky.richtext.facet#mention",
                    "did": "did:plc:ewvi7nxzyoun6zhxrhs64oiz"
                }]
            },
            {
                "index": { "byteStart": 7, "byteEnd": 26 },
                "features": [{
                    "$type": "app.bsky.richtext.facet#link",
                    "uri": "https://example.com/a?b=c"
                }]
            },
            {
                "index": { "byteStart": 27, "byteEnd": 32 },
                "features": [{ "$type": "app.bsky.richtext.facet#tag", "tag": "rust" }]
            }
        ],
        "reply": {
            "root": {
                "uri": "at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/app.bsky.feed.post/3l4rpqhzy6k2s",
                "cid": POST_CID
            },
            "parent": {
                "uri": "at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/app.bsky.feed.post/3l4rpqhzy6k2s",
                "cid": POST_CID
            }
        },
        "embed": {
            "$type": "app.bsky.embed.images",
            "images": [{
                "alt": "a cat on a keyboard",
                "image": {
                    "$type": "blob",
                    "ref": { "$link": IMAGE_CID },
                    "mimeType": "image/jpeg",
                    "size": 123456
                },
                "aspectRatio": { "width": 4, "height": 3 }
            }]
        },
        "labels": {
            "$type": "com.atproto.label.defs#selfLabels",
            "values": [{ "val": "graphic-media" }]
        },
        "tags": ["rustlang"]
    })
}

fn validate_post(catalog: &Catalog, post: &Json) -> Result<(), atproto::lexicon::ValidationError> {
    let record = record_from_json(post).expect("valid atproto data");
    catalog.validate_record("app.bsky.feed.post", &record)
}

#[test]
fn a_realistic_post_validates() {
    let catalog = vendored_catalog();
    let post = realistic_post("@alice https://example.com #rust 👩‍👩‍👦‍👦 ok");
    if let Err(e) = validate_post(&catalog, &post) {
        panic!("realistic post rejected: {e}");
    }
}

#[test]
fn a_post_with_too_many_graphemes_is_rejected() {
    let catalog = vendored_catalog();
    // 3001 graphemes is over both limits (3000 bytes, 300 graphemes).
    let err = validate_post(&catalog, &realistic_post(&"a".repeat(3001))).unwrap_err();
    assert_eq!(err.path, "Record/text");
    // 301 family emoji: 301 graphemes but 7525 bytes, over the byte limit first.
    let family = "👩‍👩‍👦‍👦".repeat(301);
    assert!(validate_post(&catalog, &realistic_post(&family)).is_err());
    // 301 two-byte characters fit in 3000 bytes but not in 300 graphemes.
    let err = validate_post(&catalog, &realistic_post(&"é".repeat(301))).unwrap_err();
    assert_eq!(err.message, "must not be longer than 300 graphemes");
    // Exactly 300 is fine.
    assert!(validate_post(&catalog, &realistic_post(&"é".repeat(300))).is_ok());
}

#[test]
fn bad_nested_post_fields_are_reported_by_path() {
    let catalog = vendored_catalog();

    let mut post = realistic_post("hi");
    post["embed"]["images"][0]["alt"] = json!(5);
    let err = validate_post(&catalog, &post).unwrap_err();
    assert_eq!(err.path, "Record/embed/images/0/alt");

    let mut post = realistic_post("hi");
    post["embed"]["images"][0]["image"]["mimeType"] = json!("video/mp4");
    let err = validate_post(&catalog, &post).unwrap_err();
    assert_eq!(err.path, "Record/embed/images/0/image/mimeType");

    let mut post = realistic_post("hi");
    post["embed"]["images"][0]["image"]["size"] = json!(2_000_001);
    assert!(validate_post(&catalog, &post).is_err());

    let mut post = realistic_post("hi");
    post["reply"]["parent"]["uri"] = json!("https://not.an.at.uri/");
    let err = validate_post(&catalog, &post).unwrap_err();
    assert_eq!(err.path, "Record/reply/parent/uri");

    let mut post = realistic_post("hi");
    post["facets"][0]["features"][0]["did"] = json!("alice");
    let err = validate_post(&catalog, &post).unwrap_err();
    assert_eq!(err.path, "Record/facets/0/features/0/did");

    let mut post = realistic_post("hi");
    post["langs"] = json!(["en", "fr", "de", "es"]);
    let err = validate_post(&catalog, &post).unwrap_err();
    assert_eq!(err.path, "Record/langs");

    let mut post = realistic_post("hi");
    post["createdAt"] = json!("2024-02-30T00:00:00Z");
    let err = validate_post(&catalog, &post).unwrap_err();
    assert_eq!(err.path, "Record/createdAt");

    // An embed type from a newer schema revision passes the open union.
    let mut post = realistic_post("hi");
    post["embed"] = json!({ "$type": "app.bsky.embed.hologram", "depth": 3 });
    assert!(validate_post(&catalog, &post).is_ok());
    // But every union member needs a $type.
    post["embed"] = json!({ "images": [] });
    let err = validate_post(&catalog, &post).unwrap_err();
    assert_eq!(err.path, "Record/embed");

    // The legacy blob form is still accepted.
    let mut post = realistic_post("hi");
    post["embed"]["images"][0]["image"] = json!({ "cid": IMAGE_CID, "mimeType": "image/png" });
    assert!(validate_post(&catalog, &post).is_ok());

    // A post without createdAt is missing a required field.
    let mut post = realistic_post("hi");
    post.as_object_mut().unwrap().remove("createdAt");
    let err = validate_post(&catalog, &post).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Record must have the property \"createdAt\""
    );
}

#[test]
fn values_validate_against_named_definitions() {
    let catalog = vendored_catalog();
    let strong_ref = atproto::json::from_json(&json!({
        "uri": "at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/app.bsky.feed.post/3l4rpqhzy6k2s",
        "cid": POST_CID
    }))
    .unwrap();
    assert!(
        catalog
            .validate_value("com.atproto.repo.strongRef", &strong_ref)
            .is_ok()
    );
    assert!(
        catalog
            .validate_value("com.atproto.repo.strongRef#main", &strong_ref)
            .is_ok()
    );
    let err = catalog
        .validate_value("app.bsky.feed.post#replyRef", &strong_ref)
        .unwrap_err();
    assert_eq!(err.path, "Value");
    assert!(
        catalog
            .validate_value("com.example.missing", &strong_ref)
            .is_err()
    );

    let input = atproto::json::from_json(&json!({
        "repo": "alice.example.com",
        "collection": "app.bsky.feed.like",
        "record": { "anything": true }
    }))
    .unwrap();
    assert!(
        catalog
            .validate_input("com.atproto.repo.createRecord", &input)
            .is_ok()
    );
    let bad = atproto::json::from_json(&json!({ "repo": "alice.example.com" })).unwrap();
    assert!(
        catalog
            .validate_input("com.atproto.repo.createRecord", &bad)
            .is_err()
    );
}
