//! Test helpers: a directory over a temporary service database and identities that sign
//! operations.

use std::path::Path;
use std::sync::Arc;

use atproto::Cid;
use atproto::crypto::{KeyType, SigningKey};
use atproto::plc::{PlcOperation, SignedOp, UnsignedOp, did_for_genesis};
use atproto::syntax::Did;

use super::PlcDirectory;
use crate::store::Durability;
use crate::store::service_db::open_service_db;

/// A fixed "now" (2023-11-14T22:13:20Z) for directory tests.
pub(crate) const T0: i64 = 1_700_000_000_000;

/// The PDS endpoint test operations name.
pub(crate) const PDS: &str = "https://pds.test";

/// A directory over the service database in `path`.
pub(crate) fn directory_in(path: &Path) -> PlcDirectory {
    let pool = open_service_db(path, Durability::Normal).unwrap();
    PlcDirectory::new(Arc::new(pool))
}

/// A directory over a fresh service database; keep the tempdir alive while using it.
pub(crate) fn directory() -> (Arc<PlcDirectory>, tempfile::TempDir) {
    let tmp = tempfile::tempdir().unwrap();
    (Arc::new(directory_in(tmp.path())), tmp)
}

/// The keys of one did:plc identity: rotation keys (highest priority first) and the atproto
/// signing key.
pub(crate) struct Identity {
    pub rotation: Vec<SigningKey>,
    pub signing: SigningKey,
}

impl Identity {
    pub fn new(rotation_keys: usize) -> Self {
        Identity {
            rotation: (0..rotation_keys)
                .map(|_| SigningKey::generate(KeyType::K256))
                .collect(),
            signing: SigningKey::generate(KeyType::P256),
        }
    }

    pub fn rotation_dids(&self) -> Vec<String> {
        self.rotation
            .iter()
            .map(|k| k.public_key().to_did_key())
            .collect()
    }

    pub fn signing_did_key(&self) -> String {
        self.signing.public_key().to_did_key()
    }

    /// The usual atproto operation for `handle` following `prev`, unsigned.
    pub fn operation(&self, handle: &str, prev: Option<Cid>) -> PlcOperation {
        PlcOperation::atproto(
            &self.signing_did_key(),
            handle,
            PDS,
            self.rotation_dids(),
            prev,
        )
    }

    /// A genesis operation signed by the first rotation key, and the DID it creates.
    pub fn genesis(&self, handle: &str) -> (Did, SignedOp) {
        let op = UnsignedOp::from(self.operation(handle, None)).sign(&self.rotation[0]);
        (did_for_genesis(&op), op)
    }

    /// An operation setting `handle` after `prev`, signed by rotation key `signer`.
    pub fn update(&self, prev: &SignedOp, handle: &str, signer: usize) -> SignedOp {
        UnsignedOp::from(self.operation(handle, Some(prev.cid()))).sign(&self.rotation[signer])
    }
}
