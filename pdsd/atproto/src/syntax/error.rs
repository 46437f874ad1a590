//! The one error type of the syntax module.

use std::fmt;

/// Which syntax type (or string format) a [`SyntaxError`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SyntaxKind {
    Did,
    Handle,
    Nsid,
    AtUri,
    RecordKey,
    Tid,
    Datetime,
    Language,
    AtIdentifier,
    Cid,
    Uri,
}

impl SyntaxKind {
    /// The lower-case name used in error messages.
    pub fn name(self) -> &'static str {
        match self {
            SyntaxKind::Did => "did",
            SyntaxKind::Handle => "handle",
            SyntaxKind::Nsid => "nsid",
            SyntaxKind::AtUri => "at-uri",
            SyntaxKind::RecordKey => "record key",
            SyntaxKind::Tid => "tid",
            SyntaxKind::Datetime => "datetime",
            SyntaxKind::Language => "language",
            SyntaxKind::AtIdentifier => "at-identifier",
            SyntaxKind::Cid => "cid",
            SyntaxKind::Uri => "uri",
        }
    }
}

impl fmt::Display for SyntaxKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A string is not valid syntax for the named type.
///
/// Messages are lower case without a trailing period and say which type and why, e.g.
/// `invalid handle: label too long` or `invalid at-uri: collection: name must start with a letter`.
/// Building one never allocates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind}: {context}{reason}")]
pub struct SyntaxError {
    kind: SyntaxKind,
    /// Empty, or the part of a compound value at fault followed by ": ".
    context: &'static str,
    reason: &'static str,
}

impl SyntaxError {
    pub(crate) const fn new(kind: SyntaxKind, reason: &'static str) -> Self {
        SyntaxError {
            kind,
            context: "",
            reason,
        }
    }

    /// The same reason, reported against an enclosing type, naming the part at fault.
    /// `context` must end in `": "`.
    pub(crate) const fn within(self, kind: SyntaxKind, context: &'static str) -> Self {
        SyntaxError {
            kind,
            context,
            reason: self.reason,
        }
    }

    /// The type the string was meant to be.
    pub fn kind(&self) -> SyntaxKind {
        self.kind
    }

    /// Why it is not, without the type prefix (e.g. `label too long`).
    pub fn reason(&self) -> &'static str {
        self.reason
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_type_and_the_reason() {
        let e = SyntaxError::new(SyntaxKind::Handle, "label too long");
        assert_eq!(e.to_string(), "invalid handle: label too long");
        let e = e.within(SyntaxKind::AtUri, "authority: ");
        assert_eq!(e.to_string(), "invalid at-uri: authority: label too long");
        assert_eq!(e.kind(), SyntaxKind::AtUri);
        assert_eq!(e.reason(), "label too long");
    }
}
