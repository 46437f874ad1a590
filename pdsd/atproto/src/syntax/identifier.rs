//! AT identifiers: a DID or a handle.

use super::{Did, Handle, SyntaxError, SyntaxKind, did, handle};

/// A DID or a handle, as accepted where the lexicon `at-identifier` format is used (for
/// example a `repo` parameter or an AT URI authority).
///
/// A string starting with `did:` must be a valid DID; anything else must be a valid handle (and
/// is lower-cased, like every [`Handle`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AtIdentifier {
    Did(Did),
    Handle(Handle),
}

/// Checks at-identifier syntax without allocating; errors are reported as did or handle errors.
pub(crate) fn check(s: &str) -> Result<(), SyntaxError> {
    if s.starts_with("did:") {
        did::check(s)
    } else {
        handle::check(s)
    }
}

impl AtIdentifier {
    /// Validates `s` as a DID (if it starts with `did:`) or a handle.
    pub fn new(s: &str) -> Result<Self, SyntaxError> {
        Self::from_string(s.to_owned())
    }

    /// Validates an owned string as a DID or a handle without copying it.
    pub fn from_string(s: String) -> Result<Self, SyntaxError> {
        let wrap = |e: SyntaxError| {
            let context = match e.kind() {
                SyntaxKind::Did => "did: ",
                _ => "handle: ",
            };
            e.within(SyntaxKind::AtIdentifier, context)
        };
        if s.starts_with("did:") {
            Did::from_string(s).map(AtIdentifier::Did).map_err(wrap)
        } else {
            Handle::from_string(s)
                .map(AtIdentifier::Handle)
                .map_err(wrap)
        }
    }

    /// The DID or (lower-case) handle as a string.
    pub fn as_str(&self) -> &str {
        match self {
            AtIdentifier::Did(d) => d.as_str(),
            AtIdentifier::Handle(h) => h.as_str(),
        }
    }

    /// The owned string.
    pub fn into_string(self) -> String {
        match self {
            AtIdentifier::Did(d) => d.into_string(),
            AtIdentifier::Handle(h) => h.into_string(),
        }
    }

    /// Whether this is a DID.
    pub fn is_did(&self) -> bool {
        matches!(self, AtIdentifier::Did(_))
    }

    /// Whether this is a handle.
    pub fn is_handle(&self) -> bool {
        matches!(self, AtIdentifier::Handle(_))
    }

    /// The DID, if this is one.
    pub fn as_did(&self) -> Option<&Did> {
        match self {
            AtIdentifier::Did(d) => Some(d),
            AtIdentifier::Handle(_) => None,
        }
    }

    /// The handle, if this is one.
    pub fn as_handle(&self) -> Option<&Handle> {
        match self {
            AtIdentifier::Handle(h) => Some(h),
            AtIdentifier::Did(_) => None,
        }
    }
}

impl From<Did> for AtIdentifier {
    fn from(d: Did) -> Self {
        AtIdentifier::Did(d)
    }
}

impl From<Handle> for AtIdentifier {
    fn from(h: Handle) -> Self {
        AtIdentifier::Handle(h)
    }
}

super::string_type_impls!(AtIdentifier, "a did or handle string");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dids_and_handles_are_told_apart() {
        let id = AtIdentifier::new("did:plc:abc").unwrap();
        assert!(id.is_did() && id.as_did().is_some() && id.as_handle().is_none());
        let id = AtIdentifier::new("Alice.Test").unwrap();
        assert!(id.is_handle());
        assert_eq!(id.as_str(), "alice.test");
        assert_eq!(id, AtIdentifier::from(Handle::new("alice.test").unwrap()));
    }

    #[test]
    fn errors_name_the_alternative_that_failed() {
        assert_eq!(
            AtIdentifier::new("did:thing").unwrap_err().to_string(),
            "invalid at-identifier: did: missing method-specific identifier"
        );
        assert_eq!(
            AtIdentifier::new("john..test").unwrap_err().to_string(),
            "invalid at-identifier: handle: empty label"
        );
        assert!(AtIdentifier::new("@handle").is_err());
    }
}
