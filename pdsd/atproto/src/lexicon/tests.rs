use serde_json::{Value as Json, json};

use super::schema::{Def, MimePattern, RecordKeyType, Schema, StringFormat};
use super::{Catalog, LexiconError};
use crate::cbor::Value;
use crate::json::from_json;

fn doc(id: &str, defs: Json) -> Json {
    json!({ "lexicon": 1, "id": id, "defs": defs })
}

fn record_doc(id: &str, properties: Json, required: Json) -> Json {
    doc(
        id,
        json!({ "main": {
            "type": "record",
            "key": "tid",
            "record": { "type": "object", "required": required, "properties": properties }
        }}),
    )
}

fn load(docs: &[Json]) -> Catalog {
    let mut c = Catalog::new();
    for d in docs {
        c.add_document(d).unwrap_or_else(|e| panic!("{e}"));
    }
    c
}

fn rejects(d: Json) -> String {
    match Catalog::new().add_document(&d) {
        Ok(()) => panic!("accepted {d}"),
        Err(e) => e.to_string(),
    }
}

fn value(j: Json) -> Value {
    from_json(&j).unwrap()
}

#[test]
fn documents_compile_into_typed_definitions() {
    let c = load(&[record_doc(
        "com.example.note",
        json!({
            "text": { "type": "string", "format": "datetime", "maxGraphemes": 5 },
            "tags": { "type": "array", "items": { "type": "string" }, "maxLength": 3 },
            "pic": { "type": "blob", "accept": ["image/*", "video/mp4"], "maxSize": 10 }
        }),
        json!(["text"]),
    )]);
    let rec = c.record_def("com.example.note").unwrap();
    assert_eq!(rec.key, RecordKeyType::Tid);
    let text = rec.record.property("text").unwrap();
    assert!(text.required);
    let Schema::String(s) = &text.schema else {
        panic!("not a string")
    };
    assert_eq!(s.format, Some(StringFormat::Datetime));
    assert_eq!(s.max_graphemes, Some(5));
    let Schema::Blob(b) = &rec.record.property("pic").unwrap().schema else {
        panic!("not a blob")
    };
    assert_eq!(
        b.accept.as_deref(),
        Some(
            &[
                MimePattern::Prefix("image/".into()),
                MimePattern::Exact("video/mp4".into())
            ][..]
        )
    );
    assert!(!rec.record.property("tags").unwrap().required);
    assert!(c.get_def("com.example.note").is_some());
    assert!(c.get_def("com.example.note#main").is_some());
    assert!(c.get_def("com.example.note#other").is_none());
}

#[test]
fn record_key_types_are_parsed() {
    for (key, expected) in [
        ("tid", RecordKeyType::Tid),
        ("nsid", RecordKeyType::Nsid),
        ("any", RecordKeyType::Any),
        ("literal:self", RecordKeyType::Literal("self".into())),
    ] {
        let d = doc(
            "com.example.rec",
            json!({ "main": { "type": "record", "key": key,
                "record": { "type": "object", "properties": {} } } }),
        );
        let c = load(&[d]);
        assert_eq!(c.record_def("com.example.rec").unwrap().key, expected);
    }
    for key in ["uuid", "literal:", "literal:a/b", ""] {
        let d = doc(
            "com.example.rec",
            json!({ "main": { "type": "record", "key": key,
                "record": { "type": "object", "properties": {} } } }),
        );
        rejects(d);
    }
}

#[test]
fn structural_rules_of_the_spec_are_enforced() {
    let cases = [
        // no definitions
        doc("com.example.a", json!({})),
        // version 2
        json!({ "lexicon": 2, "id": "com.example.a", "defs": { "x": { "type": "integer" } } }),
        // union, params and permission are not named definitions
        doc(
            "com.example.a",
            json!({ "x": { "type": "union", "refs": [] } }),
        ),
        doc(
            "com.example.a",
            json!({ "x": { "type": "params", "properties": {} } }),
        ),
        doc(
            "com.example.a",
            json!({ "x": { "type": "permission", "resource": "repo" } }),
        ),
        // unknown type and unknown string format
        doc("com.example.a", json!({ "x": { "type": "float" } })),
        doc(
            "com.example.a",
            json!({ "x": { "type": "string", "format": "email" } }),
        ),
        // a closed union needs refs
        doc(
            "com.example.a",
            json!({ "x": { "type": "object", "properties": {
                "u": { "type": "union", "refs": [], "closed": true } } } }),
        ),
        // required must name a property
        doc(
            "com.example.a",
            json!({ "x": { "type": "object", "required": ["b"], "properties": {} } }),
        ),
        // minimum above maximum, negative length
        doc(
            "com.example.a",
            json!({ "x": { "type": "integer", "minimum": 3, "maximum": 2 } }),
        ),
        doc(
            "com.example.a",
            json!({ "x": { "type": "string", "maxLength": -1 } }),
        ),
        // const with default
        doc(
            "com.example.a",
            json!({ "x": { "type": "boolean", "const": true, "default": true } }),
        ),
        // partial mime globs
        doc(
            "com.example.a",
            json!({ "x": { "type": "blob", "accept": ["image/p*"] } }),
        ),
        doc(
            "com.example.a",
            json!({ "x": { "type": "blob", "accept": ["*"] } }),
        ),
        // a token inline
        doc(
            "com.example.a",
            json!({ "x": { "type": "object", "properties": { "t": { "type": "token" } } } }),
        ),
        // a local ref that does not exist, a malformed ref
        doc(
            "com.example.a",
            json!({ "x": { "type": "array", "items": { "type": "ref", "ref": "#nope" } } }),
        ),
        doc(
            "com.example.a",
            json!({ "x": { "type": "array", "items": { "type": "ref", "ref": "not a ref" } } }),
        ),
        // a local ref to a token, a union member that is not an object
        doc(
            "com.example.a",
            json!({ "t": { "type": "token" },
                    "x": { "type": "array", "items": { "type": "ref", "ref": "#t" } } }),
        ),
        doc(
            "com.example.a",
            json!({ "s": { "type": "string" },
                    "x": { "type": "array", "items": { "type": "union", "refs": ["#s"] } } }),
        ),
        // a query with an input; a params property of type object
        doc(
            "com.example.a",
            json!({ "main": { "type": "query",
            "input": { "encoding": "application/json" } } }),
        ),
        doc(
            "com.example.a",
            json!({ "main": { "type": "query",
            "parameters": { "type": "params", "properties": {
                "o": { "type": "object", "properties": {} } } } } }),
        ),
        // a body without encoding; a body schema that is an array
        doc(
            "com.example.a",
            json!({ "main": { "type": "query", "output": {} } }),
        ),
        doc(
            "com.example.a",
            json!({ "main": { "type": "procedure", "output": {
            "encoding": "application/json",
            "schema": { "type": "array", "items": { "type": "integer" } } } } }),
        ),
        // a subscription message that is not a union
        doc(
            "com.example.a",
            json!({ "main": { "type": "subscription",
            "message": { "schema": { "type": "object", "properties": {} } } } }),
        ),
    ];
    for d in cases {
        let msg = rejects(d);
        assert!(msg.starts_with("invalid lexicon"), "{msg}");
    }
}

#[test]
fn permission_sets_follow_the_permission_rules() {
    let set = |perm: Json| {
        doc(
            "com.example.perms",
            json!({ "main": { "type": "permission-set", "permissions": [perm] } }),
        )
    };
    let ok = [
        json!({ "type": "permission", "resource": "repo", "collection": ["com.example.a"] }),
        json!({ "type": "permission", "resource": "rpc", "lxm": ["com.example.q"], "aud": "*" }),
        json!({ "type": "permission", "resource": "rpc", "lxm": ["*"], "inheritAud": true }),
        // resources a lexicon does not use are kept, to be ignored
        json!({ "type": "permission", "resource": "blob", "accept": ["*/*"] }),
    ];
    for p in ok {
        load(&[set(p)]);
    }
    let bad = [
        json!({ "type": "permission", "resource": "repo", "collection": [] }),
        json!({ "type": "permission", "resource": "repo", "collection": ["*"] }),
        json!({ "type": "permission", "resource": "repo", "collection": ["com.example.a"],
                "action": ["read"] }),
        json!({ "type": "permission", "resource": "repo", "collection": ["com.example.a"],
                "action": ["create", "create"] }),
        json!({ "type": "permission", "resource": "rpc", "lxm": ["com.example.q"] }),
        json!({ "type": "permission", "resource": "rpc", "lxm": ["com.example.q"],
                "aud": "did:web:api.example.com" }),
        json!({ "type": "permission", "resource": "rpc", "lxm": ["*"], "aud": "*" }),
        json!({ "type": "other", "resource": "repo", "collection": ["com.example.a"] }),
    ];
    for p in bad {
        rejects(set(p));
    }
}

#[test]
fn duplicate_documents_are_refused() {
    let d = doc("com.example.a", json!({ "x": { "type": "integer" } }));
    let mut c = load(std::slice::from_ref(&d));
    assert!(
        matches!(c.add_document(&d), Err(LexiconError::Duplicate(id)) if id == "com.example.a")
    );
}

#[test]
fn cross_document_references_are_checked_once_loaded() {
    let a = record_doc(
        "com.example.a",
        json!({ "b": { "type": "ref", "ref": "com.example.b#thing" } }),
        json!([]),
    );
    let mut c = load(&[a]);
    let err = c.check_references().unwrap_err().to_string();
    assert!(err.contains("does not resolve"), "{err}");
    // Validation through the missing ref fails with a path.
    let r = value(json!({ "$type": "com.example.a", "b": {} }));
    let e = c.validate_record("com.example.a", &r).unwrap_err();
    assert_eq!(e.path, "Record/b");

    c.add_document(&doc(
        "com.example.b",
        json!({ "thing": { "type": "token" } }),
    ))
    .unwrap();
    let err = c.check_references().unwrap_err().to_string();
    assert!(err.contains("token"), "{err}");
}

#[test]
fn nullable_and_required_are_distinct() {
    let c = load(&[doc(
        "com.example.obj",
        json!({ "main": { "type": "object", "required": ["a"], "nullable": ["a", "b"],
            "properties": {
                "a": { "type": "integer" },
                "b": { "type": "integer" },
                "c": { "type": "integer" }
            } } }),
    )]);
    let check = |j: Json| c.validate_value("com.example.obj", &value(j));
    assert!(check(json!({ "a": null })).is_ok());
    assert!(check(json!({ "a": 1, "b": null })).is_ok());
    assert!(check(json!({ "b": 1 })).is_err());
    let e = check(json!({ "a": 1, "c": null })).unwrap_err();
    assert_eq!(e.to_string(), "Value/c can not be null");
    // Unexpected fields are ignored.
    assert!(check(json!({ "a": 1, "zzz": "extra" })).is_ok());
}

#[test]
fn string_lengths_count_utf8_bytes_and_graphemes() {
    let c = load(&[doc(
        "com.example.s",
        json!({
            "bytes": { "type": "string", "minLength": 2, "maxLength": 4 },
            "graphemes": { "type": "string", "minGraphemes": 2, "maxGraphemes": 3 }
        }),
    )]);
    let s = |def: &str, text: &str| c.validate_value(def, &Value::String(text.into())).is_ok();
    assert!(s("com.example.s#bytes", "ab"));
    assert!(!s("com.example.s#bytes", "a"));
    assert!(s("com.example.s#bytes", "éé"));
    assert!(!s("com.example.s#bytes", "ééé"));
    assert!(!s("com.example.s#bytes", "🙂a"));
    assert!(s("com.example.s#graphemes", "🇩🇪🏳️‍🌈"));
    assert!(!s("com.example.s#graphemes", "👩‍👩‍👦‍👦"));
    assert!(s("com.example.s#graphemes", "👩‍👩‍👦‍👦👩‍👩‍👦‍👦👩‍👩‍👦‍👦"));
    assert!(!s("com.example.s#graphemes", "abcd"));
    assert!(s("com.example.s#graphemes", "e\u{301}e\u{301}"));
    assert!(s("com.example.s#graphemes", "a\r\nb"));
}

#[test]
fn blobs_check_accept_size_and_the_legacy_form() {
    let c = load(&[doc(
        "com.example.b",
        json!({ "img": { "type": "blob", "accept": ["image/*"], "maxSize": 100 },
                "any": { "type": "blob" } }),
    )]);
    let cid = "bafkreibme22gw2h7y2h7tg2fhqotaqjucnbc24deqo72b6mkl2egezxhvy";
    let blob = |mime: &str, size: i64| {
        value(json!({ "$type": "blob", "ref": { "$link": cid }, "mimeType": mime, "size": size }))
    };
    assert!(
        c.validate_value("com.example.b#img", &blob("image/png", 100))
            .is_ok()
    );
    assert!(
        c.validate_value("com.example.b#img", &blob("IMAGE/PNG", 1))
            .is_ok()
    );
    assert!(
        c.validate_value("com.example.b#img", &blob("image/png", 101))
            .is_err()
    );
    assert!(
        c.validate_value("com.example.b#img", &blob("text/plain", 1))
            .is_err()
    );
    assert!(
        c.validate_value("com.example.b#img", &blob("image", 1))
            .is_err()
    );
    assert!(
        c.validate_value("com.example.b#any", &blob("text/plain", 1_000_000))
            .is_ok()
    );
    let legacy = value(json!({ "cid": cid, "mimeType": "image/jpeg" }));
    assert!(c.validate_value("com.example.b#img", &legacy).is_ok());
    let bad_legacy = value(json!({ "cid": "nope", "mimeType": "image/jpeg" }));
    assert!(c.validate_value("com.example.b#img", &bad_legacy).is_err());
    // A link where a blob should be.
    let link = value(json!({ "$link": cid }));
    assert!(c.validate_value("com.example.b#any", &link).is_err());
}

#[test]
fn mime_patterns_match_as_the_spec_describes() {
    assert_eq!(MimePattern::parse("*/*"), Some(MimePattern::Any));
    assert!(MimePattern::parse("text/ht*").is_none());
    assert!(MimePattern::parse("*").is_none());
    assert!(MimePattern::parse("image").is_none());
    let p = MimePattern::parse("image/*").unwrap();
    assert!(p.matches("image/webp"));
    assert!(!p.matches("image/"));
    assert!(!p.matches("imagex/png"));
    let e = MimePattern::parse("text/plain").unwrap();
    assert!(e.matches("text/plain; charset=utf-8"));
    assert!(!e.matches("text/html"));
}

#[test]
fn union_members_need_a_type_and_closed_unions_refuse_others() {
    let c = load(&[doc(
        "com.example.u",
        json!({
            "a": { "type": "object", "required": ["n"],
                   "properties": { "n": { "type": "integer" } } },
            "open": { "type": "object", "properties": {
                "v": { "type": "union", "refs": ["#a"] } } },
            "closed": { "type": "object", "properties": {
                "v": { "type": "union", "refs": ["#a"], "closed": true } } },
            "empty": { "type": "object", "properties": {
                "v": { "type": "union", "refs": [] } } }
        }),
    )]);
    let check = |def: &str, v: Json| c.validate_value(def, &value(json!({ "v": v })));
    assert!(
        check(
            "com.example.u#open",
            json!({ "$type": "com.example.u#a", "n": 1 })
        )
        .is_ok()
    );
    assert!(check("com.example.u#open", json!({ "$type": "com.example.u#a" })).is_err());
    assert!(
        check(
            "com.example.u#open",
            json!({ "$type": "com.example.other" })
        )
        .is_ok()
    );
    assert!(check("com.example.u#open", json!({ "n": 1 })).is_err());
    assert!(
        check(
            "com.example.u#closed",
            json!({ "$type": "com.example.other" })
        )
        .is_err()
    );
    assert!(
        check(
            "com.example.u#empty",
            json!({ "$type": "com.example.other" })
        )
        .is_ok()
    );
    assert!(check("com.example.u#empty", json!({})).is_err());
    // `#main` is never written in a $type.
    let c = load(&[
        doc(
            "com.example.m",
            json!({ "main": { "type": "object", "properties": {} } }),
        ),
        doc(
            "com.example.h",
            json!({ "main": { "type": "object", "properties": {
                "v": { "type": "union", "refs": ["com.example.m"], "closed": true } } } }),
        ),
    ]);
    let ok = value(json!({ "v": { "$type": "com.example.m" } }));
    assert!(c.validate_value("com.example.h", &ok).is_ok());
    let bad = value(json!({ "v": { "$type": "com.example.m#main" } }));
    assert!(c.validate_value("com.example.h", &bad).is_err());
}

#[test]
fn refs_to_records_require_the_records_type() {
    let c = load(&[
        record_doc(
            "com.example.r",
            json!({ "n": { "type": "integer" } }),
            json!(["n"]),
        ),
        doc(
            "com.example.h",
            json!({ "main": { "type": "object", "properties": {
                "r": { "type": "ref", "ref": "com.example.r" } } } }),
        ),
    ]);
    c.check_references().unwrap();
    let ok = value(json!({ "r": { "$type": "com.example.r", "n": 1 } }));
    assert!(c.validate_value("com.example.h", &ok).is_ok());
    let untyped = value(json!({ "r": { "n": 1 } }));
    let e = c.validate_value("com.example.h", &untyped).unwrap_err();
    assert_eq!(e.path, "Value/r/$type");
}

#[test]
fn unknown_accepts_objects_only() {
    let c = load(&[doc(
        "com.example.x",
        json!({ "main": { "type": "object", "properties": { "u": { "type": "unknown" } } } }),
    )]);
    let check = |u: Json| c.validate_value("com.example.x", &value(json!({ "u": u })));
    assert!(check(json!({})).is_ok());
    assert!(check(json!({ "$type": "com.example.whatever", "x": [1, 2] })).is_ok());
    assert!(check(json!("text")).is_err());
    assert!(check(json!([1])).is_err());
    assert!(
        check(json!({ "$link": "bafkreibme22gw2h7y2h7tg2fhqotaqjucnbc24deqo72b6mkl2egezxhvy" }))
            .is_err()
    );
}

#[test]
fn deep_recursive_schemas_stop_at_the_depth_limit() {
    let c = load(&[doc(
        "com.example.tree",
        json!({ "main": { "type": "object", "properties": {
            "child": { "type": "ref", "ref": "#main" } } } }),
    )]);
    let mut v = Value::Map(Default::default());
    for _ in 0..400 {
        let mut m = crate::cbor::Map::new();
        m.insert("child".into(), v);
        v = Value::Map(m);
    }
    let e = c.validate_value("com.example.tree", &v).unwrap_err();
    assert!(e.message.contains("too deeply"), "{e}");
}

#[test]
fn documents_are_found_by_the_compiled_type() {
    let c = load(&[doc(
        "com.example.q",
        json!({ "main": { "type": "query", "errors": [{ "name": "NotFound" }],
            "output": { "encoding": "application/json",
                "schema": { "type": "object", "required": ["n"],
                    "properties": { "n": { "type": "integer" } } } } } }),
    )]);
    let Some(Def::Query(q)) = c.get_def("com.example.q") else {
        panic!("not a query")
    };
    assert_eq!(q.errors[0].name, "NotFound");
    assert!(
        c.validate_output("com.example.q", &value(json!({ "n": 1 })))
            .is_ok()
    );
    let e = c
        .validate_output("com.example.q", &value(json!({ "n": "x" })))
        .unwrap_err();
    assert_eq!(e.path, "Output/n");
    assert!(
        c.validate_input("com.example.q", &value(json!({})))
            .is_err()
    );
    assert!(
        c.parse_params("com.example.q", [("a", "b")])
            .unwrap()
            .is_empty()
    );
}

#[test]
fn string_formats_check_the_spec_syntax() {
    use StringFormat as F;
    assert!(F::Datetime.is_valid("1985-04-12T23:20:50.123Z"));
    assert!(!F::Datetime.is_valid("1985-04-31T23:20:50.123Z"));
    assert!(F::Language.is_valid("pt-BR"));
    // well-formed but not "valid" per RFC 5646: still accepted, as the spec asks
    assert!(F::Language.is_valid("de-DE-1901-1901"));
    assert!(F::AtIdentifier.is_valid("did:plc:ewvi7nxzyoun6zhxrhs64oiz"));
    assert!(F::AtIdentifier.is_valid("alice.example.com"));
    assert!(!F::AtIdentifier.is_valid("alice"));
    assert!(F::Uri.is_valid("https://example.com/x"));
    assert!(!F::Uri.is_valid(&format!("https://example.com/{}", "a".repeat(8200))));
    assert!(F::Cid.is_valid("bafyreiclp443lavogvhj3d2ob2cxbfuscni2k5jk7bebjzg7khl3esabwq"));
    assert!(F::RecordKey.is_valid("self"));
    assert!(!F::Tid.is_valid("self"));
    for name in [
        "at-identifier",
        "at-uri",
        "cid",
        "datetime",
        "did",
        "handle",
        "nsid",
        "tid",
        "record-key",
        "uri",
        "language",
    ] {
        assert_eq!(StringFormat::from_name(name).unwrap().name(), name);
    }
}
