//! Where MST nodes, commits and records are read from: a content-addressed block store.

use std::collections::HashMap;

use crate::cid::Cid;

/// An error from the backing store (SQLite, a CAR file, ...), passed through untouched.
pub type BlockStoreError = Box<dyn std::error::Error + Send + Sync>;

/// Read access to blocks by CID. Implementations must return exactly the bytes that hash to
/// the CID; the MST trusts them.
pub trait BlockStore {
    fn get_block(&self, cid: &Cid) -> Result<Option<Vec<u8>>, BlockStoreError>;
}

/// Blocks held in memory: tests, CAR verification, and small repos in transit.
#[derive(Debug, Default, Clone)]
pub struct MemoryBlockStore {
    blocks: HashMap<Cid, Vec<u8>>,
}

impl MemoryBlockStore {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn put(&mut self, cid: Cid, bytes: Vec<u8>) {
        self.blocks.insert(cid, bytes);
    }

    pub fn get(&self, cid: &Cid) -> Option<&[u8]> {
        self.blocks.get(cid).map(Vec::as_slice)
    }

    pub fn contains(&self, cid: &Cid) -> bool {
        self.blocks.contains_key(cid)
    }

    pub fn len(&self) -> usize {
        self.blocks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&Cid, &Vec<u8>)> {
        self.blocks.iter()
    }
}

impl BlockStore for MemoryBlockStore {
    fn get_block(&self, cid: &Cid) -> Result<Option<Vec<u8>>, BlockStoreError> {
        Ok(self.blocks.get(cid).cloned())
    }
}

impl<T: BlockStore + ?Sized> BlockStore for &T {
    fn get_block(&self, cid: &Cid) -> Result<Option<Vec<u8>>, BlockStoreError> {
        (**self).get_block(cid)
    }
}
