//! Decentralized identifiers (generic DID syntax as atproto constrains it).

use super::{SyntaxError, SyntaxKind, borrow_str_impl, string_type_impls};

/// A DID in atproto's generic DID syntax, e.g. `did:plc:7iza6de2dwap2sbkpav7c6c6`.
///
/// Rules (atproto.com/specs/did): at most 2048 characters; starts with lower-case `did:`; the
/// method is one or more lower-case ASCII letters followed by `:`; the method-specific
/// identifier uses only ASCII letters, digits and `._:%-`, and does not end with `:` or `%`.
/// Percent-encoding is not decoded or checked further, as the spec allows. Any method is
/// accepted here; whether it is a supported method is the resolver's business.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Did(String);

/// Longest DID accepted.
pub(crate) const MAX_LEN: usize = 2048;

fn err(reason: &'static str) -> SyntaxError {
    SyntaxError::new(SyntaxKind::Did, reason)
}

/// Checks DID syntax without allocating.
pub(crate) fn check(s: &str) -> Result<(), SyntaxError> {
    let b = s.as_bytes();
    if b.len() > MAX_LEN {
        return Err(err("too long (max 2048 characters)"));
    }
    let Some(rest) = b.strip_prefix(b"did:") else {
        return Err(err("must start with \"did:\""));
    };
    let Some(colon) = rest.iter().position(|&c| c == b':') else {
        return Err(err("missing method-specific identifier"));
    };
    let (method, id) = (&rest[..colon], &rest[colon + 1..]);
    if method.is_empty() {
        return Err(err("empty method"));
    }
    if !method.iter().all(u8::is_ascii_lowercase) {
        return Err(err("method must be lower-case ascii letters"));
    }
    let Some(&last) = id.last() else {
        return Err(err("empty method-specific identifier"));
    };
    if !id
        .iter()
        .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b':' | b'%' | b'-'))
    {
        return Err(err("invalid character in method-specific identifier"));
    }
    if last == b':' || last == b'%' {
        return Err(err("must not end with ':' or '%'"));
    }
    Ok(())
}

impl Did {
    /// Validates `s` as a DID.
    pub fn new(s: &str) -> Result<Self, SyntaxError> {
        check(s)?;
        Ok(Did(s.to_owned()))
    }

    /// Validates an owned string as a DID without copying it.
    pub fn from_string(s: String) -> Result<Self, SyntaxError> {
        check(&s)?;
        Ok(Did(s))
    }

    /// The DID as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The owned string.
    pub fn into_string(self) -> String {
        self.0
    }

    /// The method, e.g. `plc` for `did:plc:...`.
    pub fn method(&self) -> &str {
        let rest = &self.0[4..];
        // Validated: a ':' follows the method.
        let end = rest.find(':').unwrap_or(rest.len());
        &rest[..end]
    }

    /// The method-specific identifier, e.g. `example.com` for `did:web:example.com`.
    pub fn identifier(&self) -> &str {
        &self.0[4 + self.method().len() + 1..]
    }

    /// Whether this is a `did:plc`.
    pub fn is_plc(&self) -> bool {
        self.method() == "plc"
    }

    /// Whether this is a `did:web`.
    pub fn is_web(&self) -> bool {
        self.method() == "web"
    }
}

string_type_impls!(Did, "a did string");
borrow_str_impl!(Did);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_and_identifier_split_at_the_second_colon() {
        let d = Did::new("did:web:localhost%3A1234").unwrap();
        assert_eq!(d.method(), "web");
        assert_eq!(d.identifier(), "localhost%3A1234");
        assert!(d.is_web() && !d.is_plc());
        let d = Did::new("did:plc:7iza6de2dwap2sbkpav7c6c6").unwrap();
        assert!(d.is_plc());
        let d = Did::new("did:method::::val").unwrap();
        assert_eq!(d.method(), "method");
        assert_eq!(d.identifier(), ":::val");
    }

    #[test]
    fn length_limit_is_2048_characters() {
        let ok = format!("did:plc:{}", "a".repeat(MAX_LEN - 8));
        assert!(Did::new(&ok).is_ok());
        let long = format!("did:plc:{}", "a".repeat(MAX_LEN - 7));
        assert_eq!(
            Did::new(&long).unwrap_err().reason(),
            "too long (max 2048 characters)"
        );
    }

    #[test]
    fn errors_say_why() {
        assert_eq!(
            Did::new("did:METHOD:val").unwrap_err().to_string(),
            "invalid did: method must be lower-case ascii letters"
        );
        assert!(Did::new("did:method:val%").is_err());
        assert!(Did::new("did:method:").is_err());
        assert!(Did::new("did::val").is_err());
        assert!(Did::new("did:method:val#frag").is_err());
    }
}
