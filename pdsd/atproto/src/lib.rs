//! AT Protocol primitives: syntax types, TIDs, canonical DAG-CBOR, CIDs, keys and signatures,
//! the Merkle Search Tree, signed commits, CAR files and lexicon validation.
//!
//! This crate is pure and synchronous: no async runtime, HTTP or database code belongs here.

pub mod blockstore;
pub mod car;
pub mod cbor;
pub mod cid;
pub mod commit;
pub mod crypto;
pub mod json;
pub mod lexicon;
pub mod mst;
pub mod multibase;
pub mod plc;
pub mod syntax;
pub mod tid;

pub use cbor::Value;
pub use cid::Cid;
