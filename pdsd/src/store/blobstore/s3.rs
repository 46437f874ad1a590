//! Blobs in an S3-compatible bucket, with the reference PDS's key layout (`blocks/<did>/<cid>`,
//! uploads under `tmp/<did>/<key>`) so a bucket it filled can be used as is.

use std::sync::Arc;
use std::time::SystemTime;

use atproto::Cid;
use atproto::syntax::Did;
use bytes::Bytes;
use futures_util::future::BoxFuture;
use futures_util::{StreamExt, TryStreamExt};
use object_store::aws::AmazonS3Builder;
use object_store::buffered::BufWriter;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use tokio::io::AsyncWriteExt;

use super::{BlobRead, BlobStore, BlobStoreError, TempWriter, is_temp_key, temp_key};

/// S3 multipart parts must be at least 5 MiB (but the last); smaller uploads are one PUT.
/// This bounds the memory an upload holds.
const PART_SIZE: usize = 5 * 1024 * 1024;

/// How to reach the bucket (`PDS_BLOBSTORE_S3_*`).
#[derive(Clone, PartialEq, Eq)]
pub struct S3Settings {
    pub bucket: String,
    /// Default: `AWS_REGION`, else `us-east-1`.
    pub region: Option<String>,
    /// Default: AWS (`https://s3.<region>.amazonaws.com`).
    pub endpoint: Option<String>,
    /// `<endpoint>/<bucket>/<key>` rather than `<bucket>.<endpoint host>/<key>`.
    pub force_path_style: bool,
    /// Both or neither; neither: the usual `AWS_*` variables or the instance's role.
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
}

impl std::fmt::Debug for S3Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Settings")
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .field("force_path_style", &self.force_path_style)
            .finish_non_exhaustive()
    }
}

/// Blobs in one bucket.
pub struct S3BlobStore {
    store: Arc<dyn ObjectStore>,
}

impl S3BlobStore {
    /// Builds the client; nothing is sent until the first request.
    pub fn new(s: &S3Settings) -> Result<S3BlobStore, BlobStoreError> {
        let mut b = AmazonS3Builder::from_env()
            .with_bucket_name(&s.bucket)
            .with_virtual_hosted_style_request(!s.force_path_style);
        if let Some(region) = &s.region {
            b = b.with_region(region);
        }
        if let Some(endpoint) = &s.endpoint {
            let endpoint = endpoint.trim_end_matches('/');
            b = b.with_allow_http(endpoint.starts_with("http://"));
            b = b.with_endpoint(if s.force_path_style {
                endpoint.to_string()
            } else {
                // Virtual-hosted style: the bucket is the first label of the endpoint's host.
                match endpoint.split_once("://") {
                    Some((scheme, host)) => format!("{scheme}://{}.{host}", s.bucket),
                    None => format!("https://{}.{endpoint}", s.bucket),
                }
            });
        }
        if let (Some(id), Some(secret)) = (&s.access_key_id, &s.secret_access_key) {
            b = b.with_access_key_id(id).with_secret_access_key(secret);
        }
        Ok(S3BlobStore {
            store: Arc::new(b.build()?),
        })
    }

    fn temp_path(did: &Did, key: &str) -> Path {
        Path::from_iter(["tmp", did.as_str(), key])
    }

    fn blob_path(did: &Did, cid: &Cid) -> Path {
        Path::from_iter(["blocks", did.as_str(), &cid.to_string()])
    }

    async fn delete_prefix(&self, prefix: Path) -> Result<(), BlobStoreError> {
        let locations = self
            .store
            .list(Some(&prefix))
            .map_ok(|m| m.location)
            .boxed();
        self.store
            .delete_stream(locations)
            .try_for_each(|_| async { Ok(()) })
            .await?;
        Ok(())
    }
}

struct S3TempWriter {
    writer: BufWriter,
    key: String,
}

impl TempWriter for S3TempWriter {
    fn write(&mut self, chunk: Bytes) -> BoxFuture<'_, Result<(), BlobStoreError>> {
        Box::pin(async move { Ok(self.writer.put(chunk).await?) })
    }

    fn finish(self: Box<Self>) -> BoxFuture<'static, Result<String, BlobStoreError>> {
        Box::pin(async move {
            let S3TempWriter { mut writer, key } = *self;
            writer.shutdown().await?;
            Ok(key)
        })
    }

    fn abort(self: Box<Self>) -> BoxFuture<'static, ()> {
        Box::pin(async move {
            let mut this = *self;
            if let Err(e) = this.writer.abort().await {
                tracing::warn!(error = %e, "could not abort a blob upload to S3");
            }
        })
    }
}

fn not_found(e: &object_store::Error) -> bool {
    matches!(e, object_store::Error::NotFound { .. })
}

impl BlobStore for S3BlobStore {
    fn put_temp<'a>(
        &'a self,
        did: &'a Did,
    ) -> BoxFuture<'a, Result<Box<dyn TempWriter>, BlobStoreError>> {
        Box::pin(async move {
            let key = temp_key();
            let writer =
                BufWriter::with_capacity(self.store.clone(), Self::temp_path(did, &key), PART_SIZE)
                    .with_max_concurrency(2);
            Ok(Box::new(S3TempWriter { writer, key }) as Box<dyn TempWriter>)
        })
    }

    fn make_permanent<'a>(
        &'a self,
        did: &'a Did,
        key: &'a str,
        cid: &'a Cid,
    ) -> BoxFuture<'a, Result<(), BlobStoreError>> {
        Box::pin(async move {
            if !is_temp_key(key) {
                return Err(BlobStoreError::NotFound);
            }
            let from = Self::temp_path(did, key);
            let to = Self::blob_path(did, cid);
            match self.store.copy(&from, &to).await {
                Ok(()) => {
                    // A leftover temporary object is swept later; no need to fail for it.
                    if let Err(e) = self.store.delete(&from).await {
                        tracing::warn!(did = %did, error = %e, "could not delete a temporary blob");
                    }
                    Ok(())
                }
                Err(e) if not_found(&e) => match self.store.head(&to).await {
                    Ok(_) => Ok(()),
                    Err(e) if not_found(&e) => Err(BlobStoreError::NotFound),
                    Err(e) => Err(e.into()),
                },
                Err(e) => Err(e.into()),
            }
        })
    }

    fn get<'a>(
        &'a self,
        did: &'a Did,
        cid: &'a Cid,
    ) -> BoxFuture<'a, Result<Option<BlobRead>, BlobStoreError>> {
        Box::pin(async move {
            match self.store.get(&Self::blob_path(did, cid)).await {
                Ok(r) => Ok(Some(BlobRead {
                    size: r.meta.size,
                    stream: r.into_stream().map_err(std::io::Error::from).boxed(),
                })),
                Err(e) if not_found(&e) => Ok(None),
                Err(e) => Err(e.into()),
            }
        })
    }

    fn size<'a>(
        &'a self,
        did: &'a Did,
        cid: &'a Cid,
    ) -> BoxFuture<'a, Result<Option<u64>, BlobStoreError>> {
        Box::pin(async move {
            match self.store.head(&Self::blob_path(did, cid)).await {
                Ok(m) => Ok(Some(m.size)),
                Err(e) if not_found(&e) => Ok(None),
                Err(e) => Err(e.into()),
            }
        })
    }

    fn delete<'a>(
        &'a self,
        did: &'a Did,
        cid: &'a Cid,
    ) -> BoxFuture<'a, Result<(), BlobStoreError>> {
        Box::pin(async move {
            match self.store.delete(&Self::blob_path(did, cid)).await {
                Err(e) if !not_found(&e) => Err(e.into()),
                _ => Ok(()),
            }
        })
    }

    fn delete_temp<'a>(
        &'a self,
        did: &'a Did,
        key: &'a str,
    ) -> BoxFuture<'a, Result<(), BlobStoreError>> {
        Box::pin(async move {
            if !is_temp_key(key) {
                return Ok(());
            }
            match self.store.delete(&Self::temp_path(did, key)).await {
                Err(e) if !not_found(&e) => Err(e.into()),
                _ => Ok(()),
            }
        })
    }

    fn delete_all<'a>(&'a self, did: &'a Did) -> BoxFuture<'a, Result<(), BlobStoreError>> {
        Box::pin(async move {
            self.delete_prefix(Path::from_iter(["blocks", did.as_str()]))
                .await?;
            self.delete_prefix(Path::from_iter(["tmp", did.as_str()]))
                .await
        })
    }

    fn sweep_temp(&self, cutoff: SystemTime) -> BoxFuture<'_, Result<usize, BlobStoreError>> {
        Box::pin(async move {
            let cutoff_ms = cutoff
                .duration_since(SystemTime::UNIX_EPOCH)
                .map(|d| d.as_millis() as i64)
                .unwrap_or(0);
            let old: Vec<Path> = self
                .store
                .list(Some(&Path::from("tmp")))
                .try_filter_map(|m| async move {
                    Ok((m.last_modified.timestamp_millis() < cutoff_ms).then_some(m.location))
                })
                .try_collect()
                .await?;
            let count = old.len();
            if count > 0 {
                self.store
                    .delete_stream(futures_util::stream::iter(old.into_iter().map(Ok)).boxed())
                    .try_for_each(|_| async { Ok(()) })
                    .await?;
            }
            Ok(count)
        })
    }
}
