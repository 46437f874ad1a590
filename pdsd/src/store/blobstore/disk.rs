//! Blobs in a local directory: `<root>/<did>/<cid>` (the reference PDS's disk layout) and
//! uploads under `<root>/tmp/<did>/<key>`. A DID never equals `tmp`, so the two cannot meet.
//! Temporary and permanent files share a file system, so making a blob permanent is a rename.

use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use atproto::Cid;
use atproto::syntax::Did;
use bytes::{Bytes, BytesMut};
use futures_util::future::BoxFuture;
use tokio::io::AsyncReadExt;

use super::{BlobRead, BlobStore, BlobStoreError, TempWriter, is_temp_key, temp_key};

/// Size of the chunks a blob is read in.
const READ_CHUNK: usize = 64 * 1024;

/// Blobs under one directory.
pub struct DiskBlobStore {
    root: PathBuf,
}

impl DiskBlobStore {
    /// Uses `root`, creating it if needed.
    pub fn new(root: PathBuf) -> std::io::Result<DiskBlobStore> {
        std::fs::create_dir_all(root.join("tmp"))?;
        Ok(DiskBlobStore { root })
    }

    fn temp_path(&self, did: &Did, key: &str) -> PathBuf {
        self.root.join("tmp").join(did.as_str()).join(key)
    }

    fn blob_path(&self, did: &Did, cid: &Cid) -> PathBuf {
        self.root.join(did.as_str()).join(cid.to_string())
    }
}

/// Bytes an upload gathers before writing them out: one blocking write per batch instead of a
/// hand-off to the blocking pool per body chunk (tens of them per MiB).
const WRITE_BATCH: usize = 256 * 1024;

struct DiskTempWriter {
    file: Arc<std::fs::File>,
    path: PathBuf,
    key: String,
    /// Bytes not written yet (about [`WRITE_BATCH`] at most), copied out of the body chunks:
    /// holding the chunks themselves kept the HTTP connection's whole read buffers alive
    /// (several MiB per upload in flight, measured with bench/).
    pending: Vec<u8>,
}

/// Runs blocking file work on the blocking pool.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> std::io::Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(std::io::Error::other)?
}

impl TempWriter for DiskTempWriter {
    fn write(&mut self, chunk: Bytes) -> BoxFuture<'_, Result<(), BlobStoreError>> {
        Box::pin(async move {
            self.pending.extend_from_slice(&chunk);
            drop(chunk);
            if self.pending.len() >= WRITE_BATCH {
                let mut batch = std::mem::take(&mut self.pending);
                let file = self.file.clone();
                // The buffer comes back for the next batch.
                self.pending = blocking(move || {
                    (&*file).write_all(&batch)?;
                    batch.clear();
                    Ok(batch)
                })
                .await?;
            }
            Ok(())
        })
    }

    fn finish(self: Box<Self>) -> BoxFuture<'static, Result<String, BlobStoreError>> {
        Box::pin(async move {
            let DiskTempWriter {
                file,
                path,
                key,
                pending,
                ..
            } = *self;
            // The rest of the bytes and the flush in one go.
            blocking(move || {
                let done = (&*file).write_all(&pending).and_then(|()| file.sync_all());
                if done.is_err() {
                    let _ = std::fs::remove_file(&path);
                }
                done
            })
            .await?;
            Ok(key)
        })
    }

    fn abort(self: Box<Self>) -> BoxFuture<'static, ()> {
        Box::pin(async move {
            let DiskTempWriter { file, path, .. } = *self;
            drop(file);
            let _ = tokio::fs::remove_file(&path).await;
        })
    }
}

/// Makes a rename or a new file in `dir` durable.
async fn sync_dir(dir: &Path) -> std::io::Result<()> {
    tokio::fs::File::open(dir).await?.sync_all().await
}

fn ignore_not_found(r: std::io::Result<()>) -> Result<(), BlobStoreError> {
    match r {
        Err(e) if e.kind() != ErrorKind::NotFound => Err(e.into()),
        _ => Ok(()),
    }
}

impl BlobStore for DiskBlobStore {
    fn put_temp<'a>(
        &'a self,
        did: &'a Did,
    ) -> BoxFuture<'a, Result<Box<dyn TempWriter>, BlobStoreError>> {
        Box::pin(async move {
            let key = temp_key();
            let path = self.temp_path(did, &key);
            let (file, path) = blocking(move || {
                let dir = path.parent().expect("temp paths have a parent");
                std::fs::create_dir_all(dir)?;
                let file = match std::fs::File::create_new(&path) {
                    // The sweep removed the (empty) folder just now: make it again.
                    Err(e) if e.kind() == ErrorKind::NotFound => {
                        std::fs::create_dir_all(dir)?;
                        std::fs::File::create_new(&path)?
                    }
                    other => other?,
                };
                Ok((file, path))
            })
            .await?;
            Ok(Box::new(DiskTempWriter {
                file: Arc::new(file),
                path,
                key,
                pending: Vec::with_capacity(WRITE_BATCH),
            }) as Box<dyn TempWriter>)
        })
    }

    fn make_permanent<'a>(
        &'a self,
        did: &'a Did,
        key: &'a str,
        cid: &'a Cid,
    ) -> BoxFuture<'a, Result<(), BlobStoreError>> {
        Box::pin(async move {
            let to = self.blob_path(did, cid);
            let dir = to.parent().expect("blob paths have a parent");
            tokio::fs::create_dir_all(dir).await?;
            if !is_temp_key(key) {
                return Err(BlobStoreError::NotFound);
            }
            match tokio::fs::rename(self.temp_path(did, key), &to).await {
                Ok(()) => Ok(sync_dir(dir).await?),
                Err(e) if e.kind() == ErrorKind::NotFound => {
                    if tokio::fs::try_exists(&to).await? {
                        Ok(())
                    } else {
                        Err(BlobStoreError::NotFound)
                    }
                }
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
            let file = match tokio::fs::File::open(self.blob_path(did, cid)).await {
                Ok(f) => f,
                Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(e.into()),
            };
            let size = file.metadata().await?.len();
            let stream = futures_util::stream::try_unfold(file, |mut file| async move {
                let mut buf = BytesMut::with_capacity(READ_CHUNK);
                let n = file.read_buf(&mut buf).await?;
                Ok((n > 0).then(|| (buf.freeze(), file)))
            });
            Ok(Some(BlobRead {
                size,
                stream: Box::pin(stream),
            }))
        })
    }

    fn size<'a>(
        &'a self,
        did: &'a Did,
        cid: &'a Cid,
    ) -> BoxFuture<'a, Result<Option<u64>, BlobStoreError>> {
        Box::pin(async move {
            match tokio::fs::metadata(self.blob_path(did, cid)).await {
                Ok(m) => Ok(Some(m.len())),
                Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e.into()),
            }
        })
    }

    fn delete<'a>(
        &'a self,
        did: &'a Did,
        cid: &'a Cid,
    ) -> BoxFuture<'a, Result<(), BlobStoreError>> {
        Box::pin(
            async move { ignore_not_found(tokio::fs::remove_file(self.blob_path(did, cid)).await) },
        )
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
            ignore_not_found(tokio::fs::remove_file(self.temp_path(did, key)).await)
        })
    }

    fn delete_all<'a>(&'a self, did: &'a Did) -> BoxFuture<'a, Result<(), BlobStoreError>> {
        Box::pin(async move {
            ignore_not_found(tokio::fs::remove_dir_all(self.root.join(did.as_str())).await)?;
            ignore_not_found(
                tokio::fs::remove_dir_all(self.root.join("tmp").join(did.as_str())).await,
            )
        })
    }

    fn sweep_temp(&self, cutoff: SystemTime) -> BoxFuture<'_, Result<usize, BlobStoreError>> {
        let tmp = self.root.join("tmp");
        Box::pin(async move {
            let swept = tokio::task::spawn_blocking(move || sweep_dir(&tmp, cutoff))
                .await
                .map_err(std::io::Error::other)??;
            Ok(swept)
        })
    }
}

/// Deletes the files in `<tmp>/<did>/` last modified before `cutoff`, and account folders
/// left empty.
fn sweep_dir(tmp: &Path, cutoff: SystemTime) -> std::io::Result<usize> {
    let mut swept = 0;
    let accounts = match std::fs::read_dir(tmp) {
        Ok(d) => d,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    for account in accounts {
        let account = account?.path();
        let Ok(files) = std::fs::read_dir(&account) else {
            continue;
        };
        let mut left = 0;
        for file in files {
            let path = file?.path();
            let old = std::fs::metadata(&path)
                .and_then(|m| m.modified())
                .is_ok_and(|t| t < cutoff);
            if old && std::fs::remove_file(&path).is_ok() {
                swept += 1;
            } else {
                left += 1;
            }
        }
        if left == 0 {
            // Fails harmlessly if an upload just started in it.
            let _ = std::fs::remove_dir(&account);
        }
    }
    Ok(swept)
}
