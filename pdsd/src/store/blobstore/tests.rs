use std::time::{Duration, SystemTime};

use futures_util::StreamExt;

use super::disk::DiskBlobStore;
use super::*;

fn did() -> Did {
    Did::new("did:plc:abcdefghijklmnopqrstuvwx").unwrap()
}

async fn put(store: &dyn BlobStore, did: &Did, chunks: &[&[u8]]) -> String {
    let mut w = store.put_temp(did).await.unwrap();
    for c in chunks {
        w.write(Bytes::copy_from_slice(c)).await.unwrap();
    }
    w.finish().await.unwrap()
}

async fn read(store: &dyn BlobStore, did: &Did, cid: &Cid) -> Option<Vec<u8>> {
    let got = store.get(did, cid).await.unwrap()?;
    let mut out = Vec::new();
    let mut s = got.stream;
    while let Some(c) = s.next().await {
        out.extend_from_slice(&c.unwrap());
    }
    assert_eq!(got.size, out.len() as u64);
    Some(out)
}

#[tokio::test]
async fn disk_store_keeps_uploads_apart_until_made_permanent() {
    let dir = tempfile::tempdir().unwrap();
    let store = DiskBlobStore::new(dir.path().to_path_buf()).unwrap();
    let did = did();
    let cid = Cid::for_raw(b"hello world");
    let key = put(&store, &did, &[b"hello ", b"world"]).await;
    assert!(
        dir.path()
            .join("tmp")
            .join(did.as_str())
            .join(&key)
            .exists()
    );
    assert_eq!(read(&store, &did, &cid).await, None);
    assert_eq!(store.size(&did, &cid).await.unwrap(), None);

    store.make_permanent(&did, &key, &cid).await.unwrap();
    assert_eq!(read(&store, &did, &cid).await.unwrap(), b"hello world");
    assert_eq!(store.size(&did, &cid).await.unwrap(), Some(11));
    assert!(dir.path().join(did.as_str()).join(cid.to_string()).exists());
    // A retry after the move succeeds; an unknown key does not.
    store.make_permanent(&did, &key, &cid).await.unwrap();
    let other = Cid::for_raw(b"other");
    assert!(matches!(
        store.make_permanent(&did, &key, &other).await,
        Err(BlobStoreError::NotFound)
    ));
    assert!(matches!(
        store.make_permanent(&did, "../../etc", &other).await,
        Err(BlobStoreError::NotFound)
    ));

    store.delete(&did, &cid).await.unwrap();
    store.delete(&did, &cid).await.unwrap();
    assert_eq!(read(&store, &did, &cid).await, None);
}

#[tokio::test]
async fn disk_store_abort_and_delete_all_leave_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = DiskBlobStore::new(dir.path().to_path_buf()).unwrap();
    let did = did();
    let mut w = store.put_temp(&did).await.unwrap();
    w.write(Bytes::from_static(b"partial")).await.unwrap();
    w.abort().await;
    let tmp = dir.path().join("tmp").join(did.as_str());
    assert_eq!(std::fs::read_dir(&tmp).unwrap().count(), 0);

    let key = put(&store, &did, &[b"a"]).await;
    store
        .make_permanent(&did, &key, &Cid::for_raw(b"a"))
        .await
        .unwrap();
    put(&store, &did, &[b"b"]).await;
    store.delete_all(&did).await.unwrap();
    assert!(!tmp.exists());
    assert!(!dir.path().join(did.as_str()).exists());
    store.delete_all(&did).await.unwrap();
}

#[tokio::test]
async fn the_sweep_deletes_only_uploads_older_than_the_cutoff() {
    let dir = tempfile::tempdir().unwrap();
    let store = DiskBlobStore::new(dir.path().to_path_buf()).unwrap();
    let did = did();
    let old = put(&store, &did, &[b"old"]).await;
    let kept = Cid::for_raw(b"kept");
    let permanent = put(&store, &did, &[b"kept"]).await;
    store.make_permanent(&did, &permanent, &kept).await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let cutoff = SystemTime::now();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let new = put(&store, &did, &[b"new"]).await;

    assert_eq!(store.sweep_temp(cutoff).await.unwrap(), 1);
    let tmp = dir.path().join("tmp").join(did.as_str());
    assert!(!tmp.join(&old).exists());
    assert!(tmp.join(&new).exists());
    assert_eq!(read(&store, &did, &kept).await.unwrap(), b"kept");
    store.delete_temp(&did, &new).await.unwrap();
    assert_eq!(store.sweep_temp(SystemTime::now()).await.unwrap(), 0);
}
