//! Signed repository commits, version 3 (<https://atproto.com/specs/repository#commit-objects>):
//! `{did, version: 3, data, rev, prev: null, sig}`, where `sig` signs the canonical DAG-CBOR of
//! the same object without `sig`.

use crate::cbor::{self, CborError, Decoder};
use crate::cid::Cid;
use crate::crypto::{CryptoError, PublicKey, SigningKey};
use crate::syntax::{Did, Tid};

/// The commit format this crate writes.
pub const VERSION: i64 = 3;

/// Why bytes are not a commit, or a commit does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommitError {
    #[error("commit is not valid DAG-CBOR: {0}")]
    Cbor(#[from] CborError),
    #[error("commit field {0} is missing")]
    Missing(&'static str),
    #[error("commit has an unknown field {0:?}")]
    UnknownField(String),
    #[error("commit field {field} is invalid: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error("commit version {0} is not supported")]
    Version(i64),
    #[error("commit signature does not verify: {0}")]
    Signature(#[from] CryptoError),
}

/// A commit before signing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsignedCommit {
    pub did: Did,
    pub version: i64,
    /// Root of the MST.
    pub data: Cid,
    /// Revision: a TID that increases with every commit of the repository.
    pub rev: Tid,
    /// The previous commit; v3 commits write null.
    pub prev: Option<Cid>,
}

/// A signed commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit {
    pub did: Did,
    pub version: i64,
    pub data: Cid,
    pub rev: Tid,
    pub prev: Option<Cid>,
    pub sig: Vec<u8>,
}

impl UnsignedCommit {
    /// A v3 commit of `data` at revision `rev`.
    pub fn new(did: Did, data: Cid, rev: Tid) -> Self {
        UnsignedCommit {
            did,
            version: VERSION,
            data,
            rev,
            prev: None,
        }
    }

    /// The bytes that are signed: canonical DAG-CBOR without `sig`.
    pub fn encode(&self) -> Vec<u8> {
        encode(
            self.did.as_str(),
            self.rev.as_str(),
            None,
            &self.data,
            &self.prev,
            self.version,
        )
    }

    /// Signs with the account's signing key.
    pub fn sign(self, key: &SigningKey) -> Commit {
        let sig = key.sign(&self.encode()).to_vec();
        Commit {
            did: self.did,
            version: self.version,
            data: self.data,
            rev: self.rev,
            prev: self.prev,
            sig,
        }
    }
}

/// Writes the commit map; keys in DAG-CBOR order: did, rev, sig, data, prev, version.
fn encode(
    did: &str,
    rev: &str,
    sig: Option<&[u8]>,
    data: &Cid,
    prev: &Option<Cid>,
    version: i64,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(200);
    cbor::write_map_head(&mut out, if sig.is_some() { 6 } else { 5 });
    cbor::write_text(&mut out, "did");
    cbor::write_text(&mut out, did);
    cbor::write_text(&mut out, "rev");
    cbor::write_text(&mut out, rev);
    if let Some(sig) = sig {
        cbor::write_text(&mut out, "sig");
        cbor::write_bytes(&mut out, sig);
    }
    cbor::write_text(&mut out, "data");
    cbor::write_cid(&mut out, data);
    cbor::write_text(&mut out, "prev");
    match prev {
        Some(p) => cbor::write_cid(&mut out, p),
        None => cbor::write_null(&mut out),
    }
    cbor::write_text(&mut out, "version");
    cbor::write_int(&mut out, version);
    out
}

impl Commit {
    /// Canonical DAG-CBOR of the signed commit.
    pub fn encode(&self) -> Vec<u8> {
        encode(
            self.did.as_str(),
            self.rev.as_str(),
            Some(&self.sig),
            &self.data,
            &self.prev,
            self.version,
        )
    }

    /// The encoded commit and its CID, as stored and put in CAR files.
    pub fn to_block(&self) -> (Cid, Vec<u8>) {
        let bytes = self.encode();
        (Cid::for_dag_cbor(&bytes), bytes)
    }

    /// The commit without its signature.
    pub fn unsigned(&self) -> UnsignedCommit {
        UnsignedCommit {
            did: self.did.clone(),
            version: self.version,
            data: self.data,
            rev: self.rev,
            prev: self.prev,
        }
    }

    /// Checks the signature against the repository's signing key.
    pub fn verify(&self, key: &PublicKey) -> Result<(), CommitError> {
        key.verify(&self.unsigned().encode(), &self.sig)?;
        Ok(())
    }

    /// Decodes a commit block strictly: the six v3 fields (v2 commits are read too, since old
    /// repositories contain them), nothing else.
    pub fn decode(bytes: &[u8]) -> Result<Commit, CommitError> {
        let mut d = Decoder::new(bytes);
        let n = d.read_map_len()?;
        let mut did = None;
        let mut rev = None;
        let mut sig = None;
        let mut data = None;
        let mut prev = None;
        let mut version = None;
        let mut last: Option<&str> = None;
        for _ in 0..n {
            let key = d.read_key(last)?;
            match key {
                "did" => {
                    let s = d.read_text()?;
                    did = Some(Did::new(s).map_err(|e| CommitError::Invalid {
                        field: "did",
                        reason: e.to_string(),
                    })?);
                }
                "rev" => {
                    let s = d.read_text()?;
                    rev = Some(Tid::new(s).map_err(|e| CommitError::Invalid {
                        field: "rev",
                        reason: e.to_string(),
                    })?);
                }
                "sig" => sig = Some(d.read_bytes()?.to_vec()),
                "data" => data = Some(d.read_cid()?),
                "prev" => prev = Some(d.read_optional_cid()?),
                "version" => version = Some(d.read_int()?),
                other => return Err(CommitError::UnknownField(other.to_string())),
            }
            last = Some(key);
        }
        d.finish()?;
        let version = version.ok_or(CommitError::Missing("version"))?;
        if version != 3 && version != 2 {
            return Err(CommitError::Version(version));
        }
        Ok(Commit {
            did: did.ok_or(CommitError::Missing("did"))?,
            version,
            data: data.ok_or(CommitError::Missing("data"))?,
            rev: rev.ok_or(CommitError::Missing("rev"))?,
            prev: prev.ok_or(CommitError::Missing("prev"))?,
            sig: sig.ok_or(CommitError::Missing("sig"))?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::KeyType;
    use crate::{Value, cbor};

    fn sample(key: &SigningKey) -> Commit {
        UnsignedCommit::new(
            Did::new("did:plc:abcdefghijklmnopqrstuvwx").unwrap(),
            Cid::for_dag_cbor(b"\xa0"),
            Tid::from_parts(1_700_000_000_000_000, 7),
        )
        .sign(key)
    }

    #[test]
    fn signed_commits_verify_and_round_trip() {
        for kt in [KeyType::K256, KeyType::P256] {
            let key = SigningKey::generate(kt);
            let commit = sample(&key);
            commit.verify(&key.public_key()).unwrap();
            let (cid, bytes) = commit.to_block();
            assert!(cid.matches(&bytes));
            let back = Commit::decode(&bytes).unwrap();
            assert_eq!(back, commit);
            back.verify(&key.public_key()).unwrap();
        }
    }

    #[test]
    fn commit_encoding_is_the_canonical_encoding_of_its_fields() {
        let key = SigningKey::generate(KeyType::K256);
        let commit = sample(&key);
        let generic = Value::from_cbor(&commit.encode()).unwrap();
        assert_eq!(generic.to_cbor(), commit.encode());
        let map = generic.as_map().unwrap();
        assert_eq!(map["version"], Value::Integer(3));
        assert_eq!(map["prev"], Value::Null);
        let mut unsigned = map.clone();
        unsigned.remove("sig");
        assert_eq!(Value::Map(unsigned).to_cbor(), commit.unsigned().encode());
    }

    #[test]
    fn tampered_or_wrongly_keyed_commits_do_not_verify() {
        let key = SigningKey::generate(KeyType::K256);
        let other = SigningKey::generate(KeyType::K256);
        let mut commit = sample(&key);
        assert!(commit.verify(&other.public_key()).is_err());
        commit.data = Cid::for_dag_cbor(b"\xa1\x61a\x00");
        assert!(commit.verify(&key.public_key()).is_err());
    }

    #[test]
    fn commits_with_unknown_or_missing_fields_are_refused() {
        let key = SigningKey::generate(KeyType::K256);
        let commit = sample(&key);
        let mut map = Value::from_cbor(&commit.encode())
            .unwrap()
            .as_map()
            .unwrap()
            .clone();
        map.insert("extra".into(), Value::Integer(1));
        assert!(matches!(
            Commit::decode(&Value::Map(map.clone()).to_cbor()),
            Err(CommitError::UnknownField(_))
        ));
        map.remove("extra");
        map.remove("data");
        assert_eq!(
            Commit::decode(&Value::Map(map).to_cbor()),
            Err(CommitError::Missing("data"))
        );
        let mut bytes = commit.encode();
        bytes.push(0);
        assert!(matches!(
            Commit::decode(&bytes),
            Err(CommitError::Cbor(cbor::CborError::TrailingBytes))
        ));
    }
}
