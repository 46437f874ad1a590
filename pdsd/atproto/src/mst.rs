//! The Merkle Search Tree that holds a repository's records
//! (<https://atproto.com/specs/repository#mst-structure>).
//!
//! Every key has a layer (leading zero bits of its SHA-256, counted in 2-bit steps). A node
//! holds the keys of one layer in order, with subtrees one layer down between them; a layer with
//! no keys on a path still gets a node holding only a subtree. The shape therefore depends only
//! on the set of keys, never on the order they were inserted, and the root CID commits to the
//! whole repository.
//!
//! [`Mst`] is an in-memory, lazily loaded, mutable view: nodes are read from a [`BlockStore`]
//! only when an operation reaches them, changed nodes are re-encoded only once, when the root
//! is asked for, and the CIDs of nodes that stopped being part of the tree are reported, so a
//! writer can apply a batch of operations and then store exactly the new blocks.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::ControlFlow;

use crate::blockstore::{BlockStore, BlockStoreError};
use crate::cbor::{self, CborError, Decoder};
use crate::cid::{Cid, sha256};

/// Longest key accepted (the spec's limit for `collection/rkey`).
pub const MAX_KEY_LEN: usize = 1024;

/// Why an MST operation failed.
#[derive(Debug, thiserror::Error)]
pub enum MstError {
    #[error("block store: {0}")]
    Store(#[source] BlockStoreError),
    #[error("missing MST block {0}")]
    MissingBlock(Cid),
    #[error("MST node {cid} is malformed: {reason}")]
    Malformed { cid: Cid, reason: String },
    #[error("invalid MST key {0:?}")]
    InvalidKey(String),
}

fn malformed(cid: Cid, reason: impl Into<String>) -> MstError {
    MstError::Malformed {
        cid,
        reason: reason.into(),
    }
}

/// The layer of a key: the number of leading zero bits of SHA-256(key), divided by two.
pub fn key_layer(key: &str) -> u32 {
    let digest = sha256(key.as_bytes());
    let mut zeros = 0;
    for b in digest {
        if b == 0 {
            zeros += 8;
        } else {
            zeros += b.leading_zeros();
            break;
        }
    }
    zeros / 2
}

/// The length of the common prefix of two keys, in bytes.
pub fn common_prefix_len(a: &str, b: &str) -> usize {
    a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count()
}

/// Checks a key against the repository spec: `collection/rkey`, one slash, neither side empty,
/// only `A-Za-z0-9 . - _ : ~` otherwise, at most 1024 bytes.
pub fn is_valid_key(key: &str) -> bool {
    if key.is_empty() || key.len() > MAX_KEY_LEN {
        return false;
    }
    let mut slashes = 0;
    for b in key.bytes() {
        match b {
            b'/' => slashes += 1,
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'-' | b'_' | b':' | b'~' => {}
            _ => return false,
        }
    }
    slashes == 1 && !key.starts_with('/') && !key.ends_with('/')
}

/// A pointer to a subtree: not yet read, or read into memory.
#[derive(Debug, Clone)]
enum Link {
    Stored(Cid),
    Loaded(Box<Node>),
}

#[derive(Debug, Clone)]
struct Entry {
    key: Box<str>,
    value: Cid,
    right: Option<Link>,
}

#[derive(Debug, Clone)]
struct Node {
    layer: u32,
    left: Option<Link>,
    entries: Vec<Entry>,
    /// The CID of the node as stored; `None` once it has changed and must be re-encoded.
    cid: Option<Cid>,
}

impl Node {
    fn empty(layer: u32) -> Node {
        Node {
            layer,
            left: None,
            entries: Vec::new(),
            cid: None,
        }
    }

    fn is_empty(&self) -> bool {
        self.entries.is_empty() && self.left.is_none()
    }

    /// Position of the first entry whose key is >= `key`.
    fn position(&self, key: &str) -> usize {
        self.entries.partition_point(|e| &*e.key < key)
    }

    /// The subtree slot just before entry `pos` (the node's left pointer for 0).
    fn slot_mut(&mut self, pos: usize) -> &mut Option<Link> {
        if pos == 0 {
            &mut self.left
        } else {
            &mut self.entries[pos - 1].right
        }
    }

    fn slot(&self, pos: usize) -> &Option<Link> {
        if pos == 0 {
            &self.left
        } else {
            &self.entries[pos - 1].right
        }
    }

    /// Marks the node changed, remembering its old CID as removed.
    fn touch(&mut self, removed: &mut Vec<Cid>) {
        if let Some(cid) = self.cid.take() {
            removed.push(cid);
        }
    }

    /// Canonical DAG-CBOR of the node; every child must already have a CID.
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(16 + self.entries.len() * 80);
        cbor::write_map_head(&mut out, 2);
        cbor::write_text(&mut out, "e");
        cbor::write_array_head(&mut out, self.entries.len());
        let mut prev: &str = "";
        for e in &self.entries {
            let p = common_prefix_len(prev, &e.key);
            cbor::write_map_head(&mut out, 4);
            cbor::write_text(&mut out, "k");
            cbor::write_bytes(&mut out, &e.key.as_bytes()[p..]);
            cbor::write_text(&mut out, "p");
            cbor::write_int(&mut out, p as i64);
            cbor::write_text(&mut out, "t");
            write_link(&mut out, &e.right);
            cbor::write_text(&mut out, "v");
            cbor::write_cid(&mut out, &e.value);
            prev = &e.key;
        }
        cbor::write_text(&mut out, "l");
        write_link(&mut out, &self.left);
        out
    }

    /// Decodes a stored node; `layer` is the layer its parent implies (or `None` for a root).
    fn decode(cid: Cid, bytes: &[u8], layer: Option<u32>) -> Result<Node, MstError> {
        let err = |e: CborError| malformed(cid, e.to_string());
        let mut d = Decoder::new(bytes);
        if d.read_map_len().map_err(err)? != 2 {
            return Err(malformed(cid, "node must have exactly the fields e and l"));
        }
        if d.read_key(None).map_err(err)? != "e" {
            return Err(malformed(cid, "node must have exactly the fields e and l"));
        }
        let n = d.read_array_len().map_err(err)?;
        let mut entries: Vec<Entry> = Vec::with_capacity(n);
        let mut prev = String::new();
        for i in 0..n {
            if d.read_map_len().map_err(err)? != 4 {
                return Err(malformed(
                    cid,
                    "entry must have exactly the fields k, p, t, v",
                ));
            }
            let mut key_prev = None;
            let mut field = |d: &mut Decoder, want: &str| -> Result<(), MstError> {
                let k = d.read_key(key_prev).map_err(err)?;
                if k != want {
                    return Err(malformed(
                        cid,
                        "entry must have exactly the fields k, p, t, v",
                    ));
                }
                key_prev = Some(match want {
                    "k" => "k",
                    "p" => "p",
                    "t" => "t",
                    _ => "v",
                });
                Ok(())
            };
            field(&mut d, "k")?;
            let suffix = d.read_bytes().map_err(err)?;
            field(&mut d, "p")?;
            let p = d.read_uint().map_err(err)? as usize;
            field(&mut d, "t")?;
            let right = d.read_optional_cid().map_err(err)?.map(Link::Stored);
            field(&mut d, "v")?;
            let value = d.read_cid().map_err(err)?;
            if p > prev.len() || (i == 0 && p != 0) {
                return Err(malformed(cid, "entry prefix length is out of range"));
            }
            let mut key = String::with_capacity(p + suffix.len());
            key.push_str(&prev[..p]);
            let suffix = std::str::from_utf8(suffix)
                .map_err(|_| malformed(cid, "entry key is not UTF-8"))?;
            key.push_str(suffix);
            if !is_valid_key(&key) {
                return Err(MstError::InvalidKey(key));
            }
            if i > 0 && key.as_str() <= prev.as_str() {
                return Err(malformed(cid, "entry keys are not in ascending order"));
            }
            prev.clone_from(&key);
            entries.push(Entry {
                key: key.into_boxed_str(),
                value,
                right,
            });
        }
        if d.read_key(Some("e")).map_err(err)? != "l" {
            return Err(malformed(cid, "node must have exactly the fields e and l"));
        }
        let left = d.read_optional_cid().map_err(err)?.map(Link::Stored);
        d.finish().map_err(err)?;
        let layer = match (layer, entries.first()) {
            (Some(l), _) => l,
            (None, Some(e)) => key_layer(&e.key),
            (None, None) => 0,
        };
        Ok(Node {
            layer,
            left,
            entries,
            cid: Some(cid),
        })
    }
}

fn write_link(out: &mut Vec<u8>, link: &Option<Link>) {
    match link {
        None => cbor::write_null(out),
        Some(Link::Stored(c)) => cbor::write_cid(out, c),
        Some(Link::Loaded(n)) => match &n.cid {
            Some(c) => cbor::write_cid(out, c),
            None => unreachable!("children are encoded before their parent"),
        },
    }
}

fn read_node<S: BlockStore + ?Sized>(
    store: &S,
    cid: &Cid,
    layer: Option<u32>,
) -> Result<Node, MstError> {
    let bytes = store
        .get_block(cid)
        .map_err(MstError::Store)?
        .ok_or(MstError::MissingBlock(*cid))?;
    Node::decode(*cid, &bytes, layer)
}

/// Loads a subtree link in place (if needed) and returns the node.
fn load<'a, S: BlockStore + ?Sized>(
    link: &'a mut Link,
    store: &S,
    layer: u32,
) -> Result<&'a mut Node, MstError> {
    if let Link::Stored(cid) = link {
        let node = read_node(store, cid, Some(layer))?;
        *link = Link::Loaded(Box::new(node));
    }
    match link {
        Link::Loaded(n) => Ok(n),
        Link::Stored(_) => unreachable!(),
    }
}

fn into_node<S: BlockStore + ?Sized>(
    link: Link,
    store: &S,
    layer: u32,
) -> Result<Box<Node>, MstError> {
    match link {
        Link::Loaded(n) => Ok(n),
        Link::Stored(cid) => Ok(Box::new(read_node(store, &cid, Some(layer))?)),
    }
}

/// New and removed blocks of a batch of changes, as a writer stores them.
#[derive(Debug, Clone)]
pub struct MstChanges {
    /// The new root.
    pub root: Cid,
    /// Newly encoded nodes, with their bytes.
    pub new_blocks: Vec<(Cid, Vec<u8>)>,
    /// Nodes that were part of the tree before and no longer are.
    pub removed: Vec<Cid>,
}

/// A mutable, lazily loaded Merkle Search Tree.
#[derive(Debug, Clone)]
pub struct Mst {
    root: Option<Box<Node>>,
    removed: Vec<Cid>,
    new_blocks: Vec<(Cid, Vec<u8>)>,
}

impl Default for Mst {
    fn default() -> Self {
        Self::new()
    }
}

impl Mst {
    /// An empty tree.
    pub fn new() -> Mst {
        Mst {
            root: None,
            removed: Vec::new(),
            new_blocks: Vec::new(),
        }
    }

    /// Opens the tree whose root node is `root`; only the root node is read now.
    pub fn load<S: BlockStore + ?Sized>(store: &S, root: Cid) -> Result<Mst, MstError> {
        let node = read_node(store, &root, None)?;
        if node.entries.is_empty() && node.left.is_some() {
            // A canonical tree never has a root without keys above a subtree.
            return Err(malformed(root, "root node has no entries but a subtree"));
        }
        Ok(Mst {
            root: Some(Box::new(node)),
            removed: Vec::new(),
            new_blocks: Vec::new(),
        })
    }

    /// Looks a key up.
    pub fn get<S: BlockStore + ?Sized>(
        &mut self,
        store: &S,
        key: &str,
    ) -> Result<Option<Cid>, MstError> {
        let Some(mut node) = self.root.as_deref_mut() else {
            return Ok(None);
        };
        loop {
            let pos = node.position(key);
            if let Some(e) = node.entries.get(pos)
                && &*e.key == key
            {
                return Ok(Some(e.value));
            }
            if node.layer == 0 {
                return Ok(None);
            }
            let layer = node.layer - 1;
            match node.slot_mut(pos) {
                None => return Ok(None),
                Some(link) => node = load(link, store, layer)?,
            }
        }
    }

    /// Inserts or replaces a key; returns the previous value.
    pub fn insert<S: BlockStore + ?Sized>(
        &mut self,
        store: &S,
        key: &str,
        value: Cid,
    ) -> Result<Option<Cid>, MstError> {
        if !is_valid_key(key) {
            return Err(MstError::InvalidKey(key.to_string()));
        }
        let layer = key_layer(key);
        let removed = &mut self.removed;
        let root = match self.root.take() {
            Some(r) if !r.is_empty() => r,
            other => {
                if let Some(mut r) = other {
                    r.touch(removed);
                }
                let mut n = Node::empty(layer);
                n.entries.push(Entry {
                    key: key.into(),
                    value,
                    right: None,
                });
                self.root = Some(Box::new(n));
                return Ok(None);
            }
        };
        if layer > root.layer {
            // The key belongs above the current root: split the whole tree around it and
            // hang both halves, padded with key-less nodes, under a new root.
            let root_layer = root.layer;
            let (l, r) = split(Some(Link::Loaded(root)), store, root_layer, key, removed)?;
            let mut n = Node::empty(layer);
            n.left = pad(l, root_layer, layer - 1);
            n.entries.push(Entry {
                key: key.into(),
                value,
                right: pad(r, root_layer, layer - 1),
            });
            self.root = Some(Box::new(n));
            return Ok(None);
        }
        let mut root = root;
        let result = insert_into(&mut root, store, key, value, layer, removed);
        self.root = Some(root);
        result
    }

    /// Removes a key; returns its value if it was present.
    pub fn remove<S: BlockStore + ?Sized>(
        &mut self,
        store: &S,
        key: &str,
    ) -> Result<Option<Cid>, MstError> {
        let layer = key_layer(key);
        let removed = &mut self.removed;
        let Some(root) = self.root.as_deref_mut() else {
            return Ok(None);
        };
        let old = remove_from(root, store, key, layer, removed)?;
        if old.is_some() {
            // Trim key-less nodes off the top: the root is always the highest layer with keys.
            while let Some(mut r) = self.root.take() {
                if !r.entries.is_empty() {
                    self.root = Some(r);
                    break;
                }
                r.touch(&mut self.removed);
                match r.left.take() {
                    Some(link) => {
                        let layer = r.layer.saturating_sub(1);
                        self.root = Some(into_node(link, store, layer)?);
                    }
                    None => break,
                }
            }
        }
        Ok(old)
    }

    /// Encodes every changed node and returns the root CID. New blocks accumulate until
    /// [`Mst::take_changes`].
    pub fn root(&mut self) -> Cid {
        match self.root.as_deref_mut() {
            None => {
                let empty = Node::empty(0);
                let bytes = empty.encode();
                let cid = Cid::for_dag_cbor(&bytes);
                if !self.new_blocks.iter().any(|(c, _)| *c == cid) {
                    self.new_blocks.push((cid, bytes));
                }
                cid
            }
            Some(root) => flush(root, &mut self.new_blocks),
        }
    }

    /// The root CID plus the blocks created and dropped since the tree was loaded or the
    /// changes were last taken. A block both created and dropped (a key added then removed)
    /// appears in neither list.
    pub fn take_changes(&mut self) -> MstChanges {
        let root = self.root();
        let mut new_blocks = std::mem::take(&mut self.new_blocks);
        let mut removed = std::mem::take(&mut self.removed);
        if !removed.is_empty() && !new_blocks.is_empty() {
            let new_set: BTreeSet<Cid> = new_blocks.iter().map(|(c, _)| *c).collect();
            let removed_set: BTreeSet<Cid> = removed.iter().copied().collect();
            new_blocks.retain(|(c, _)| !removed_set.contains(c));
            removed.retain(|c| !new_set.contains(c));
        }
        removed.sort();
        removed.dedup();
        MstChanges {
            root,
            new_blocks,
            removed,
        }
    }

    /// Visits keys in order (or reverse order) within `[from, to)`, where `None` means
    /// unbounded, until `f` breaks.
    pub fn walk_range<S: BlockStore + ?Sized>(
        &mut self,
        store: &S,
        from: Option<&str>,
        to: Option<&str>,
        reverse: bool,
        f: &mut dyn FnMut(&str, &Cid) -> ControlFlow<()>,
    ) -> Result<(), MstError> {
        if let Some(root) = self.root.as_deref_mut() {
            let _ = walk_node(root, store, from, to, reverse, f)?;
        }
        Ok(())
    }

    /// Every key and value, in order.
    pub fn entries<S: BlockStore + ?Sized>(
        &mut self,
        store: &S,
    ) -> Result<Vec<(String, Cid)>, MstError> {
        let mut out = Vec::new();
        self.walk_range(store, None, None, false, &mut |k, v| {
            out.push((k.to_string(), *v));
            ControlFlow::Continue(())
        })?;
        Ok(out)
    }

    /// Lists the records of one collection: keys `collection/*`, after `cursor` (an rkey,
    /// exclusive) in the chosen direction, at most `limit`.
    pub fn list_collection<S: BlockStore + ?Sized>(
        &mut self,
        store: &S,
        collection: &str,
        cursor: Option<&str>,
        reverse: bool,
        limit: usize,
    ) -> Result<Vec<(String, Cid)>, MstError> {
        let lo = format!("{collection}/");
        // '0' is the byte after '/', so this bounds exactly the keys with the prefix.
        let hi = format!("{collection}0");
        let cursor_key = cursor.map(|c| format!("{collection}/{c}"));
        let mut out = Vec::new();
        if limit == 0 {
            return Ok(out);
        }
        // Reverse with a cursor: keys strictly below it. Forward: strictly above it.
        let (from, to) = match (&cursor_key, reverse) {
            (Some(c), true) => (lo.clone(), c.clone()),
            (Some(c), false) => (format!("{c}\0"), hi.clone()),
            (None, _) => (lo.clone(), hi.clone()),
        };
        self.walk_range(store, Some(&from), Some(&to), reverse, &mut |k, v| {
            out.push((k[lo.len()..].to_string(), *v));
            if out.len() >= limit {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })?;
        Ok(out)
    }

    /// The CIDs of the nodes on the search path of `key`: proof that the key is present with
    /// its value, or absent (`sync.getRecord` serves these with the commit).
    pub fn key_proof<S: BlockStore + ?Sized>(
        &mut self,
        store: &S,
        key: &str,
    ) -> Result<Vec<Cid>, MstError> {
        let root = self.root();
        let mut out = Vec::new();
        let Some(mut node) = self.root.as_deref_mut() else {
            // The empty tree's one node proves every key absent.
            out.push(root);
            return Ok(out);
        };
        // A key can only sit in a node of its own layer. When it is absent there, the path
        // goes one node further, into the subtree the key would split if inserted; that is the
        // exclusion proof the mst-test-suite expects.
        let layer = key_layer(key);
        loop {
            out.push(node.cid.expect("flushed"));
            let pos = node.position(key);
            if node.layer < layer
                || node.layer == 0
                || node.entries.get(pos).is_some_and(|e| &*e.key == key)
            {
                return Ok(out);
            }
            let layer = node.layer - 1;
            match node.slot_mut(pos) {
                None => return Ok(out),
                Some(link) => node = load(link, store, layer)?,
            }
        }
    }

    /// The nodes a consumer needs to check a change to `key` in this (new) tree and to undo it
    /// (sync 1.1 "MST operation inversion"): the key's own path and the paths to its left and
    /// right neighbours, which removing or re-inserting the key would touch.
    pub fn covering_proof<S: BlockStore + ?Sized>(
        &mut self,
        store: &S,
        key: &str,
    ) -> Result<BTreeSet<Cid>, MstError> {
        let root_cid = self.root();
        let mut out = BTreeSet::new();
        match self.root.as_deref_mut() {
            Some(root) => {
                proof_for_key(root, store, key, &mut out)?;
                proof_for_left_neighbour(root, store, key, &mut out)?;
                proof_for_right_neighbour(root, store, key, &mut out)?;
            }
            None => {
                out.insert(root_cid);
            }
        }
        Ok(out)
    }

    /// [`Mst::covering_proof`] with the nodes' bytes, added to `out` (re-encoding a clean
    /// node reproduces its stored bytes exactly). Costs only the nodes on the paths.
    pub fn covering_proof_blocks<S: BlockStore + ?Sized>(
        &mut self,
        store: &S,
        key: &str,
        out: &mut BTreeMap<Cid, Vec<u8>>,
    ) -> Result<(), MstError> {
        let root_cid = self.root();
        match self.root.as_deref_mut() {
            Some(root) => {
                proof_for_key(root, store, key, out)?;
                proof_for_left_neighbour(root, store, key, out)?;
                proof_for_right_neighbour(root, store, key, out)?;
            }
            None => {
                out.entry(root_cid)
                    .or_insert_with(|| Node::empty(0).encode());
            }
        }
        Ok(())
    }

    /// Drops loaded nodes deeper than `keep_levels` below the root (the root is level 0), so
    /// memory does not grow with every node a long-lived tree ever touched; they are read
    /// from the store again when needed. Nodes changed since the last [`Mst::root`] or
    /// [`Mst::take_changes`] stay, with their paths: the store may not have them.
    pub fn unload(&mut self, keep_levels: usize) {
        if let Some(root) = self.root.as_deref_mut() {
            unload_node(root, keep_levels);
        }
    }

    /// The encoded bytes of nodes by CID, for nodes currently loaded (re-encoding a clean node
    /// reproduces its stored bytes exactly).
    pub fn loaded_blocks(&mut self, want: &BTreeSet<Cid>) -> Vec<(Cid, Vec<u8>)> {
        self.root();
        let mut out = Vec::new();
        if let Some(root) = self.root.as_deref() {
            collect_loaded(root, want, &mut out);
        }
        out
    }
}

fn unload_node(node: &mut Node, keep_levels: usize) {
    let slots =
        std::iter::once(&mut node.left).chain(node.entries.iter_mut().map(|e| &mut e.right));
    for link in slots.flatten() {
        if let Link::Loaded(child) = link {
            match child.cid {
                // A node with a CID is unchanged, and so is everything below it (a change
                // clears the CIDs of the whole path above it).
                Some(cid) if keep_levels == 0 => *link = Link::Stored(cid),
                _ => unload_node(child, keep_levels.saturating_sub(1)),
            }
        }
    }
}

fn collect_loaded(node: &Node, want: &BTreeSet<Cid>, out: &mut Vec<(Cid, Vec<u8>)>) {
    if let Some(c) = node.cid
        && want.contains(&c)
    {
        out.push((c, node.encode()));
    }
    let children = std::iter::once(&node.left).chain(node.entries.iter().map(|e| &e.right));
    for child in children {
        if let Some(Link::Loaded(n)) = child {
            collect_loaded(n, want, out);
        }
    }
}

/// Wraps a subtree at layer `from` in key-less nodes up to layer `to`.
fn pad(mut link: Option<Link>, from: u32, to: u32) -> Option<Link> {
    link.as_ref()?;
    for layer in from + 1..=to {
        let mut n = Node::empty(layer);
        n.left = link;
        link = Some(Link::Loaded(Box::new(n)));
    }
    link
}

fn normalize(node: Box<Node>) -> Option<Link> {
    if node.is_empty() {
        None
    } else {
        Some(Link::Loaded(node))
    }
}

/// Splits a subtree at `layer` around `key` (which it does not contain) into the part below
/// the key and the part above it.
fn split<S: BlockStore + ?Sized>(
    link: Option<Link>,
    store: &S,
    layer: u32,
    key: &str,
    removed: &mut Vec<Cid>,
) -> Result<(Option<Link>, Option<Link>), MstError> {
    let Some(link) = link else {
        return Ok((None, None));
    };
    let mut node = into_node(link, store, layer)?;
    node.touch(removed);
    let pos = node.position(key);
    let child = node.slot_mut(pos).take();
    let (child_l, child_r) = if layer == 0 {
        (None, None)
    } else {
        split(child, store, layer - 1, key, removed)?
    };
    let mut right = Box::new(Node::empty(layer));
    right.left = child_r;
    right.entries = node.entries.split_off(pos);
    *node.slot_mut(pos) = child_l;
    Ok((normalize(node), normalize(right)))
}

fn insert_into<S: BlockStore + ?Sized>(
    node: &mut Node,
    store: &S,
    key: &str,
    value: Cid,
    layer: u32,
    removed: &mut Vec<Cid>,
) -> Result<Option<Cid>, MstError> {
    let pos = node.position(key);
    if layer == node.layer {
        if let Some(e) = node.entries.get_mut(pos)
            && &*e.key == key
        {
            let old = e.value;
            if old != value {
                e.value = value;
                node.touch(removed);
            }
            return Ok(Some(old));
        }
        node.touch(removed);
        let child = node.slot_mut(pos).take();
        let (l, r) = if node.layer == 0 {
            (None, None)
        } else {
            split(child, store, node.layer - 1, key, removed)?
        };
        *node.slot_mut(pos) = l;
        node.entries.insert(
            pos,
            Entry {
                key: key.into(),
                value,
                right: r,
            },
        );
        return Ok(None);
    }
    // The key lives further down: descend, creating key-less nodes where the path is empty.
    let child_layer = node.layer - 1;
    let slot = node.slot_mut(pos);
    let child: &mut Node = match slot {
        Some(link) => load(link, store, child_layer)?,
        None => {
            *slot = Some(Link::Loaded(Box::new(Node::empty(child_layer))));
            match slot {
                Some(Link::Loaded(n)) => n,
                _ => unreachable!(),
            }
        }
    };
    let old = insert_into(child, store, key, value, layer, removed)?;
    if child.cid.is_none() {
        node.touch(removed);
    }
    Ok(old)
}

fn remove_from<S: BlockStore + ?Sized>(
    node: &mut Node,
    store: &S,
    key: &str,
    layer: u32,
    removed: &mut Vec<Cid>,
) -> Result<Option<Cid>, MstError> {
    if layer > node.layer {
        return Ok(None);
    }
    let pos = node.position(key);
    if layer == node.layer {
        if node.entries.get(pos).is_none_or(|e| &*e.key != key) {
            return Ok(None);
        }
        node.touch(removed);
        let entry = node.entries.remove(pos);
        let left = node.slot_mut(pos).take();
        let merged = if node.layer == 0 {
            None
        } else {
            merge(left, entry.right, store, node.layer - 1, removed)?
        };
        *node.slot_mut(pos) = merged;
        return Ok(Some(entry.value));
    }
    let child_layer = node.layer - 1;
    let Some(link) = node.slot_mut(pos) else {
        return Ok(None);
    };
    let child = load(link, store, child_layer)?;
    let old = remove_from(child, store, key, layer, removed)?;
    if old.is_some() {
        if child.is_empty() {
            *node.slot_mut(pos) = None;
        }
        node.touch(removed);
    }
    Ok(old)
}

/// Joins two adjacent subtrees at `layer` (every key of `a` below every key of `b`).
fn merge<S: BlockStore + ?Sized>(
    a: Option<Link>,
    b: Option<Link>,
    store: &S,
    layer: u32,
    removed: &mut Vec<Cid>,
) -> Result<Option<Link>, MstError> {
    let (a, b) = match (a, b) {
        (None, x) | (x, None) => return Ok(x),
        (Some(a), Some(b)) => (a, b),
    };
    let mut a = into_node(a, store, layer)?;
    let mut b = into_node(b, store, layer)?;
    a.touch(removed);
    b.touch(removed);
    let a_last = a.slot_mut(a.entries.len()).take();
    let b_first = b.left.take();
    let middle = if layer == 0 {
        None
    } else {
        merge(a_last, b_first, store, layer - 1, removed)?
    };
    let n = a.entries.len();
    *a.slot_mut(n) = middle;
    a.entries.append(&mut b.entries);
    Ok(normalize(a))
}

/// Encodes dirty nodes bottom-up, returning the node's CID.
fn flush(node: &mut Node, new_blocks: &mut Vec<(Cid, Vec<u8>)>) -> Cid {
    if let Some(cid) = node.cid {
        return cid;
    }
    if let Some(Link::Loaded(child)) = &mut node.left {
        flush(child, new_blocks);
    }
    for e in &mut node.entries {
        if let Some(Link::Loaded(child)) = &mut e.right {
            flush(child, new_blocks);
        }
    }
    let bytes = node.encode();
    let cid = Cid::for_dag_cbor(&bytes);
    node.cid = Some(cid);
    new_blocks.push((cid, bytes));
    cid
}

fn walk_node<S: BlockStore + ?Sized>(
    node: &mut Node,
    store: &S,
    from: Option<&str>,
    to: Option<&str>,
    reverse: bool,
    f: &mut dyn FnMut(&str, &Cid) -> ControlFlow<()>,
) -> Result<ControlFlow<()>, MstError> {
    let n = node.entries.len();
    let child_layer = node.layer.saturating_sub(1);
    // Slot i lies between entry i-1 and entry i; it can hold keys in range only if the
    // entry after it is above `from` and the entry before it is below `to`.
    let slot_in_range = |node: &Node, i: usize| -> bool {
        let after_ok = i == n || from.is_none_or(|lo| &*node.entries[i].key > lo);
        let before_ok = i == 0 || to.is_none_or(|hi| &*node.entries[i - 1].key < hi);
        after_ok && before_ok
    };
    let key_in_range = |k: &str| from.is_none_or(|lo| k >= lo) && to.is_none_or(|hi| k < hi);
    let order: Box<dyn Iterator<Item = usize>> = if reverse {
        Box::new((0..=n).rev())
    } else {
        Box::new(0..=n)
    };
    for i in order {
        // Forward: slot i, then entry i. Reverse: entry i, then slot i.
        if reverse && i < n {
            let e = &node.entries[i];
            if from.is_some_and(|lo| &*e.key < lo) {
                return Ok(ControlFlow::Break(()));
            }
            if key_in_range(&e.key) && f(&e.key, &e.value).is_break() {
                return Ok(ControlFlow::Break(()));
            }
        }
        if node.slot(i).is_some() && slot_in_range(node, i) {
            let link = node.slot_mut(i).as_mut().expect("checked");
            let child = load(link, store, child_layer)?;
            if walk_node(child, store, from, to, reverse, f)?.is_break() {
                return Ok(ControlFlow::Break(()));
            }
        }
        if !reverse && i < n {
            let e = &node.entries[i];
            if to.is_some_and(|hi| &*e.key >= hi) {
                return Ok(ControlFlow::Break(()));
            }
            if key_in_range(&e.key) && f(&e.key, &e.value).is_break() {
                return Ok(ControlFlow::Break(()));
            }
        }
    }
    Ok(ControlFlow::Continue(()))
}

// The three proof walks below reproduce which nodes the reference implementation includes in
// a commit's proof, so the blocks we put on the firehose are the ones consumers expect.

fn child_of<'a, S: BlockStore + ?Sized>(
    node: &'a mut Node,
    store: &S,
    pos: usize,
) -> Result<Option<&'a mut Node>, MstError> {
    let layer = node.layer.saturating_sub(1);
    match node.slot_mut(pos) {
        None => Ok(None),
        Some(link) => load(link, store, layer).map(Some),
    }
}

/// Where the proof walks put the nodes they visit: their CIDs, or their CIDs and bytes.
trait ProofSink {
    fn add(&mut self, node: &Node);
}

impl ProofSink for BTreeSet<Cid> {
    fn add(&mut self, node: &Node) {
        self.insert(node.cid.expect("flushed"));
    }
}

impl ProofSink for BTreeMap<Cid, Vec<u8>> {
    fn add(&mut self, node: &Node) {
        self.entry(node.cid.expect("flushed"))
            .or_insert_with(|| node.encode());
    }
}

/// The path to `key` if present; if absent, the path down through the subtrees it would fall
/// in (a node whose gap at the key holds no subtree contributes nothing by itself).
fn proof_for_key<S: BlockStore + ?Sized>(
    node: &mut Node,
    store: &S,
    key: &str,
    out: &mut impl ProofSink,
) -> Result<(), MstError> {
    let pos = node.position(key);
    if node.entries.get(pos).is_some_and(|e| &*e.key == key) {
        out.add(node);
        return Ok(());
    }
    if let Some(child) = child_of(node, store, pos)? {
        proof_for_key(child, store, key, out)?;
        out.add(node);
    }
    Ok(())
}

/// The path to the greatest key below `key`.
fn proof_for_left_neighbour<S: BlockStore + ?Sized>(
    node: &mut Node,
    store: &S,
    key: &str,
    out: &mut impl ProofSink,
) -> Result<(), MstError> {
    out.add(node);
    let pos = node.position(key);
    if let Some(child) = child_of(node, store, pos)? {
        proof_for_left_neighbour(child, store, key, out)?;
    }
    Ok(())
}

/// The path to the least key above `key`.
fn proof_for_right_neighbour<S: BlockStore + ?Sized>(
    node: &mut Node,
    store: &S,
    key: &str,
    out: &mut impl ProofSink,
) -> Result<(), MstError> {
    out.add(node);
    let pos = node.position(key);
    let n = node.entries.len();
    let next = if pos < n {
        if &*node.entries[pos].key == key {
            // Present: the successor is in the subtree right after it.
            Some(pos + 1)
        } else {
            // Absent: the subtree the key would fall in.
            Some(pos)
        }
    } else {
        // Past the last key: the rightmost subtree, if any.
        Some(n)
    };
    if let Some(slot) = next
        && let Some(child) = child_of(node, store, slot)?
    {
        proof_for_right_neighbour(child, store, key, out)?;
    }
    Ok(())
}

/// A block store wrapper that records which blocks were read.
struct RecordingStore<'a, S: ?Sized> {
    inner: &'a S,
    read: std::cell::RefCell<BTreeSet<Cid>>,
}

impl<S: BlockStore + ?Sized> BlockStore for RecordingStore<'_, S> {
    fn get_block(&self, cid: &Cid) -> Result<Option<Vec<u8>>, BlockStoreError> {
        self.read.borrow_mut().insert(*cid);
        self.inner.get_block(cid)
    }
}

/// One record operation of a commit: the key, its value before and its value after
/// (`None` for absent).
pub type KeyOp = (String, Option<Cid>, Option<Cid>);

/// Undoes `ops` on the tree rooted at `root`, applying their inverses in reverse order
/// (sync 1.1 "MST operation inversion"). Returns the root reached, which a consumer compares
/// with the commit's `prevData`, and the set of nodes that had to be read: exactly the
/// inductive proof a commit must carry for the inversion to succeed.
pub fn invert_ops<S: BlockStore + ?Sized>(
    store: &S,
    root: Cid,
    ops: &[KeyOp],
) -> Result<(Cid, BTreeSet<Cid>), MstError> {
    if ops.is_empty() {
        return Ok((root, BTreeSet::new()));
    }
    let recording = RecordingStore {
        inner: store,
        read: std::cell::RefCell::new(BTreeSet::new()),
    };
    let mut tree = Mst::load(&recording, root)?;
    for (key, old, new) in ops.iter().rev() {
        match (old, new) {
            (None, _) => {
                if tree.remove(&recording, key)?.is_none() {
                    return Err(MstError::InvalidKey(format!("{key} (created, but absent)")));
                }
            }
            (Some(old), _) => {
                let prior = tree.insert(&recording, key, *old)?;
                if prior != *new {
                    return Err(MstError::InvalidKey(format!(
                        "{key} (value does not match)"
                    )));
                }
            }
        }
    }
    let prev = tree.root();
    Ok((prev, recording.read.into_inner()))
}

/// The difference between two trees, as the mst-test-suite and the firehose describe it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MstDiff {
    /// Nodes in the new tree that are not in the old one.
    pub created_nodes: BTreeSet<Cid>,
    /// Nodes in the old tree that are not in the new one.
    pub deleted_nodes: BTreeSet<Cid>,
    /// Changed keys: (key, old value, new value); `None` for absent.
    pub ops: BTreeMap<String, (Option<Cid>, Option<Cid>)>,
}

/// Computes the difference between the trees rooted at `old` (or the empty tree) and `new`,
/// reading only the nodes that differ: identical subtrees have identical CIDs, which are met
/// at the same layer, so the walk goes top-down a layer at a time and skips every subtree
/// both sides share.
pub fn diff<S: BlockStore + ?Sized>(
    store: &S,
    old: Option<Cid>,
    new: Option<Cid>,
) -> Result<MstDiff, MstError> {
    let mut out = MstDiff::default();
    let mut old_leaves: HashMap<String, Cid> = HashMap::new();
    let mut new_leaves: HashMap<String, Cid> = HashMap::new();

    // Resolve root layers first by reading the roots.
    let mut pending: Vec<(bool, Node)> = Vec::new();
    for (side_new, root) in [(false, old), (true, new)] {
        if let Some(c) = root {
            let node = read_node(store, &c, None)?;
            pending.push((side_new, node));
        }
    }
    if let (Some(a), Some(b)) = (old, new)
        && a == b
    {
        return Ok(out);
    }
    // Nodes to expand, grouped by layer; process highest first.
    let mut by_layer: BTreeMap<u32, (Vec<Node>, Vec<Node>)> = BTreeMap::new();
    for (side_new, node) in pending {
        let slot = by_layer.entry(node.layer).or_default();
        if side_new {
            slot.1.push(node);
        } else {
            slot.0.push(node);
        }
    }
    while let Some((layer, (olds, news))) = by_layer.pop_last() {
        // Drop nodes present on both sides at this layer: shared subtrees.
        let old_cids: BTreeSet<Cid> = olds.iter().filter_map(|n| n.cid).collect();
        let new_cids: BTreeSet<Cid> = news.iter().filter_map(|n| n.cid).collect();
        for (side_new, nodes) in [(false, olds), (true, news)] {
            for node in nodes {
                let cid = node.cid.expect("read nodes have CIDs");
                let shared = if side_new {
                    old_cids.contains(&cid)
                } else {
                    new_cids.contains(&cid)
                };
                if shared {
                    continue;
                }
                if side_new {
                    out.created_nodes.insert(cid);
                } else {
                    out.deleted_nodes.insert(cid);
                }
                let leaves = if side_new {
                    &mut new_leaves
                } else {
                    &mut old_leaves
                };
                let children =
                    std::iter::once(&node.left).chain(node.entries.iter().map(|e| &e.right));
                for child in children {
                    if let Some(Link::Stored(c)) = child {
                        if layer == 0 {
                            return Err(malformed(cid, "layer 0 node has a subtree"));
                        }
                        let child_node = read_node(store, c, Some(layer - 1))?;
                        let slot = by_layer.entry(layer - 1).or_default();
                        if side_new {
                            slot.1.push(child_node);
                        } else {
                            slot.0.push(child_node);
                        }
                    }
                }
                for e in node.entries {
                    leaves.insert(e.key.into_string(), e.value);
                }
            }
        }
    }
    for (k, v) in &new_leaves {
        match old_leaves.get(k) {
            Some(old) if old == v => {}
            other => {
                out.ops.insert(k.clone(), (other.copied(), Some(*v)));
            }
        }
    }
    for (k, v) in old_leaves {
        if !new_leaves.contains_key(&k) {
            out.ops.insert(k, (Some(v), None));
        }
    }
    // An unchanged key can show up on both sides when its node changed for another reason.
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blockstore::MemoryBlockStore;

    fn store_changes(store: &mut MemoryBlockStore, mst: &mut Mst) -> Cid {
        let ch = mst.take_changes();
        for (c, b) in ch.new_blocks {
            store.put(c, b);
        }
        ch.root
    }

    fn val(i: usize) -> Cid {
        Cid::for_dag_cbor(format!("value {i}").as_bytes())
    }

    #[test]
    fn unloading_keeps_the_tree_and_reads_nodes_back_from_the_store() {
        let mut store = MemoryBlockStore::new();
        let mut mst = Mst::new();
        let keys: Vec<String> = (0..500).map(|i| format!("com.example/k{i:04}")).collect();
        for (i, k) in keys.iter().enumerate() {
            mst.insert(&store, k, Cid::for_dag_cbor(&[i as u8]))
                .unwrap();
        }
        let root = store_changes(&mut store, &mut mst);
        mst.unload(0);
        assert_eq!(mst.root(), root);
        // Changed nodes stay loaded (the store lacks them); the rest is read back.
        mst.insert(&store, "com.example/new", Cid::for_dag_cbor(b"n"))
            .unwrap();
        mst.unload(0);
        assert_eq!(
            mst.get(&store, "com.example/k0007").unwrap(),
            Some(Cid::for_dag_cbor(&[7]))
        );
        let root = store_changes(&mut store, &mut mst);
        let mut fresh = Mst::load(&store, root).unwrap();
        assert_eq!(fresh.entries(&store).unwrap().len(), 501);
        assert_eq!(mst.entries(&store).unwrap(), fresh.entries(&store).unwrap());
    }

    #[test]
    fn empty_tree_root_is_the_known_empty_node() {
        let mut mst = Mst::new();
        assert_eq!(
            mst.root().to_string(),
            "bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm"
        );
    }

    #[test]
    fn insert_get_remove_round_trip_through_a_store() {
        let mut store = MemoryBlockStore::new();
        let mut mst = Mst::new();
        for i in 0..500 {
            mst.insert(&store, &format!("com.example.record/{i:05}"), val(i))
                .unwrap();
        }
        let root = store_changes(&mut store, &mut mst);
        let mut loaded = Mst::load(&store, root).unwrap();
        for i in 0..500 {
            assert_eq!(
                loaded
                    .get(&store, &format!("com.example.record/{i:05}"))
                    .unwrap(),
                Some(val(i))
            );
        }
        assert_eq!(loaded.get(&store, "com.example.record/zzz").unwrap(), None);
        for i in (0..500).step_by(2) {
            assert_eq!(
                loaded
                    .remove(&store, &format!("com.example.record/{i:05}"))
                    .unwrap(),
                Some(val(i))
            );
        }
        let root2 = store_changes(&mut store, &mut loaded);
        let mut fresh = Mst::new();
        for i in (1..500).step_by(2) {
            fresh
                .insert(&store, &format!("com.example.record/{i:05}"), val(i))
                .unwrap();
        }
        assert_eq!(fresh.root(), root2);
    }

    #[test]
    fn removing_every_key_gives_the_empty_tree() {
        let store = MemoryBlockStore::new();
        let mut mst = Mst::new();
        let empty = mst.root();
        for i in 0..100 {
            mst.insert(&store, &format!("a.b.c/{i}"), val(i)).unwrap();
        }
        for i in 0..100 {
            mst.remove(&store, &format!("a.b.c/{i}")).unwrap();
        }
        assert_eq!(mst.root(), empty);
    }

    #[test]
    fn list_collection_pages_forward_and_backward() {
        let store = MemoryBlockStore::new();
        let mut mst = Mst::new();
        for c in ["app.a", "app.b", "app.c"] {
            for i in 0..50 {
                mst.insert(&store, &format!("{c}/{i:03}"), val(i)).unwrap();
            }
        }
        let page = mst
            .list_collection(&store, "app.b", None, false, 10)
            .unwrap();
        assert_eq!(page.len(), 10);
        assert_eq!(page[0].0, "000");
        let page2 = mst
            .list_collection(&store, "app.b", Some("009"), false, 100)
            .unwrap();
        assert_eq!(page2.len(), 40);
        assert_eq!(page2[0].0, "010");
        let rev = mst
            .list_collection(&store, "app.b", Some("010"), true, 3)
            .unwrap();
        let keys: Vec<_> = rev.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["009", "008", "007"]);
        let all: Vec<_> = mst.entries(&store).unwrap();
        assert_eq!(all.len(), 150);
        assert!(all.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn invalid_keys_are_refused() {
        let store = MemoryBlockStore::new();
        let mut mst = Mst::new();
        for k in ["", "noslash", "a/b/c", "/a", "a/", "a/b c", "a/é"] {
            assert!(mst.insert(&store, k, val(0)).is_err(), "{k}");
        }
    }
}
