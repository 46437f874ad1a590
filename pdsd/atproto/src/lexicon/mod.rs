//! Lexicon schemas (<https://atproto.com/specs/lexicon>): a [`Catalog`] of compiled schema
//! documents, and validation of records, values and XRPC parameters and bodies against it.
//!
//! Documents are checked and compiled once, when added, into the typed structures of
//! [`schema`]; validation then walks only those and the data-model [`Value`], so it allocates
//! nothing while the data is valid. References between documents are resolved by name at
//! validation time, so documents may be added in any order; [`Catalog::check_references`]
//! reports references that do not resolve once everything is loaded.
//!
//! ```
//! use atproto::lexicon::Catalog;
//! use atproto::json::record_from_json;
//!
//! let mut catalog = Catalog::new();
//! catalog
//!     .add_document(&serde_json::json!({
//!         "lexicon": 1,
//!         "id": "com.example.note",
//!         "defs": { "main": {
//!             "type": "record",
//!             "key": "tid",
//!             "record": {
//!                 "type": "object",
//!                 "required": ["text"],
//!                 "properties": { "text": { "type": "string", "maxGraphemes": 10 } }
//!             }
//!         } }
//!     }))
//!     .unwrap();
//! let ok = record_from_json(&serde_json::json!({"$type": "com.example.note", "text": "hi"})).unwrap();
//! catalog.validate_record("com.example.note", &ok).unwrap();
//! let long = record_from_json(&serde_json::json!({
//!     "$type": "com.example.note", "text": "far too long for ten"
//! }))
//! .unwrap();
//! let err = catalog.validate_record("com.example.note", &long).unwrap_err();
//! assert_eq!(err.path, "Record/text");
//! ```

mod parse;
pub mod schema;
mod validate;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::cbor::{Map, Value};
use crate::syntax::{Nsid, RecordKey, Tid};
use schema::{Body, Def, LexiconDoc, RecordDef, RecordKeyType, RefTarget, Schema};
use validate::Fail;

/// A problem with a Lexicon document (not with data).
#[derive(Debug, thiserror::Error)]
pub enum LexiconError {
    /// The document breaks a rule of the Lexicon language.
    #[error("invalid lexicon {id:?} at {location:?}: {message}")]
    Invalid {
        /// The document's `id` (empty if it has none).
        id: String,
        /// Where in the document, e.g. `defs/main/record/properties/text`.
        location: String,
        message: String,
    },
    /// A document with that id is already in the catalog.
    #[error("lexicon {0} is already in the catalog")]
    Duplicate(String),
    #[error("reading {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not valid json: {source}")]
    Json {
        path: PathBuf,
        source: serde_json::Error,
    },
}

/// Data that does not match its schema.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path} {message}")]
pub struct ValidationError {
    /// Where, from a root (`Record`, `Value`, `Params`, `Input`, `Output`) through property
    /// names and array indexes, e.g. `Record/embed/images/0/alt`.
    pub path: String,
    /// What is wrong, e.g. `must be a string`.
    pub message: String,
}

/// A set of compiled Lexicon documents, by NSID.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    docs: HashMap<String, LexiconDoc>,
}

impl Catalog {
    /// An empty catalog.
    pub fn new() -> Catalog {
        Catalog::default()
    }

    /// Checks and compiles a Lexicon document and adds it. Fails if the document is invalid or
    /// its id is already present; references to other documents are checked later, by
    /// [`Catalog::check_references`] (or fail validation when used).
    pub fn add_document(&mut self, doc: &serde_json::Value) -> Result<(), LexiconError> {
        let doc = parse::parse_document(doc)?;
        if self.docs.contains_key(&doc.id) {
            return Err(LexiconError::Duplicate(doc.id));
        }
        self.docs.insert(doc.id.clone(), doc);
        Ok(())
    }

    /// Checks and compiles a document given as JSON text.
    pub fn add_document_str(&mut self, json: &str) -> Result<(), LexiconError> {
        let doc: serde_json::Value =
            serde_json::from_str(json).map_err(|source| LexiconError::Json {
                path: PathBuf::from("<string>"),
                source,
            })?;
        self.add_document(&doc)
    }

    /// Adds every `*.json` file under `dir` (recursively, in path order) and returns how many
    /// were added. Other files are skipped. Stops at the first error; documents added before
    /// it stay in the catalog.
    pub fn add_documents_from_dir(&mut self, dir: impl AsRef<Path>) -> Result<usize, LexiconError> {
        let mut files = Vec::new();
        collect_json_files(dir.as_ref(), &mut files)?;
        files.sort();
        for path in &files {
            let text = std::fs::read_to_string(path).map_err(|source| LexiconError::Io {
                path: path.clone(),
                source,
            })?;
            let doc: serde_json::Value =
                serde_json::from_str(&text).map_err(|source| LexiconError::Json {
                    path: path.clone(),
                    source,
                })?;
            self.add_document(&doc)?;
        }
        Ok(files.len())
    }

    /// The document with that NSID.
    pub fn get(&self, nsid: &str) -> Option<&LexiconDoc> {
        self.docs.get(nsid)
    }

    /// A definition by reference: `nsid` (its `main`) or `nsid#name`.
    pub fn get_def(&self, def_ref: &str) -> Option<&Def> {
        let (nsid, name) = def_ref.split_once('#').unwrap_or((def_ref, "main"));
        self.docs.get(nsid)?.defs.get(name)
    }

    /// The record definition of a collection.
    pub fn record_def(&self, nsid: &str) -> Option<&RecordDef> {
        match self.docs.get(nsid)?.main()? {
            Def::Record(r) => Some(r),
            _ => None,
        }
    }

    /// Whether the catalog has a record definition for this collection.
    pub fn has_record(&self, nsid: &str) -> bool {
        self.record_def(nsid).is_some()
    }

    /// Number of documents.
    pub fn len(&self) -> usize {
        self.docs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    /// All documents, in no particular order.
    pub fn documents(&self) -> impl Iterator<Item = &LexiconDoc> {
        self.docs.values()
    }

    /// Checks every reference in every document: it must resolve, a `ref` must point at a data
    /// type or record, and a union member at an object or record.
    pub fn check_references(&self) -> Result<(), LexiconError> {
        let mut ids: Vec<&String> = self.docs.keys().collect();
        ids.sort();
        for id in ids {
            let doc = &self.docs[id];
            for (name, def) in &doc.defs {
                parse::visit_def_refs(def, &format!("defs/{name}"), &mut |r, in_union, loc| {
                    parse::check_ref_target(id, loc, r, in_union, self.resolve(r))
                })?;
            }
        }
        Ok(())
    }

    pub(crate) fn resolve(&self, r: &RefTarget) -> Option<&Def> {
        self.docs.get(&r.nsid)?.defs.get(&r.name)
    }

    /// Validates a record against the record definition of `collection`: the record's `$type`
    /// must be the collection, and every field must match. Fails if the catalog has no record
    /// definition for the collection (check [`Catalog::has_record`] first for optimistic
    /// validation). Values decoded from CBOR should also pass
    /// [`crate::json::check_data_model`]; JSON input converted by [`crate::json`] already has.
    pub fn validate_record(&self, collection: &str, record: &Value) -> Result<(), ValidationError> {
        let root = "Record";
        let Some(def) = self.record_def(collection) else {
            return Err(
                Fail::new(format!("has no record schema for {collection:?}")).into_error(root),
            );
        };
        validate::check_record(self, collection, def, record).map_err(|f| f.into_error(root))
    }

    /// Checks a record key against the key type of the collection's record definition.
    pub fn validate_record_key(&self, collection: &str, rkey: &str) -> Result<(), ValidationError> {
        let fail = |m: String| Err(Fail::new(m).into_error("RecordKey"));
        let Some(def) = self.record_def(collection) else {
            return fail(format!("has no record schema for {collection:?}"));
        };
        if RecordKey::new(rkey).is_err() {
            return fail(format!("{rkey:?} is not a valid record key"));
        }
        match &def.key {
            RecordKeyType::Any => Ok(()),
            RecordKeyType::Tid if Tid::new(rkey).is_ok() => Ok(()),
            RecordKeyType::Tid => fail(format!("{rkey:?} must be a tid")),
            RecordKeyType::Nsid if Nsid::new(rkey).is_ok() => Ok(()),
            RecordKeyType::Nsid => fail(format!("{rkey:?} must be an nsid")),
            RecordKeyType::Literal(l) if l == rkey => Ok(()),
            RecordKeyType::Literal(l) => fail(format!("{rkey:?} must be {l:?}")),
        }
    }

    /// Validates a value against a definition named by `nsid` (its `main`) or `nsid#name`:
    /// an object, a record (including its `$type`), or any other data type. The path root is
    /// `Value`.
    pub fn validate_value(&self, def_ref: &str, value: &Value) -> Result<(), ValidationError> {
        let root = "Value";
        let (nsid, name) = def_ref.split_once('#').unwrap_or((def_ref, "main"));
        let target = RefTarget {
            nsid: nsid.to_owned(),
            name: name.to_owned(),
        };
        let def = self.resolve(&target).ok_or_else(|| {
            Fail::new(format!("has no definition {def_ref:?} in the catalog")).into_error(root)
        })?;
        validate::check_def(self, &target, def, value, 0).map_err(|f| f.into_error(root))
    }

    /// Validates a value against a schema directly (for example one taken from a
    /// [`schema::Body`]); references in it resolve through this catalog.
    pub fn validate_schema(
        &self,
        schema: &Schema,
        value: &Value,
        root: &str,
    ) -> Result<(), ValidationError> {
        validate::check_schema(self, schema, value, 0).map_err(|f| f.into_error(root))
    }

    /// Converts and validates the HTTP query parameters of an XRPC endpoint (query, procedure or
    /// subscription `nsid`). Each `(name, value)` pair is a raw query-string parameter; array
    /// parameters repeat their name. Booleans must be `true`/`false`, integers decimal.
    /// Parameters the schema does not define are dropped. Returns the typed parameters. The
    /// path root is `Params`.
    pub fn parse_params<I, K, V>(&self, nsid: &str, pairs: I) -> Result<Map, ValidationError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let root = "Params";
        let params = match self.get(nsid).and_then(LexiconDoc::main) {
            Some(Def::Query(x) | Def::Procedure(x)) => x.parameters.as_ref(),
            Some(Def::Subscription(s)) => s.parameters.as_ref(),
            _ => {
                return Err(Fail::new(format!("has no xrpc schema for {nsid:?}")).into_error(root));
            }
        };
        let mut out = Map::new();
        let Some(params) = params else {
            return Ok(out);
        };
        for (k, v) in pairs {
            let (k, v) = (k.as_ref(), v.as_ref());
            let Some(p) = params.property(k) else {
                continue;
            };
            let err = |f: Fail| f.at(k).into_error(root);
            match &p.schema {
                Schema::Array(a) => {
                    let item = validate::parse_param(&a.items, v).map_err(err)?;
                    match out
                        .entry(k.to_owned())
                        .or_insert_with(|| Value::Array(Vec::new()))
                    {
                        Value::Array(items) => items.push(item),
                        _ => unreachable!("array parameters are stored as arrays"),
                    }
                }
                schema => {
                    if out.contains_key(k) {
                        return Err(err(Fail::new("must not be repeated")));
                    }
                    out.insert(k.to_owned(), validate::parse_param(schema, v).map_err(err)?);
                }
            }
        }
        validate::check_properties(self, params, &out, 0).map_err(|f| f.into_error(root))?;
        Ok(out)
    }

    /// Validates the JSON request body of a procedure against its input schema. Passes when
    /// the endpoint declares no input schema. The path root is `Input`.
    pub fn validate_input(&self, nsid: &str, body: &Value) -> Result<(), ValidationError> {
        let input = match self.get(nsid).and_then(LexiconDoc::main) {
            Some(Def::Procedure(x)) => x.input.as_ref(),
            _ => {
                return Err(
                    Fail::new(format!("has no procedure schema for {nsid:?}")).into_error("Input")
                );
            }
        };
        self.validate_body(input, body, "Input")
    }

    /// Validates the JSON response body of a query or procedure against its output schema.
    /// Passes when the endpoint declares no output schema. The path root is `Output`.
    pub fn validate_output(&self, nsid: &str, body: &Value) -> Result<(), ValidationError> {
        let output = match self.get(nsid).and_then(LexiconDoc::main) {
            Some(Def::Query(x) | Def::Procedure(x)) => x.output.as_ref(),
            _ => {
                return Err(
                    Fail::new(format!("has no xrpc schema for {nsid:?}")).into_error("Output")
                );
            }
        };
        self.validate_body(output, body, "Output")
    }

    fn validate_body(
        &self,
        body: Option<&Body>,
        value: &Value,
        root: &str,
    ) -> Result<(), ValidationError> {
        match body.and_then(|b| b.schema.as_ref()) {
            Some(schema) => self.validate_schema(schema, value, root),
            None => Ok(()),
        }
    }
}

fn collect_json_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), LexiconError> {
    let io = |source| LexiconError::Io {
        path: dir.to_path_buf(),
        source,
    };
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        if path.is_dir() {
            collect_json_files(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
