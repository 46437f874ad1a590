//! Loose syntax checks for the lexicon `cid` and `uri` string formats.

/// Whether `s` looks like a CID string, as the lexicon `cid` format requires: 8 to 256
/// characters of ASCII letters, digits, `+` and `=`, and not a CIDv0 (`Qm...`).
///
/// This is a syntax check only, as the spec asks of the format; it does not decode the
/// multibase or check the multihash. [`crate::Cid`] parses CIDs fully.
pub fn is_valid_cid_syntax(s: &str) -> bool {
    let b = s.as_bytes();
    (8..=256).contains(&b.len())
        && b.iter()
            .all(|&c| c.is_ascii_alphanumeric() || c == b'+' || c == b'=')
        && !b.starts_with(b"Qm")
}

/// Longest URI accepted by the lexicon `uri` format (8 KiB).
const MAX_URI_LEN: usize = 8 * 1024;

/// Whether `s` looks like a URI, as the lexicon `uri` format requires: an RFC 3986 scheme
/// (a letter, then letters, digits, `+`, `-` or `.`), `:`, and a non-empty remainder with no
/// whitespace or control characters; when the remainder starts with `//` something must
/// follow it. At most 8 KiB.
///
/// Interpretation: characters beyond ASCII are tolerated in the remainder (as IRIs and the
/// reference implementation allow), and the remainder is not otherwise parsed, so this is the
/// loose check the interop vectors describe rather than a full RFC 3986 parse.
pub fn is_valid_uri_syntax(s: &str) -> bool {
    if s.len() > MAX_URI_LEN {
        return false;
    }
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    let scheme = scheme.as_bytes();
    let scheme_ok = scheme.first().is_some_and(u8::is_ascii_alphabetic)
        && scheme
            .iter()
            .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'));
    if !scheme_ok || rest.is_empty() {
        return false;
    }
    if rest.strip_prefix("//").is_some_and(str::is_empty) {
        return false;
    }
    !rest.chars().any(|c| c.is_whitespace() || c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cid_syntax() {
        assert!(is_valid_cid_syntax(
            "bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm"
        ));
        assert!(!is_valid_cid_syntax("bafy"));
        assert!(!is_valid_cid_syntax(
            "QmbWqxBEKC3P8tqsKc98xmWNzrzDtRLMiMPL8wBuTGsMnR"
        ));
        assert!(!is_valid_cid_syntax(&"b".repeat(257)));
    }

    #[test]
    fn uri_syntax() {
        assert!(is_valid_uri_syntax("https://example.com"));
        assert!(is_valid_uri_syntax("mailto:someone@example.com"));
        assert!(is_valid_uri_syntax("file:///etc/hosts"));
        assert!(is_valid_uri_syntax("https://例え.jp/パス"));
        assert!(!is_valid_uri_syntax("https://"));
        assert!(!is_valid_uri_syntax("https:"));
        assert!(!is_valid_uri_syntax("1http://example.com"));
        assert!(!is_valid_uri_syntax("https://example.com/a\tb"));
        let max = format!("https://example.com/{}", "x".repeat(MAX_URI_LEN - 20));
        assert!(is_valid_uri_syntax(&max));
        assert!(!is_valid_uri_syntax(&format!("{max}x")));
    }
}
