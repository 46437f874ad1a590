//! Record keys: the last path segment of a record's AT URI.

use super::{SyntaxError, SyntaxKind, Tid, borrow_str_impl, string_type_impls};

/// A record key such as `3jzfcijpj2z2a` or `self`.
///
/// Rules (atproto.com/specs/record-key): 1 to 512 characters of ASCII letters, digits and
/// `._:~-`; not `.` or `..`. Which keys a collection accepts (TID, literal, any) is a lexicon
/// question, not a syntax one.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecordKey(String);

/// Longest record key accepted.
pub(crate) const MAX_LEN: usize = 512;

/// Checks record key syntax without allocating.
pub(crate) fn check(s: &str) -> Result<(), SyntaxError> {
    let err = |reason| SyntaxError::new(SyntaxKind::RecordKey, reason);
    let b = s.as_bytes();
    if b.is_empty() {
        return Err(err("empty"));
    }
    if b.len() > MAX_LEN {
        return Err(err("too long (max 512 characters)"));
    }
    if !b
        .iter()
        .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b':' | b'~' | b'-'))
    {
        return Err(err("invalid character"));
    }
    if b == b"." || b == b".." {
        return Err(err("must not be \".\" or \"..\""));
    }
    Ok(())
}

impl RecordKey {
    /// Validates `s` as a record key.
    pub fn new(s: &str) -> Result<Self, SyntaxError> {
        check(s)?;
        Ok(RecordKey(s.to_owned()))
    }

    /// Validates an owned string as a record key without copying it.
    pub fn from_string(s: String) -> Result<Self, SyntaxError> {
        check(&s)?;
        Ok(RecordKey(s))
    }

    /// The record key as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The owned string.
    pub fn into_string(self) -> String {
        self.0
    }

    /// The key as a TID, if it is one.
    pub fn to_tid(&self) -> Option<Tid> {
        Tid::new(&self.0).ok()
    }
}

impl From<Tid> for RecordKey {
    fn from(tid: Tid) -> Self {
        RecordKey(tid.as_str().to_owned())
    }
}

impl From<&Tid> for RecordKey {
    fn from(tid: &Tid) -> Self {
        RecordKey(tid.as_str().to_owned())
    }
}

string_type_impls!(RecordKey, "a record key string");
borrow_str_impl!(RecordKey);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dots_alone_are_rejected_but_allowed_inside() {
        assert!(RecordKey::new(".").is_err());
        assert!(RecordKey::new("..").is_err());
        assert!(RecordKey::new("...").is_ok());
        assert!(RecordKey::new("self.").is_ok());
        assert_eq!(
            RecordKey::new("a/b").unwrap_err().to_string(),
            "invalid record key: invalid character"
        );
        assert!(RecordKey::new("").is_err());
    }

    #[test]
    fn tids_are_record_keys() {
        let tid = Tid::from_parts(1_700_000_000_000_000, 7);
        let key = RecordKey::from(tid);
        assert_eq!(key.as_str(), tid.as_str());
        assert_eq!(key.to_tid(), Some(tid));
        assert_eq!(RecordKey::new("self").unwrap().to_tid(), None);
    }
}
