use std::time::Duration;

use atproto::Cid;
use atproto::syntax::Did;
use serde_json::json;

use super::test_util::{account, blob_json, create, delete, image_post, pds_with, png, upload};
use super::*;
use crate::service::test_util::TestPds;
use crate::store::blobstore::index::BlobRow;

const POST: &str = "app.bsky.feed.post";

async fn pds() -> TestPds {
    pds_with(|_| {}).await
}

fn row(pds: &TestPds, did: &Did, cid: &Cid) -> Option<BlobRow> {
    let store =
        ActorStore::open(&pds.service.config.data_directory, did, Durability::Normal).unwrap();
    store.blob(cid).unwrap()
}

/// Files under the disk store's temporary area for `did`.
fn temp_files(pds: &TestPds, did: &Did) -> usize {
    let dir = pds
        .service
        .config
        .blobstore_disk_location
        .join("tmp")
        .join(did.as_str());
    std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0)
}

fn permanent_file(pds: &TestPds, did: &Did, cid: &Cid) -> std::path::PathBuf {
    pds.service
        .config
        .blobstore_disk_location
        .join(did.as_str())
        .join(cid.to_string())
}

async fn read_all(pds: &TestPds, did: &Did, cid: &Cid) -> Result<(String, Vec<u8>), ServiceError> {
    let got = pds.service.get_blob(did.clone(), *cid).await?;
    let mut out = Vec::new();
    let mut stream = got.stream;
    while let Some(chunk) = stream.next().await {
        out.extend_from_slice(&chunk.unwrap());
    }
    assert_eq!(out.len() as u64, got.size);
    Ok((got.mime_type, out))
}

#[test]
fn sniffing_recognises_the_formats_clients_upload() {
    let cases: &[(&[u8], &str)] = &[
        (b"\xFF\xD8\xFF\xE0\0\x10JFIF", "image/jpeg"),
        (&png(0), "image/png"),
        (b"GIF89a\x01\0", "image/gif"),
        (b"RIFF\0\0\0\0WEBPVP8 ", "image/webp"),
        (b"\0\0\0\x18ftypmp42\0\0\0\0", "video/mp4"),
        (b"\0\0\0\x14ftypqt  \0\0\0\0", "video/quicktime"),
        (b"\0\0\0\x1cftypheic\0\0\0\0", "image/heic"),
        (b"\0\0\0\x1cftypavif\0\0\0\0", "image/avif"),
        (b"\x1A\x45\xDF\xA3\x9f\x42\x82\x84webm", "video/webm"),
        (b"%PDF-1.7", "application/pdf"),
        (b"ID3\x04\0", "audio/mpeg"),
    ];
    for (bytes, mime) in cases {
        assert_eq!(sniff_mime(bytes), Some(*mime), "{bytes:?}");
    }
    assert_eq!(sniff_mime(b"hello world"), None);
    assert_eq!(sniff_mime(b""), None);
    assert_eq!(sniff_mime(b"\0\0\0\x18ftyp"), None);
}

#[test]
fn unknown_bytes_take_the_content_type_without_parameters() {
    assert_eq!(
        fallback_mime(Some("Text/Plain; charset=utf-8")),
        "text/plain"
    );
    assert_eq!(fallback_mime(None), "application/octet-stream");
    assert_eq!(fallback_mime(Some("nonsense")), "application/octet-stream");
    assert_eq!(fallback_mime(Some("a/b c")), "application/octet-stream");
}

#[test]
fn blob_refs_are_found_nested_and_the_legacy_form_is_told_apart() {
    let cid = Cid::for_raw(b"x");
    let record = atproto::json::record_from_json(&json!({
        "$type": "com.example.thing",
        "a": [{ "deep": { "$type": "blob", "ref": { "$link": cid.to_string() },
                          "mimeType": "image/png", "size": 1 } }],
        "old": { "cid": cid.to_string(), "mimeType": "image/png" },
        "notOld": { "cid": cid.to_string(), "mimeType": "image/png", "more": 1 },
    }))
    .unwrap();
    let found = find_blob_refs(&record);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(
        found
            .iter()
            .any(|f| matches!(f, FoundRef::Typed(b) if b.cid == cid))
    );
    assert!(found.contains(&FoundRef::Legacy(cid.to_string())));
}

#[tokio::test]
async fn an_upload_is_temporary_until_a_record_references_it() {
    let pds = pds().await;
    let (did, _) = account(&pds, "alice").await;
    let bytes = png(1);
    let blob = upload(&pds, &did, &bytes, Some("text/plain"))
        .await
        .unwrap();
    assert_eq!(blob.cid, Cid::for_raw(&bytes));
    assert_eq!(blob.mime_type, "image/png");
    assert_eq!(blob.size, bytes.len() as u64);
    assert_eq!(
        blob_json(&blob),
        json!({ "$type": "blob", "ref": { "$link": blob.cid.to_string() },
                "mimeType": "image/png", "size": bytes.len() })
    );
    assert!(row(&pds, &did, &blob.cid).unwrap().temp_key.is_some());
    assert_eq!(temp_files(&pds, &did), 1);
    let e = read_all(&pds, &did, &blob.cid).await.unwrap_err();
    assert_eq!(e.xrpc_name(), "BlobNotFound");

    create(&pds, &did, POST, "p1", image_post(&[&blob]))
        .await
        .unwrap();
    assert_eq!(row(&pds, &did, &blob.cid).unwrap().temp_key, None);
    assert_eq!(temp_files(&pds, &did), 0);
    assert!(permanent_file(&pds, &did, &blob.cid).exists());
    let (mime, got) = read_all(&pds, &did, &blob.cid).await.unwrap();
    assert_eq!((mime.as_str(), got), ("image/png", bytes));
}

#[tokio::test]
async fn a_record_referencing_a_blob_never_uploaded_is_refused() {
    let pds = pds().await;
    let (did, _) = account(&pds, "alice").await;
    let ghost = BlobOut {
        cid: Cid::for_raw(b"never uploaded"),
        mime_type: "image/png".into(),
        size: 14,
    };
    let e = create(&pds, &did, POST, "p1", image_post(&[&ghost]))
        .await
        .unwrap_err();
    assert_eq!(e.xrpc_name(), "BlobNotFound", "{e}");
    // The failed write left the repository usable.
    create(&pds, &did, POST, "p2", image_post(&[]))
        .await
        .unwrap();
}

#[tokio::test]
async fn another_accounts_blob_is_not_found() {
    let pds = pds().await;
    let (alice, _) = account(&pds, "alice").await;
    let (bob, _) = account(&pds, "bob").await;
    let blob = upload(&pds, &alice, &png(1), None).await.unwrap();
    let e = create(&pds, &bob, POST, "p1", image_post(&[&blob]))
        .await
        .unwrap_err();
    assert_eq!(e.xrpc_name(), "BlobNotFound");
}

#[tokio::test]
async fn legacy_blob_refs_are_refused_on_new_records() {
    let pds = pds().await;
    let (did, _) = account(&pds, "alice").await;
    let blob = upload(&pds, &did, &png(1), None).await.unwrap();
    let record = atproto::json::record_from_json(&json!({
        "$type": "com.example.thing",
        "pic": { "cid": blob.cid.to_string(), "mimeType": "image/png" },
    }))
    .unwrap();
    let e = create(&pds, &did, "com.example.thing", "a", record)
        .await
        .unwrap_err();
    assert_eq!(e.xrpc_name(), "InvalidRequest");
    assert!(e.to_string().contains("Legacy blobs"), "{e}");
}

#[tokio::test]
async fn a_ref_must_match_the_uploaded_mime_type_and_size() {
    let pds = pds().await;
    let (did, _) = account(&pds, "alice").await;
    let blob = upload(&pds, &did, &png(1), None).await.unwrap();
    let thing = |mime: &str, size: u64| {
        atproto::json::record_from_json(&json!({
            "$type": "com.example.thing",
            "pic": { "$type": "blob", "ref": { "$link": blob.cid.to_string() },
                     "mimeType": mime, "size": size },
        }))
        .unwrap()
    };
    let e = create(
        &pds,
        &did,
        "com.example.thing",
        "a",
        thing("image/jpeg", blob.size),
    )
    .await
    .unwrap_err();
    assert_eq!(e.xrpc_name(), "InvalidMimeType");
    let e = create(&pds, &did, "com.example.thing", "a", thing("image/png", 3))
        .await
        .unwrap_err();
    assert_eq!(e.xrpc_name(), "InvalidSize");
    create(
        &pds,
        &did,
        "com.example.thing",
        "a",
        thing("image/png", blob.size),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn the_lexicon_refuses_a_blob_it_does_not_accept() {
    let pds = pds().await;
    let (did, _) = account(&pds, "alice").await;
    let text = upload(&pds, &did, b"just words", Some("text/plain"))
        .await
        .unwrap();
    assert_eq!(text.mime_type, "text/plain");
    let e = create(&pds, &did, POST, "p1", image_post(&[&text]))
        .await
        .unwrap_err();
    assert_eq!(e.xrpc_name(), "InvalidRequest");
    assert!(e.to_string().contains("not accepted"), "{e}");
}

#[tokio::test]
async fn deleting_the_last_record_that_uses_a_blob_deletes_it() {
    let pds = pds().await;
    let (did, _) = account(&pds, "alice").await;
    let shared = upload(&pds, &did, &png(1), None).await.unwrap();
    let own = upload(&pds, &did, &png(2), None).await.unwrap();
    create(&pds, &did, POST, "p1", image_post(&[&shared, &own]))
        .await
        .unwrap();
    create(&pds, &did, POST, "p2", image_post(&[&shared]))
        .await
        .unwrap();
    let (listed, _) = pds
        .service
        .list_blobs(did.clone(), None, None, 10)
        .await
        .unwrap();
    assert_eq!(listed.len(), 2);

    delete(&pds, &did, POST, "p1").await;
    assert!(row(&pds, &did, &own.cid).is_none());
    assert!(!permanent_file(&pds, &did, &own.cid).exists());
    assert!(permanent_file(&pds, &did, &shared.cid).exists());
    read_all(&pds, &did, &shared.cid).await.unwrap();

    delete(&pds, &did, POST, "p2").await;
    assert!(row(&pds, &did, &shared.cid).is_none());
    assert!(!permanent_file(&pds, &did, &shared.cid).exists());
    let (listed, _) = pds
        .service
        .list_blobs(did.clone(), None, None, 10)
        .await
        .unwrap();
    assert!(listed.is_empty());
}

#[tokio::test]
async fn an_update_that_drops_a_blob_deletes_it_and_keeps_the_new_one() {
    let pds = pds().await;
    let (did, _) = account(&pds, "alice").await;
    let old = upload(&pds, &did, &png(1), None).await.unwrap();
    let new = upload(&pds, &did, &png(2), None).await.unwrap();
    create(&pds, &did, POST, "p1", image_post(&[&old]))
        .await
        .unwrap();
    pds.service
        .apply_writes(
            did.clone(),
            vec![crate::service::repo::Write::Update {
                collection: atproto::syntax::Nsid::new(POST).unwrap(),
                rkey: super::test_util::rkey("p1"),
                value: image_post(&[&new]),
                swap_record: None,
            }],
            crate::service::repo::Validate::Optimistic,
            None,
        )
        .await
        .unwrap();
    assert!(row(&pds, &did, &old.cid).is_none());
    assert!(!permanent_file(&pds, &did, &old.cid).exists());
    assert_eq!(row(&pds, &did, &new.cid).unwrap().temp_key, None);
    read_all(&pds, &did, &new.cid).await.unwrap();
}

#[tokio::test]
async fn uploading_a_permanent_blob_again_keeps_it_and_drops_the_copy() {
    let pds = pds().await;
    let (did, _) = account(&pds, "alice").await;
    let blob = upload(&pds, &did, &png(1), None).await.unwrap();
    create(&pds, &did, POST, "p1", image_post(&[&blob]))
        .await
        .unwrap();
    let again = upload(&pds, &did, &png(1), None).await.unwrap();
    assert_eq!(again, blob);
    assert_eq!(row(&pds, &did, &blob.cid).unwrap().temp_key, None);
    assert_eq!(temp_files(&pds, &did), 0);
}

#[tokio::test]
async fn an_upload_over_the_limit_is_payload_too_large_and_leaves_nothing() {
    let pds = pds_with(|a| a.blob_upload_limit = Some(100)).await;
    let (did, _) = account(&pds, "alice").await;
    let e = upload(&pds, &did, &[7u8; 101], None).await.unwrap_err();
    assert_eq!((e.xrpc_name(), e.http_status()), ("PayloadTooLarge", 413));
    assert_eq!(temp_files(&pds, &did), 0);
    upload(&pds, &did, &[7u8; 100], None).await.unwrap();

    // A declared length over the limit is refused before the body is read.
    let e = pds
        .service
        .upload_blob(
            did.clone(),
            UploadMeta {
                content_type: None,
                content_length: Some(101),
            },
            futures_util::stream::empty::<Result<bytes::Bytes, std::convert::Infallible>>(),
        )
        .await
        .unwrap_err();
    assert_eq!(e.xrpc_name(), "PayloadTooLarge");
}

#[tokio::test]
async fn an_unreferenced_upload_expires_and_is_swept() {
    let pds = pds_with(|a| a.blobstore_temp_grace_ms = Some(100)).await;
    let (did, _) = account(&pds, "alice").await;
    let stale = upload(&pds, &did, &png(1), None).await.unwrap();
    tokio::time::sleep(Duration::from_millis(150)).await;
    let e = create(&pds, &did, POST, "p1", image_post(&[&stale]))
        .await
        .unwrap_err();
    assert_eq!(e.xrpc_name(), "BlobNotFound");

    // The next upload prunes the expired row.
    let fresh = upload(&pds, &did, &png(2), None).await.unwrap();
    assert!(row(&pds, &did, &stale.cid).is_none());
    create(&pds, &did, POST, "p1", image_post(&[&fresh]))
        .await
        .unwrap();

    let leftover = upload(&pds, &did, &png(3), None).await.unwrap();
    assert_eq!(temp_files(&pds, &did), 1);
    tokio::time::sleep(Duration::from_millis(250)).await;
    pds.service.sweep_temp_blobs().await.unwrap();
    assert_eq!(temp_files(&pds, &did), 0);
    assert!(row(&pds, &did, &leftover.cid).is_some());
    read_all(&pds, &did, &fresh.cid).await.unwrap();
}

#[tokio::test]
async fn list_blobs_pages_by_cid_and_filters_by_revision() {
    let pds = pds().await;
    let (did, _) = account(&pds, "alice").await;
    let mut revs = Vec::new();
    let mut cids = Vec::new();
    for i in 0..3u8 {
        let blob = upload(&pds, &did, &png(i), None).await.unwrap();
        let out = create(&pds, &did, POST, &format!("p{i}"), image_post(&[&blob]))
            .await
            .unwrap();
        revs.push(out.commit.unwrap().1);
        cids.push(blob.cid.to_string());
    }
    let (page1, cursor) = pds
        .service
        .list_blobs(did.clone(), None, None, 2)
        .await
        .unwrap();
    assert_eq!(page1.len(), 2);
    let (page2, end) = pds
        .service
        .list_blobs(did.clone(), None, cursor, 2)
        .await
        .unwrap();
    assert_eq!((page2.len(), end), (1, None));
    let mut all: Vec<String> = page1.into_iter().chain(page2).collect();
    all.sort();
    cids.sort();
    assert_eq!(all, cids);

    let (since, _) = pds
        .service
        .list_blobs(did.clone(), Some(revs[0]), None, 10)
        .await
        .unwrap();
    assert_eq!(since.len(), 2);
    let e = pds
        .service
        .list_blobs(did.clone(), None, Some("nope".into()), 10)
        .await
        .unwrap_err();
    assert_eq!(e.xrpc_name(), "InvalidRequest");
}

#[tokio::test]
async fn imported_records_list_their_missing_blobs_until_uploaded() {
    let pds = pds().await;
    let (did, _) = account(&pds, "alice").await;
    let bytes = png(9);
    let blob = BlobOut {
        cid: Cid::for_raw(&bytes),
        mime_type: "image/png".into(),
        size: bytes.len() as u64,
    };
    let record = image_post(&[&blob]).to_cbor();
    {
        let mut store =
            ActorStore::open(&pds.service.config.data_directory, &did, Durability::Normal).unwrap();
        let (commit, rev) = store.root().unwrap().unwrap();
        let records = vec![(
            POST.to_string(),
            "p1".to_string(),
            Cid::for_dag_cbor(&record),
            record.clone(),
        )];
        store.replace_all(commit, &rev, &[], &records).unwrap();
        assert_eq!(store.blob_counts().unwrap(), (1, 0));
    }
    let (missing, _) = pds
        .service
        .list_missing_blobs(did.clone(), None, 10)
        .await
        .unwrap();
    assert_eq!(missing.len(), 1);
    assert_eq!(missing[0].cid, blob.cid.to_string());
    assert_eq!(missing[0].record_uri, format!("at://{did}/{POST}/p1"));

    // Uploading a blob records already use makes it permanent at once.
    upload(&pds, &did, &bytes, None).await.unwrap();
    assert_eq!(row(&pds, &did, &blob.cid).unwrap().temp_key, None);
    assert!(permanent_file(&pds, &did, &blob.cid).exists());
    let (missing, _) = pds
        .service
        .list_missing_blobs(did.clone(), None, 10)
        .await
        .unwrap();
    assert!(missing.is_empty());
}

#[tokio::test]
async fn a_taken_down_blob_is_not_served_nor_uploaded_again() {
    let pds = pds().await;
    let (did, _) = account(&pds, "alice").await;
    let blob = upload(&pds, &did, &png(1), None).await.unwrap();
    create(&pds, &did, POST, "p1", image_post(&[&blob]))
        .await
        .unwrap();
    let store =
        ActorStore::open(&pds.service.config.data_directory, &did, Durability::Normal).unwrap();
    assert!(store.set_blob_takedown(&blob.cid, Some("mod-1")).unwrap());
    let e = read_all(&pds, &did, &blob.cid).await.unwrap_err();
    assert_eq!(e.xrpc_name(), "BlobNotFound");
    let e = upload(&pds, &did, &png(1), None).await.unwrap_err();
    assert_eq!(e.xrpc_name(), "InvalidRequest");
    assert_eq!(temp_files(&pds, &did), 0);
}

#[tokio::test]
async fn deleting_an_accounts_blobs_removes_its_files() {
    let pds = pds().await;
    let (did, _) = account(&pds, "alice").await;
    let blob = upload(&pds, &did, &png(1), None).await.unwrap();
    create(&pds, &did, POST, "p1", image_post(&[&blob]))
        .await
        .unwrap();
    upload(&pds, &did, &png(2), None).await.unwrap();
    pds.service.delete_account_blobs(&did).await.unwrap();
    assert!(!permanent_file(&pds, &did, &blob.cid).exists());
    assert_eq!(temp_files(&pds, &did), 0);
}
