//! Helpers for blob tests at the service and router levels.

use std::convert::Infallible;

use atproto::Value;
use atproto::syntax::{Did, Nsid};
use bytes::Bytes;
use serde_json::json;

use super::{BlobOut, UploadMeta};
use crate::service::ServiceError;
use crate::service::account::CreateAccountInput;
use crate::service::repo::{CommitResult, Validate, Write};
use crate::service::test_util::TestPds;

/// The first bytes of a PNG file (signature and IHDR), then `n` bytes of filler so blobs of
/// the same kind can differ.
pub(crate) fn png(n: u8) -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0".to_vec();
    b.extend(std::iter::repeat_n(n, 64));
    b
}

/// A service with open sign-up and the given extra settings.
pub(crate) async fn pds_with(adjust: impl FnOnce(&mut crate::config::Args)) -> TestPds {
    TestPds::with(|a| {
        a.invite_required = Some(false);
        adjust(a);
    })
    .await
}

/// Signs up `<name>.test`; returns its DID and access token.
pub(crate) async fn account(pds: &TestPds, name: &str) -> (Did, String) {
    let out = pds
        .service
        .create_account(CreateAccountInput {
            email: Some(format!("{name}@example.com")),
            handle: format!("{name}.test"),
            password: Some("hunter22".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    (Did::new(&out.did).unwrap(), out.access_jwt)
}

/// Uploads `bytes` in 7-byte chunks (so nothing relies on one chunk being the whole blob).
pub(crate) async fn upload(
    pds: &TestPds,
    did: &Did,
    bytes: &[u8],
    content_type: Option<&str>,
) -> Result<BlobOut, ServiceError> {
    let chunks: Vec<Result<Bytes, Infallible>> = bytes
        .chunks(7)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    pds.service
        .upload_blob(
            did.clone(),
            UploadMeta {
                content_type: content_type.map(str::to_string),
                content_length: None,
            },
            futures_util::stream::iter(chunks),
        )
        .await
}

/// The JSON of a blob reference.
pub(crate) fn blob_json(b: &BlobOut) -> serde_json::Value {
    serde_json::to_value(b).unwrap()
}

/// An `app.bsky.feed.post` with an `app.bsky.embed.images` embed of `blobs`.
pub(crate) fn image_post(blobs: &[&BlobOut]) -> Value {
    let images: Vec<serde_json::Value> = blobs
        .iter()
        .map(|b| json!({ "image": blob_json(b), "alt": "a picture" }))
        .collect();
    atproto::json::record_from_json(&json!({
        "$type": "app.bsky.feed.post",
        "text": "look",
        "createdAt": "2026-11-23T05:00:00.000Z",
        "embed": { "$type": "app.bsky.embed.images", "images": images }
    }))
    .unwrap()
}

/// The record key a test names `name`: a TID derived from it (posts need TID keys).
pub(crate) fn rkey(name: &str) -> atproto::syntax::RecordKey {
    let n = name
        .bytes()
        .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(b as u64));
    let tid = atproto::syntax::Tid::from_parts(1_700_000_000_000_000 + n % 1_000_000_000, 0);
    atproto::syntax::RecordKey::new(tid.as_str()).unwrap()
}

/// Creates a record in `collection` (validated when the lexicon is known).
pub(crate) async fn create(
    pds: &TestPds,
    did: &Did,
    collection: &str,
    rkey: &str,
    value: Value,
) -> Result<CommitResult, ServiceError> {
    pds.service
        .apply_writes(
            did.clone(),
            vec![Write::Create {
                collection: Nsid::new(collection).unwrap(),
                rkey: Some(self::rkey(rkey)),
                value,
            }],
            Validate::Optimistic,
            None,
        )
        .await
}

/// Deletes a record.
pub(crate) async fn delete(pds: &TestPds, did: &Did, collection: &str, rkey: &str) {
    pds.service
        .apply_writes(
            did.clone(),
            vec![Write::Delete {
                collection: Nsid::new(collection).unwrap(),
                rkey: self::rkey(rkey),
                swap_record: None,
            }],
            Validate::Optimistic,
            None,
        )
        .await
        .unwrap();
}
