//! Handles: DNS hostnames used as human-readable account names.

use super::{SyntaxError, SyntaxKind, borrow_str_impl, string_type_impls};

/// A handle such as `alice.bsky.social`, normalised to lower case on construction.
///
/// Rules (atproto.com/specs/handle): ASCII only; at most 253 characters; two or more labels
/// separated by `.`; each label 1 to 63 characters of ASCII letters, digits and `-`, not
/// starting or ending with `-`; the last label (the TLD) does not start with a digit. TLDs the
/// spec disallows for registration (`.local`, `.invalid`, ...) are still valid syntax; see
/// [`Handle::has_disallowed_tld`].
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Handle(String);

/// Longest handle accepted.
pub(crate) const MAX_LEN: usize = 253;

/// TLDs the handle spec says must not be used for handles (syntax allows them).
const DISALLOWED_TLDS: &[&str] = &[
    "alt",
    "arpa",
    "example",
    "internal",
    "invalid",
    "local",
    "localhost",
    "onion",
];

/// Checks one DNS label (used for handles and NSID authorities). Returns the reason on failure.
pub(crate) fn check_label(label: &[u8]) -> Result<(), &'static str> {
    let (Some(&first), Some(&last)) = (label.first(), label.last()) else {
        return Err("empty label");
    };
    if label.len() > 63 {
        return Err("label too long");
    }
    if !label
        .iter()
        .all(|&c| c.is_ascii_alphanumeric() || c == b'-')
    {
        return Err("invalid character");
    }
    if first == b'-' || last == b'-' {
        return Err("label must not start or end with a hyphen");
    }
    Ok(())
}

/// Checks handle syntax (either case) without allocating.
pub(crate) fn check(s: &str) -> Result<(), SyntaxError> {
    let err = |reason| SyntaxError::new(SyntaxKind::Handle, reason);
    let b = s.as_bytes();
    if b.is_empty() {
        return Err(err("empty"));
    }
    if b.len() > MAX_LEN {
        return Err(err("too long (max 253 characters)"));
    }
    let mut labels = 0usize;
    let mut tld: &[u8] = &[];
    for label in b.split(|&c| c == b'.') {
        check_label(label).map_err(err)?;
        labels += 1;
        tld = label;
    }
    if labels < 2 {
        return Err(err("must have at least two labels"));
    }
    if tld[0].is_ascii_digit() {
        return Err(err("top-level domain must not start with a digit"));
    }
    Ok(())
}

impl Handle {
    /// The placeholder handle shown for accounts whose handle does not verify.
    pub const INVALID: &'static str = "handle.invalid";

    /// Validates `s` as a handle and lower-cases it.
    pub fn new(s: &str) -> Result<Self, SyntaxError> {
        check(s)?;
        Ok(Handle(s.to_ascii_lowercase()))
    }

    /// Validates an owned string as a handle, lower-casing it in place.
    pub fn from_string(mut s: String) -> Result<Self, SyntaxError> {
        check(&s)?;
        s.make_ascii_lowercase();
        Ok(Handle(s))
    }

    /// The [`Handle::INVALID`] placeholder as a handle.
    pub fn invalid() -> Self {
        Handle(Self::INVALID.to_owned())
    }

    /// Whether this is the [`Handle::INVALID`] placeholder.
    pub fn is_invalid(&self) -> bool {
        self.0 == Self::INVALID
    }

    /// The (lower-case) handle as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The owned string.
    pub fn into_string(self) -> String {
        self.0
    }

    /// The last label, e.g. `social` for `alice.bsky.social`.
    pub fn tld(&self) -> &str {
        self.0.rsplit('.').next().unwrap_or(&self.0)
    }

    /// Whether the TLD is one the spec forbids for handles in use (`.alt`, `.arpa`, `.example`,
    /// `.internal`, `.invalid`, `.local`, `.localhost`, `.onion`). `.test` is allowed, for
    /// development.
    pub fn has_disallowed_tld(&self) -> bool {
        DISALLOWED_TLDS.contains(&self.tld())
    }
}

string_type_impls!(Handle, "a handle string");
borrow_str_impl!(Handle);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn construction_lower_cases_the_handle() {
        let h = Handle::new("XX.LCS.MIT.EDU").unwrap();
        assert_eq!(h.as_str(), "xx.lcs.mit.edu");
        let h = Handle::from_string("Alice.Bsky.Social".to_owned()).unwrap();
        assert_eq!(h, "alice.bsky.social");
        let h: Handle = "JOHN.test".parse().unwrap();
        assert_eq!(h.to_string(), "john.test");
        assert_eq!(Handle::new("a.B").unwrap(), Handle::new("A.b").unwrap());
    }

    #[test]
    fn label_and_total_length_limits() {
        let label63 = "o".repeat(63);
        assert!(Handle::new(&format!("{label63}.test")).is_ok());
        assert_eq!(
            Handle::new(&format!("o{label63}.test"))
                .unwrap_err()
                .to_string(),
            "invalid handle: label too long"
        );
        let at_limit = format!("{}.{}.{}.{}", label63, label63, label63, "a".repeat(61));
        assert_eq!(at_limit.len(), 253);
        assert!(Handle::new(&at_limit).is_ok());
        assert_eq!(
            Handle::new(&format!("a{at_limit}")).unwrap_err().reason(),
            "too long (max 253 characters)"
        );
    }

    #[test]
    fn tld_rules() {
        assert!(Handle::new("john.0").is_err());
        assert!(Handle::new("127.0.0.1").is_err());
        assert!(Handle::new("thing.a01").is_ok());
        assert!(Handle::new("john").is_err());
        let h = Handle::new(Handle::INVALID).unwrap();
        assert!(h.is_invalid() && h.has_disallowed_tld());
        assert_eq!(h, Handle::invalid());
        assert!(!Handle::new("john.test").unwrap().has_disallowed_tld());
        assert_eq!(Handle::new("a.bsky.social").unwrap().tld(), "social");
    }
}
