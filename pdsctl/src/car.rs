//! Offline checks of a repository CAR file with the `atproto` crate: what `repo export`
//! verifies before it reports success and what `repo inspect` shows.

use std::collections::BTreeMap;
use std::io::Read;

use anyhow::{Context, bail};
use atproto::blockstore::MemoryBlockStore;
use atproto::car::CarReader;
use atproto::commit::Commit;
use atproto::crypto::PublicKey;
use atproto::mst::Mst;

use crate::out::views::CarReportView;

/// A reader that counts the bytes read through it (the CAR's size).
struct Counting<R> {
    inner: R,
    bytes: u64,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
}

/// Parses a `--key` value: a did:key (or a bare multibase public key).
pub fn parse_key(key: &str) -> anyhow::Result<PublicKey> {
    let parsed = if key.starts_with("did:key:") {
        PublicKey::from_did_key(key)
    } else {
        PublicKey::from_multibase(key)
    };
    parsed.map_err(|e| crate::error::usage(format!("--key {key}: {e}")))
}

/// Reads a repository CAR and checks its structure: every block hashes to its CID (the
/// reader checks each one), the first root is a commit, the MST under it is complete (every
/// node present) and canonical (rebuilding it from its entries gives the same root), and every
/// record it points to is in the file. With `key`, also whether the commit's signature verifies
/// (reported, not an error). Any structural problem is an error.
pub fn inspect(input: impl Read, key: Option<&PublicKey>) -> anyhow::Result<CarReportView> {
    let mut reader = CarReader::new(Counting {
        inner: input,
        bytes: 0,
    })
    .context("not a CAR file")?;
    let root = *reader.roots().first().context("the CAR names no root")?;
    let mut store = MemoryBlockStore::new();
    let mut blocks = 0u64;
    while let Some((cid, data)) = reader.next_block().context("the CAR is damaged")? {
        blocks += 1;
        store.put(cid, data);
    }
    let bytes = reader.into_inner().bytes;
    let commit_bytes = store
        .get(&root)
        .with_context(|| format!("the root commit {root} is not in the CAR"))?;
    let commit = Commit::decode(commit_bytes).context("the root is not a repository commit")?;
    let mut mst = Mst::load(&store, commit.data)
        .with_context(|| format!("the MST root {} is missing", commit.data))?;
    let entries = mst
        .entries(&store)
        .context("the MST is incomplete (a node is missing or damaged)")?;
    let empty = MemoryBlockStore::new();
    let mut rebuilt = Mst::new();
    let mut collections: BTreeMap<String, u64> = BTreeMap::new();
    for (path, cid) in &entries {
        if !store.contains(cid) {
            bail!("record {path} ({cid}) is missing from the CAR");
        }
        let collection = path.split_once('/').map_or(path.as_str(), |(c, _)| c);
        *collections.entry(collection.to_string()).or_default() += 1;
        rebuilt
            .insert(&empty, path, *cid)
            .with_context(|| format!("the MST holds an invalid key {path:?}"))?;
    }
    if rebuilt.root() != commit.data {
        bail!(
            "the MST is not canonical: rebuilding it gives {}, the commit has {}",
            rebuilt.root(),
            commit.data
        );
    }
    let (signature, signature_key) = match key {
        None => ("not checked", None),
        Some(k) => (
            if commit.verify(k).is_ok() {
                "verified"
            } else {
                "invalid"
            },
            Some(k.to_did_key()),
        ),
    };
    Ok(CarReportView {
        commit: root.to_string(),
        did: commit.did.to_string(),
        rev: commit.rev.to_string(),
        version: commit.version,
        data: commit.data.to_string(),
        blocks,
        bytes,
        records: entries.len() as u64,
        collections,
        structure_verified: true,
        signature,
        signature_key,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use atproto::Cid;
    use atproto::commit::UnsignedCommit;
    use atproto::crypto::{KeyType, SigningKey};
    use atproto::syntax::{Did, Tid};

    /// A record `{"text": body}` and its CID.
    fn text_record(body: &str) -> (Vec<u8>, Cid) {
        atproto::Value::Map([("text".to_string(), atproto::Value::String(body.into()))].into())
            .to_cbor_with_cid()
    }

    /// A signed repository with `n` posts and one like, as a CAR.
    fn repo_car(key: &SigningKey, n: usize) -> Vec<u8> {
        let mut store = MemoryBlockStore::new();
        let mut mst = Mst::new();
        let mut records = Vec::new();
        let mut add = |path: String, body: String| {
            let (data, cid) = text_record(&body);
            records.push((cid, data));
            (path, cid)
        };
        let mut entries = vec![add(
            "app.bsky.feed.like/3kaaaaaaaaaaa".into(),
            "like".into(),
        )];
        for i in 0..n {
            entries.push(add(
                format!("app.bsky.feed.post/3kabc{i:08}"),
                format!("post {i}"),
            ));
        }
        for (path, cid) in &entries {
            mst.insert(&store, path, *cid).unwrap();
        }
        let data = mst.root();
        for (cid, bytes) in mst.take_changes().new_blocks {
            store.put(cid, bytes);
        }
        for (cid, bytes) in records {
            store.put(cid, bytes);
        }
        let commit = UnsignedCommit::new(
            Did::new("did:plc:abcdefghijklmnopqrstuvwx").unwrap(),
            data,
            Tid::new("3kabcdefghijk").unwrap(),
        )
        .sign(key);
        let (root, bytes) = commit.to_block();
        store.put(root, bytes);
        let blocks: Vec<(Cid, Vec<u8>)> = store.iter().map(|(c, b)| (*c, b.clone())).collect();
        atproto::car::write_car(&[root], blocks)
    }

    #[test]
    fn a_complete_repository_is_reported_with_its_collections() {
        let key = SigningKey::generate(KeyType::K256);
        let car = repo_car(&key, 30);
        let report = inspect(car.as_slice(), None).unwrap();
        assert_eq!(report.did, "did:plc:abcdefghijklmnopqrstuvwx");
        assert_eq!(report.records, 31);
        assert_eq!(report.collections["app.bsky.feed.post"], 30);
        assert_eq!(report.collections["app.bsky.feed.like"], 1);
        assert_eq!(report.signature, "not checked");
        let public = key.public_key();
        let checked = inspect(car.as_slice(), Some(&public)).unwrap();
        assert_eq!(checked.signature, "verified");
        let other = SigningKey::generate(KeyType::K256).public_key();
        assert_eq!(
            inspect(car.as_slice(), Some(&other)).unwrap().signature,
            "invalid"
        );
    }

    #[test]
    fn a_missing_record_or_damaged_block_is_an_error() {
        let key = SigningKey::generate(KeyType::K256);
        let car = repo_car(&key, 3);
        let (roots, blocks) = atproto::car::read_car(&car).unwrap();
        let (_, gone) = text_record("post 1");
        let fewer = atproto::car::write_car(&roots, blocks.into_iter().filter(|(c, _)| *c != gone));
        let err = inspect(fewer.as_slice(), None).unwrap_err();
        assert!(
            format!("{err:#}").contains("missing from the CAR"),
            "{err:#}"
        );
        let mut damaged = car.clone();
        let last = damaged.len() - 1;
        damaged[last] ^= 0xff;
        assert!(inspect(damaged.as_slice(), None).is_err());
        assert!(inspect(&b"not a car"[..], None).is_err());
    }
}
