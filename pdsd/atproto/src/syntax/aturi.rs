//! AT URIs in the restricted form lexicons use: `at://authority[/collection[/rkey]]`.

use std::cmp::Ordering;
use std::hash::{Hash, Hasher};

use super::{
    AtIdentifier, Did, Handle, Nsid, RecordKey, SyntaxError, SyntaxKind, borrow_str_impl,
    identifier, nsid, recordkey, string_type_impls,
};

/// An AT URI such as `at://did:plc:abc/app.bsky.feed.post/3jzfcijpj2z2a`.
///
/// This is the restricted syntax of the lexicon `at-uri` format
/// (atproto.com/specs/at-uri-scheme): `at://` (lower case), an authority that is a valid DID
/// or handle, then optionally `/` and an NSID collection, then optionally `/` and a record
/// key. No other path segments, no empty segments (so no trailing `/`), no query (`?`) and no
/// fragment (`#`): the spec says lexicon AT URIs do not use them yet, and the interop vectors
/// reject every case that has one. At most 8192 characters.
///
/// The string is kept exactly as given (a handle authority is not lower-cased), so values
/// round-trip byte for byte; equality, ordering and hashing are those of the string.
#[derive(Clone, Debug)]
pub struct AtUri {
    uri: String,
    /// End of the authority in `uri`.
    authority_end: usize,
    /// End of the collection in `uri`; equal to `authority_end` when there is none.
    collection_end: usize,
}

/// Longest AT URI accepted.
const MAX_LEN: usize = 8 * 1024;
const PREFIX: &str = "at://";

fn err(reason: &'static str) -> SyntaxError {
    SyntaxError::new(SyntaxKind::AtUri, reason)
}

/// Checks the syntax, returning the ends of the authority and collection.
fn check(s: &str) -> Result<(usize, usize), SyntaxError> {
    if s.len() > MAX_LEN {
        return Err(err("too long (max 8192 characters)"));
    }
    let Some(rest) = s.strip_prefix(PREFIX) else {
        return Err(err("must start with \"at://\""));
    };
    if rest.contains('#') {
        return Err(err("fragment is not supported"));
    }
    if rest.contains('?') {
        return Err(err("query is not supported"));
    }
    let mut segments = rest.split('/');
    let authority = segments.next().unwrap_or_default();
    if authority.is_empty() {
        return Err(err("missing authority"));
    }
    identifier::check(authority).map_err(|e| e.within(SyntaxKind::AtUri, "authority: "))?;
    let authority_end = PREFIX.len() + authority.len();
    let Some(collection) = segments.next() else {
        return Ok((authority_end, authority_end));
    };
    if collection.is_empty() {
        return Err(err("empty path segment"));
    }
    nsid::check(collection).map_err(|e| e.within(SyntaxKind::AtUri, "collection: "))?;
    let collection_end = authority_end + 1 + collection.len();
    let Some(rkey) = segments.next() else {
        return Ok((authority_end, collection_end));
    };
    if rkey.is_empty() {
        return Err(err("empty path segment"));
    }
    recordkey::check(rkey).map_err(|e| e.within(SyntaxKind::AtUri, "record key: "))?;
    if segments.next().is_some() {
        return Err(err("too many path segments"));
    }
    Ok((authority_end, collection_end))
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Did {}
    impl Sealed for super::Handle {}
    impl Sealed for super::AtIdentifier {}
}

/// Validated identifiers that can be the authority of an [`AtUri`]: [`Did`], [`Handle`] and
/// [`AtIdentifier`].
pub trait AtUriAuthority: sealed::Sealed {
    /// The authority string.
    fn authority_str(&self) -> &str;
}

impl AtUriAuthority for Did {
    fn authority_str(&self) -> &str {
        self.as_str()
    }
}

impl AtUriAuthority for Handle {
    fn authority_str(&self) -> &str {
        self.as_str()
    }
}

impl AtUriAuthority for AtIdentifier {
    fn authority_str(&self) -> &str {
        self.as_str()
    }
}

impl AtUri {
    /// Validates `s` as an AT URI.
    pub fn new(s: &str) -> Result<Self, SyntaxError> {
        let (authority_end, collection_end) = check(s)?;
        Ok(AtUri {
            uri: s.to_owned(),
            authority_end,
            collection_end,
        })
    }

    /// Validates an owned string as an AT URI without copying it.
    pub fn from_string(s: String) -> Result<Self, SyntaxError> {
        let (authority_end, collection_end) = check(&s)?;
        Ok(AtUri {
            uri: s,
            authority_end,
            collection_end,
        })
    }

    /// `at://{authority}/{collection}/{rkey}`, the URI of a record.
    pub fn from_parts(
        authority: &impl AtUriAuthority,
        collection: &Nsid,
        rkey: &RecordKey,
    ) -> Self {
        let (a, c, r) = (
            authority.authority_str(),
            collection.as_str(),
            rkey.as_str(),
        );
        let uri = format!("{PREFIX}{a}/{c}/{r}");
        let authority_end = PREFIX.len() + a.len();
        AtUri {
            uri,
            authority_end,
            collection_end: authority_end + 1 + c.len(),
        }
    }

    /// `at://{authority}/{collection}`, the URI of a collection.
    pub fn from_collection(authority: &impl AtUriAuthority, collection: &Nsid) -> Self {
        let (a, c) = (authority.authority_str(), collection.as_str());
        let authority_end = PREFIX.len() + a.len();
        AtUri {
            uri: format!("{PREFIX}{a}/{c}"),
            authority_end,
            collection_end: authority_end + 1 + c.len(),
        }
    }

    /// `at://{authority}`, the URI of a repository.
    pub fn from_authority(authority: &impl AtUriAuthority) -> Self {
        let a = authority.authority_str();
        let authority_end = PREFIX.len() + a.len();
        AtUri {
            uri: format!("{PREFIX}{a}"),
            authority_end,
            collection_end: authority_end,
        }
    }

    /// The URI as a string.
    pub fn as_str(&self) -> &str {
        &self.uri
    }

    /// The owned string.
    pub fn into_string(self) -> String {
        self.uri
    }

    /// The authority (a DID or handle) as written.
    pub fn authority(&self) -> &str {
        &self.uri[PREFIX.len()..self.authority_end]
    }

    /// The authority parsed as an [`AtIdentifier`] (a handle is lower-cased).
    pub fn authority_identifier(&self) -> AtIdentifier {
        AtIdentifier::new(self.authority()).expect("authority validated on construction")
    }

    /// The authority as a DID, if it is one.
    pub fn did(&self) -> Option<Did> {
        match self.authority_identifier() {
            AtIdentifier::Did(d) => Some(d),
            AtIdentifier::Handle(_) => None,
        }
    }

    /// The collection NSID string, if present.
    pub fn collection(&self) -> Option<&str> {
        (self.collection_end > self.authority_end)
            .then(|| &self.uri[self.authority_end + 1..self.collection_end])
    }

    /// The collection as an [`Nsid`], if present.
    pub fn collection_nsid(&self) -> Option<Nsid> {
        self.collection()
            .map(|c| Nsid::new(c).expect("collection validated on construction"))
    }

    /// The record key string, if present.
    pub fn rkey(&self) -> Option<&str> {
        (self.collection_end < self.uri.len()).then(|| &self.uri[self.collection_end + 1..])
    }

    /// The record key as a [`RecordKey`], if present.
    pub fn record_key(&self) -> Option<RecordKey> {
        self.rkey()
            .map(|r| RecordKey::new(r).expect("record key validated on construction"))
    }
}

impl PartialEq for AtUri {
    fn eq(&self, other: &Self) -> bool {
        self.uri == other.uri
    }
}

impl Eq for AtUri {}

impl Hash for AtUri {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.uri.hash(state);
    }
}

impl PartialOrd for AtUri {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for AtUri {
    fn cmp(&self, other: &Self) -> Ordering {
        self.uri.cmp(&other.uri)
    }
}

string_type_impls!(AtUri, "an at-uri string");
borrow_str_impl!(AtUri);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accessors_return_each_part() {
        let u = AtUri::new("at://did:plc:abc/app.bsky.feed.post/3jzfcijpj2z2a").unwrap();
        assert_eq!(u.authority(), "did:plc:abc");
        assert_eq!(u.collection(), Some("app.bsky.feed.post"));
        assert_eq!(u.rkey(), Some("3jzfcijpj2z2a"));
        assert_eq!(u.did().unwrap().as_str(), "did:plc:abc");
        assert_eq!(u.collection_nsid().unwrap().name(), "post");
        assert_eq!(u.record_key().unwrap().as_str(), "3jzfcijpj2z2a");

        let u = AtUri::new("at://Alice.Test/app.bsky.actor.profile").unwrap();
        assert_eq!(u.authority(), "Alice.Test");
        assert_eq!(u.authority_identifier().as_str(), "alice.test");
        assert_eq!(u.did(), None);
        assert_eq!(u.collection(), Some("app.bsky.actor.profile"));
        assert_eq!(u.rkey(), None);

        let u = AtUri::new("at://did:plc:abc").unwrap();
        assert_eq!(u.authority(), "did:plc:abc");
        assert_eq!(u.collection(), None);
        assert_eq!(u.rkey(), None);
    }

    #[test]
    fn from_parts_builds_the_same_value_as_parsing() {
        let did = Did::new("did:plc:abc").unwrap();
        let nsid = Nsid::new("app.bsky.feed.post").unwrap();
        let rkey = RecordKey::new("self").unwrap();
        let built = AtUri::from_parts(&did, &nsid, &rkey);
        let parsed = AtUri::new("at://did:plc:abc/app.bsky.feed.post/self").unwrap();
        assert_eq!(built, parsed);
        assert_eq!(built.collection(), parsed.collection());
        assert_eq!(built.rkey(), Some("self"));
        let id = AtIdentifier::Handle(Handle::new("a.test").unwrap());
        let built = AtUri::from_collection(&id, &nsid);
        assert_eq!(built.as_str(), "at://a.test/app.bsky.feed.post");
        assert_eq!(built.rkey(), None);
        assert_eq!(built.collection(), Some("app.bsky.feed.post"));
        let built = AtUri::from_authority(&did);
        assert_eq!(built.as_str(), "at://did:plc:abc");
        assert_eq!(built.collection(), None);
    }

    #[test]
    fn errors_name_the_part_at_fault() {
        let e = |s: &str| AtUri::new(s).unwrap_err().to_string();
        assert_eq!(e("at://did:plc:abc/"), "invalid at-uri: empty path segment");
        assert_eq!(
            e("at://did:plc:abc/short/stuff"),
            "invalid at-uri: collection: must have at least three segments"
        );
        assert_eq!(
            e("at://did:plc:abc/a.b.c/%23"),
            "invalid at-uri: record key: invalid character"
        );
        assert_eq!(
            e("at://did:plc:abc#/frag"),
            "invalid at-uri: fragment is not supported"
        );
        assert_eq!(
            e("at://did:plc:abc/a.b.c/r/x"),
            "invalid at-uri: too many path segments"
        );
        assert_eq!(
            e("AT://did:plc:abc"),
            "invalid at-uri: must start with \"at://\""
        );
    }
}
