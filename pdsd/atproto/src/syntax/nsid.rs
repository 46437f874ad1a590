//! Namespaced identifiers (NSIDs): lexicon, collection and XRPC method names.

use super::handle::check_label;
use super::{SyntaxError, SyntaxKind, borrow_str_impl, string_type_impls};

/// An NSID such as `app.bsky.feed.post`: a reversed domain authority (`app.bsky.feed`) and a
/// name (`post`).
///
/// Rules (atproto.com/specs/nsid): ASCII; at least three `.`-separated segments; at most 317
/// characters. The authority (all but the last segment) is at most 253 characters, each
/// segment 1 to 63 letters, digits and `-`, not starting or ending with `-`, and the first
/// segment does not start with a digit. The name is 1 to 63 ASCII letters and digits, not
/// starting with a digit, and is case-sensitive.
///
/// Interpretation notes: the 253-character authority limit is the spec's, and is enforced even
/// though one interop vector (`com.` + 40 x `middle.` + `foo`) only checks the 317 total. Digits
/// in the name are allowed (not first), as in the interop vectors (`fooBarV2`, `f00`). The
/// authority is kept as written, not lower-cased, so the string round-trips exactly.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Nsid(String);

/// Longest NSID accepted.
pub(crate) const MAX_LEN: usize = 317;
const MAX_AUTHORITY_LEN: usize = 253;

/// Checks NSID syntax without allocating.
pub(crate) fn check(s: &str) -> Result<(), SyntaxError> {
    let err = |reason| SyntaxError::new(SyntaxKind::Nsid, reason);
    let b = s.as_bytes();
    if b.len() > MAX_LEN {
        return Err(err("too long (max 317 characters)"));
    }
    let Some(dot) = b.iter().rposition(|&c| c == b'.') else {
        return Err(err("must have at least three segments"));
    };
    let (authority, name) = (&b[..dot], &b[dot + 1..]);
    let mut segments = 0usize;
    for segment in authority.split(|&c| c == b'.') {
        check_label(segment).map_err(err)?;
        if segments == 0 && segment[0].is_ascii_digit() {
            return Err(err("first segment must not start with a digit"));
        }
        segments += 1;
    }
    if segments < 2 {
        return Err(err("must have at least three segments"));
    }
    if authority.len() > MAX_AUTHORITY_LEN {
        return Err(err("domain authority too long (max 253 characters)"));
    }
    let Some(&first) = name.first() else {
        return Err(err("empty name"));
    };
    if name.len() > 63 {
        return Err(err("name too long"));
    }
    if !first.is_ascii_alphabetic() {
        return Err(err("name must start with a letter"));
    }
    if !name.iter().all(u8::is_ascii_alphanumeric) {
        return Err(err("name must be ascii letters and digits"));
    }
    Ok(())
}

impl Nsid {
    /// Validates `s` as an NSID.
    pub fn new(s: &str) -> Result<Self, SyntaxError> {
        check(s)?;
        Ok(Nsid(s.to_owned()))
    }

    /// Validates an owned string as an NSID without copying it.
    pub fn from_string(s: String) -> Result<Self, SyntaxError> {
        check(&s)?;
        Ok(Nsid(s))
    }

    /// The NSID as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The owned string.
    pub fn into_string(self) -> String {
        self.0
    }

    fn name_start(&self) -> usize {
        // Validated: there is a '.' before the name.
        self.0.rfind('.').map_or(0, |i| i + 1)
    }

    /// The authority segments as written in the NSID, e.g. `app.bsky.feed` for
    /// `app.bsky.feed.post`. See [`Nsid::domain_authority`] for the hostname order.
    pub fn authority(&self) -> &str {
        &self.0[..self.name_start() - 1]
    }

    /// The authority as a hostname (segments reversed, lower case), e.g. `feed.bsky.app`.
    pub fn domain_authority(&self) -> String {
        let mut out = String::with_capacity(self.name_start());
        for (i, segment) in self.authority().rsplit('.').enumerate() {
            if i > 0 {
                out.push('.');
            }
            out.push_str(segment);
        }
        out.make_ascii_lowercase();
        out
    }

    /// The name, e.g. `post` for `app.bsky.feed.post`.
    pub fn name(&self) -> &str {
        &self.0[self.name_start()..]
    }
}

string_type_impls!(Nsid, "an nsid string");
borrow_str_impl!(Nsid);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accessors_split_authority_and_name() {
        let n = Nsid::new("app.bsky.feed.post").unwrap();
        assert_eq!(n.authority(), "app.bsky.feed");
        assert_eq!(n.name(), "post");
        assert_eq!(n.domain_authority(), "feed.bsky.app");
        let n = Nsid::new("Com.Example.fooBar").unwrap();
        assert_eq!(n.as_str(), "Com.Example.fooBar");
        assert_eq!(n.domain_authority(), "example.com");
        assert_eq!(n.name(), "fooBar");
    }

    #[test]
    fn name_rules() {
        assert!(Nsid::new("com.example.fooBarV2").is_ok());
        assert_eq!(
            Nsid::new("com.example.2foo").unwrap_err().to_string(),
            "invalid nsid: name must start with a letter"
        );
        assert!(Nsid::new("com.example.foo-bar").is_err());
        assert!(Nsid::new("com.example.").is_err());
        assert!(Nsid::new("com.example").is_err());
        assert!(Nsid::new(&format!("com.example.{}", "a".repeat(63))).is_ok());
        assert!(Nsid::new(&format!("com.example.{}", "a".repeat(64))).is_err());
    }

    #[test]
    fn authority_is_limited_to_253_characters() {
        // 3 + 35 * 7 = 248 characters of authority; one more segment makes 255.
        let ok = format!("com{}.foo", ".middle".repeat(35));
        assert!(Nsid::new(&ok).is_ok(), "{ok}");
        let long = format!("com{}.foo", ".middle".repeat(36));
        assert_eq!(
            Nsid::new(&long).unwrap_err().reason(),
            "domain authority too long (max 253 characters)"
        );
    }
}
