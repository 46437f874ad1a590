//! Blobs end to end against the real pdsd binary, with the same suite run against both blob
//! stores: the local disk, and a real S3 server (moto) on loopback.

mod common;

use std::time::{Duration, Instant};

use common::{Pdsd, S3Server, s3_server};
use serde_json::{Value, json};

/// A running pdsd with one account, over the disk store or an S3 bucket.
struct Env {
    s3: Option<S3Server>,
    pds: Pdsd,
    _dir: tempfile::TempDir,
    http: reqwest::Client,
    token: String,
    did: String,
}

impl Env {
    async fn start(s3: bool, extra: &[&str]) -> Env {
        pdsd::plc::install_crypto_provider();
        let dir = tempfile::tempdir().unwrap();
        let s3 = s3.then(s3_server);
        let mut flags: Vec<String> = vec!["--invite-required".into(), "false".into()];
        if let Some(s3) = &s3 {
            flags.extend(s3.pdsd_flags());
        }
        flags.extend(extra.iter().map(|s| s.to_string()));
        let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
        let pds = Pdsd::start(dir.path(), &flags);
        let http = reqwest::Client::new();
        let resp: Value = http
            .post(format!("{}/xrpc/com.atproto.server.createAccount", pds.url()))
            .json(&json!({"handle": "alice.test", "email": "alice@example.com", "password": "hunter22"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        Env {
            s3,
            _dir: dir,
            http,
            token: resp["accessJwt"].as_str().unwrap().to_string(),
            did: resp["did"].as_str().unwrap().to_string(),
            pds,
        }
    }

    fn url(&self, nsid: &str) -> String {
        format!("{}/xrpc/{nsid}", self.pds.url())
    }

    fn query_url(&self, nsid: &str, query: &[(&str, &str)]) -> String {
        let q = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(query)
            .finish();
        format!("{}?{q}", self.url(nsid))
    }

    async fn upload(&self, body: reqwest::Body, content_type: Option<&str>) -> (u16, Value) {
        let mut req = self
            .http
            .post(self.url("com.atproto.repo.uploadBlob"))
            .bearer_auth(&self.token)
            .body(body);
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// Uploads and returns the blob ref.
    async fn upload_ok(&self, bytes: &[u8]) -> Value {
        let (status, v) = self.upload(bytes.to_vec().into(), None).await;
        assert_eq!(status, 200, "{v}");
        v["blob"].clone()
    }

    async fn get_blob(&self, cid: &str) -> reqwest::Response {
        self.http
            .get(self.query_url(
                "com.atproto.sync.getBlob",
                &[("did", self.did.as_str()), ("cid", cid)],
            ))
            .send()
            .await
            .unwrap()
    }

    async fn post(&self, nsid: &str, body: Value) -> (u16, Value) {
        let resp = self
            .http
            .post(self.url(nsid))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, nsid: &str, query: &[(&str, &str)]) -> (u16, Value) {
        let resp = self
            .http
            .get(self.query_url(nsid, query))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// Creates an `app.bsky.feed.post` with an `app.bsky.embed.images` embed of `images`.
    async fn image_post(&self, images: &[&Value]) -> (u16, Value) {
        let images: Vec<Value> = images
            .iter()
            .map(|b| json!({ "image": b, "alt": "a picture" }))
            .collect();
        self.post(
            "com.atproto.repo.createRecord",
            json!({
                "repo": self.did,
                "collection": "app.bsky.feed.post",
                "record": {
                    "$type": "app.bsky.feed.post",
                    "text": "look at this",
                    "createdAt": "2026-11-23T05:00:00.000Z",
                    "embed": { "$type": "app.bsky.embed.images", "images": images },
                },
            }),
        )
        .await
    }

    async fn delete_record(&self, uri: &str) {
        let rkey = uri.rsplit('/').next().unwrap();
        let (status, v) = self
            .post(
                "com.atproto.repo.deleteRecord",
                json!({ "repo": self.did, "collection": "app.bsky.feed.post", "rkey": rkey }),
            )
            .await;
        assert_eq!(status, 200, "{v}");
    }

    /// Whether the store holds the permanent bytes of `cid`.
    fn stored(&self, cid: &str) -> bool {
        match &self.s3 {
            Some(s3) => !s3.keys(&format!("blocks/{}/{cid}", self.did)).is_empty(),
            None => self
                .pds
                .data
                .join("blobs")
                .join(&self.did)
                .join(cid)
                .exists(),
        }
    }

    /// How many temporary uploads the store holds.
    fn temporary(&self) -> usize {
        match &self.s3 {
            Some(s3) => s3.keys("tmp/").len(),
            None => walk(&self.pds.data.join("blobs/tmp")),
        }
    }
}

fn walk(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .map(|d| {
            d.map(|e| {
                let p = e.unwrap().path();
                if p.is_dir() { walk(&p) } else { 1 }
            })
            .sum()
        })
        .unwrap_or(0)
}

/// A few bytes a sniffer takes for a PNG image; `n` makes them differ.
fn png(n: u8) -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0".to_vec();
    b.extend(std::iter::repeat_n(n, 200));
    b
}

fn raw_cid(bytes: &[u8]) -> String {
    atproto::Cid::for_raw(bytes).to_string()
}

fn link(blob: &Value) -> &str {
    blob["ref"]["$link"].as_str().unwrap()
}

/// Waits up to 10 s for `f` to hold.
async fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn upload_and_get_blob_round_trip_with_headers(s3: bool) {
    let env = Env::start(s3, &["--blob-upload-limit", "16000000"]).await;
    let bytes = png(1);
    let blob = env.upload_ok(&bytes).await;
    assert_eq!(
        blob,
        json!({ "$type": "blob", "ref": { "$link": raw_cid(&bytes) },
                "mimeType": "image/png", "size": bytes.len() })
    );
    // Not served while temporary.
    let resp = env.get_blob(link(&blob)).await;
    assert_eq!(resp.status().as_u16(), 400);
    assert_eq!(resp.json::<Value>().await.unwrap()["error"], "BlobNotFound");

    let (status, v) = env.image_post(&[&blob]).await;
    assert_eq!(status, 200, "{v}");
    let resp = env.get_blob(link(&blob)).await;
    assert_eq!(resp.status().as_u16(), 200);
    let h = |n: &str| resp.headers()[n].to_str().unwrap().to_string();
    assert_eq!(h("content-type"), "image/png");
    assert_eq!(h("content-length"), bytes.len().to_string());
    assert_eq!(h("x-content-type-options"), "nosniff");
    assert_eq!(h("content-security-policy"), "default-src 'none'; sandbox");
    assert!(h("content-disposition").starts_with("attachment"));
    assert_eq!(resp.bytes().await.unwrap().to_vec(), bytes);
    assert!(env.stored(link(&blob)));
    assert_eq!(env.temporary(), 0);

    // A big blob arrives in many chunks (in S3, a multipart upload) and comes back whole.
    let big: Vec<u8> = (0..11_000_000u32).map(|i| (i % 251) as u8).collect();
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        big.chunks(65_536).map(|c| Ok(c.to_vec())).collect();
    let (status, v) = env
        .upload(
            reqwest::Body::wrap_stream(futures_util::stream::iter(chunks)),
            Some("application/x-test"),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    let thing = json!({ "$type": "com.example.file", "file": v["blob"] });
    let (status, r) = env
        .post(
            "com.atproto.repo.createRecord",
            json!({ "repo": env.did, "collection": "com.example.file", "record": thing }),
        )
        .await;
    assert_eq!(status, 200, "{r}");
    let resp = env.get_blob(link(&v["blob"])).await;
    assert_eq!(resp.headers()["content-type"], "application/x-test");
    assert_eq!(resp.bytes().await.unwrap().to_vec(), big);
}

async fn an_upload_over_the_limit_is_refused_and_leaves_nothing(s3: bool) {
    let env = Env::start(s3, &["--blob-upload-limit", "1000"]).await;
    let (status, v) = env.upload(vec![1u8; 1001].into(), None).await;
    assert_eq!(
        (status, v["error"].as_str()),
        (413, Some("PayloadTooLarge"))
    );
    // Without a Content-Length the limit is found while streaming.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = (0..5).map(|_| Ok(vec![2u8; 300])).collect();
    let (status, v) = env
        .upload(
            reqwest::Body::wrap_stream(futures_util::stream::iter(chunks)),
            None,
        )
        .await;
    assert_eq!(
        (status, v["error"].as_str()),
        (413, Some("PayloadTooLarge"))
    );
    assert_eq!(env.temporary(), 0);
    let (status, _) = env.upload(vec![1u8; 1000].into(), None).await;
    assert_eq!(status, 200);
}

async fn the_mime_type_is_sniffed_from_the_first_bytes(s3: bool) {
    let env = Env::start(s3, &[]).await;
    let jpeg = b"\xFF\xD8\xFF\xE0\0\x10JFIF\0rest of a jpeg".to_vec();
    let (_, v) = env.upload(jpeg.into(), Some("text/plain")).await;
    assert_eq!(v["blob"]["mimeType"], "image/jpeg");
    let mp4 = b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom".to_vec();
    let (_, v) = env
        .upload(mp4.into(), Some("application/octet-stream"))
        .await;
    assert_eq!(v["blob"]["mimeType"], "video/mp4");
    let (_, v) = env
        .upload(
            b"plain words".to_vec().into(),
            Some("text/plain; charset=utf-8"),
        )
        .await;
    assert_eq!(v["blob"]["mimeType"], "text/plain");
    let (_, v) = env.upload(b"more words".to_vec().into(), None).await;
    assert_eq!(v["blob"]["mimeType"], "application/octet-stream");
}

async fn a_referenced_blob_is_permanent_and_survives_the_temp_sweep(s3: bool) {
    let env = Env::start(s3, &["--blobstore-temp-grace-ms", "1500"]).await;
    let kept = env.upload_ok(&png(1)).await;
    let dropped = env.upload_ok(&png(2)).await;
    assert_eq!(env.temporary(), 2);
    let (status, v) = env.image_post(&[&kept]).await;
    assert_eq!(status, 200, "{v}");
    // Twice the grace period, and the sweep runs every quarter of it.
    eventually("the sweep deletes the unreferenced upload", || {
        env.temporary() == 0
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let resp = env.get_blob(link(&kept)).await;
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.bytes().await.unwrap().to_vec(), png(1));
    let (status, v) = env.image_post(&[&dropped]).await;
    assert_eq!((status, v["error"].as_str()), (400, Some("BlobNotFound")));
}

async fn deleting_the_record_deletes_the_blob(s3: bool) {
    let env = Env::start(s3, &[]).await;
    let blob = env.upload_ok(&png(1)).await;
    let (_, v) = env.image_post(&[&blob]).await;
    assert!(env.stored(link(&blob)));
    env.delete_record(v["uri"].as_str().unwrap()).await;
    assert!(!env.stored(link(&blob)));
    let resp = env.get_blob(link(&blob)).await;
    assert_eq!(resp.json::<Value>().await.unwrap()["error"], "BlobNotFound");
}

async fn a_record_referencing_a_missing_blob_is_refused(s3: bool) {
    let env = Env::start(s3, &[]).await;
    let ghost = json!({ "$type": "blob", "ref": { "$link": raw_cid(b"never uploaded") },
                        "mimeType": "image/png", "size": 14 });
    let (status, v) = env.image_post(&[&ghost]).await;
    assert_eq!(
        (status, v["error"].as_str()),
        (400, Some("BlobNotFound")),
        "{v}"
    );
    let (_, listed) = env
        .get(
            "com.atproto.repo.listRecords",
            &[("repo", &env.did), ("collection", "app.bsky.feed.post")],
        )
        .await;
    assert_eq!(listed["records"], json!([]));
}

async fn list_blobs_pages_and_filters_by_revision(s3: bool) {
    let env = Env::start(s3, &[]).await;
    let mut revs = Vec::new();
    let mut cids = Vec::new();
    for i in 0..3 {
        let blob = env.upload_ok(&png(i)).await;
        let (_, v) = env.image_post(&[&blob]).await;
        revs.push(v["commit"]["rev"].as_str().unwrap().to_string());
        cids.push(link(&blob).to_string());
    }
    let (status, page) = env
        .get(
            "com.atproto.sync.listBlobs",
            &[("did", &env.did), ("limit", "2")],
        )
        .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["cids"].as_array().unwrap().len(), 2);
    let cursor = page["cursor"].as_str().unwrap();
    let (_, rest) = env
        .get(
            "com.atproto.sync.listBlobs",
            &[("did", &env.did), ("limit", "2"), ("cursor", cursor)],
        )
        .await;
    let mut all: Vec<String> = page["cids"]
        .as_array()
        .unwrap()
        .iter()
        .chain(rest["cids"].as_array().unwrap())
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    all.sort();
    cids.sort();
    assert_eq!(all, cids);
    let (_, since) = env
        .get(
            "com.atproto.sync.listBlobs",
            &[("did", &env.did), ("since", &revs[1])],
        )
        .await;
    assert_eq!(since["cids"].as_array().unwrap().len(), 1);
}

async fn a_feed_post_with_an_images_embed_round_trips(s3: bool) {
    let env = Env::start(s3, &[]).await;
    let a = env.upload_ok(&png(1)).await;
    let b = env.upload_ok(&png(2)).await;
    let (status, v) = env.image_post(&[&a, &b]).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["validationStatus"], "valid");
    let rkey = v["uri"].as_str().unwrap().rsplit('/').next().unwrap();
    let (_, got) = env
        .get(
            "com.atproto.repo.getRecord",
            &[
                ("repo", &env.did),
                ("collection", "app.bsky.feed.post"),
                ("rkey", rkey),
            ],
        )
        .await;
    assert_eq!(got["value"]["embed"]["images"][0]["image"], a);
    assert_eq!(got["value"]["embed"]["images"][1]["image"], b);
    for blob in [&a, &b] {
        assert_eq!(env.get_blob(link(blob)).await.status().as_u16(), 200);
    }
    // The images lexicon accepts only images.
    let text = {
        let (_, v) = env
            .upload(b"not a picture".to_vec().into(), Some("text/plain"))
            .await;
        v["blob"].clone()
    };
    let (status, v) = env.image_post(&[&text]).await;
    assert_eq!(
        (status, v["error"].as_str()),
        (400, Some("InvalidRequest")),
        "{v}"
    );
}

macro_rules! for_both_stores {
    ($($name:ident),* $(,)?) => {
        mod disk {
            $(#[tokio::test]
            async fn $name() {
                super::$name(false).await
            })*
        }
        mod s3 {
            $(#[tokio::test]
            async fn $name() {
                super::$name(true).await
            })*
        }
    };
}

for_both_stores!(
    upload_and_get_blob_round_trip_with_headers,
    an_upload_over_the_limit_is_refused_and_leaves_nothing,
    the_mime_type_is_sniffed_from_the_first_bytes,
    a_referenced_blob_is_permanent_and_survives_the_temp_sweep,
    deleting_the_record_deletes_the_blob,
    a_record_referencing_a_missing_blob_is_refused,
    list_blobs_pages_and_filters_by_revision,
    a_feed_post_with_an_images_embed_round_trips,
);
