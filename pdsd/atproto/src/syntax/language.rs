//! BCP-47 language tags.

use super::{SyntaxError, SyntaxKind, borrow_str_impl, string_type_impls};

/// A BCP-47 language tag such as `pt-BR` or `zh-Hant`.
///
/// [`Language::new`] checks RFC 5646 well-formedness: a `langtag` (language, up to three
/// extlangs, optional script and region, variants, extensions, optional private use), a
/// private-use tag (`x-...`) or one of the grandfathered tags. Subtags are matched without
/// regard to case, except that, following the interop vectors (which reject `JA` and `jaja`),
/// the primary language subtag must be two or three lower-case letters; the 4- and 5-8-letter
/// primary subtags RFC 5646 reserves or registers are not accepted.
///
/// [`Language::new_strict`] additionally rejects tags RFC 5646 sections 2.2.9 and 4.1 make
/// invalid without a registry lookup: a repeated variant or a repeated extension singleton
/// (case-insensitive). Subtags are not checked against the IANA registry.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Language(String);

/// Irregular and regular grandfathered tags (RFC 5646 section 2.1), lower case.
const GRANDFATHERED: &[&str] = &[
    "en-gb-oed",
    "i-ami",
    "i-bnn",
    "i-default",
    "i-enochian",
    "i-hak",
    "i-klingon",
    "i-lux",
    "i-mingo",
    "i-navajo",
    "i-pwn",
    "i-tao",
    "i-tay",
    "i-tsu",
    "sgn-be-fr",
    "sgn-be-nl",
    "sgn-ch-de",
    "art-lojban",
    "cel-gaulish",
    "no-bok",
    "no-nyn",
    "zh-guoyu",
    "zh-hakka",
    "zh-min",
    "zh-min-nan",
    "zh-xiang",
];

fn err(reason: &'static str) -> SyntaxError {
    SyntaxError::new(SyntaxKind::Language, reason)
}

fn all(s: &[u8], f: fn(&u8) -> bool) -> bool {
    s.iter().all(f)
}

fn is_variant(t: &[u8]) -> bool {
    match t.len() {
        5..=8 => all(t, u8::is_ascii_alphanumeric),
        4 => t[0].is_ascii_digit() && all(t, u8::is_ascii_alphanumeric),
        _ => false,
    }
}

/// A singleton other than `x` starts an extension.
fn is_extension_singleton(t: &[u8]) -> bool {
    t.len() == 1 && t[0].is_ascii_alphanumeric() && !t[0].eq_ignore_ascii_case(&b'x')
}

fn is_private_use_prefix(t: &[u8]) -> bool {
    t.eq_ignore_ascii_case(b"x")
}

/// Checks the subtags after an `x` private-use prefix.
fn check_private_use<'a>(rest: impl Iterator<Item = &'a [u8]>) -> Result<(), SyntaxError> {
    let mut count = 0usize;
    for t in rest {
        if !(1..=8).contains(&t.len()) {
            return Err(err("private use subtags must be 1 to 8 characters"));
        }
        count += 1;
    }
    if count == 0 {
        return Err(err("private use needs at least one subtag after 'x'"));
    }
    Ok(())
}

/// Checks well-formedness; with `strict`, also rejects repeated variants and singletons.
/// Allocates only in strict mode, and only for tags with variants.
fn check(s: &str, strict: bool) -> Result<(), SyntaxError> {
    let b = s.as_bytes();
    if b.is_empty() {
        return Err(err("empty"));
    }
    if b.iter().any(|&c| !(c.is_ascii_alphanumeric() || c == b'-')) {
        return Err(err(
            "invalid character (ascii letters, digits and '-' only)",
        ));
    }
    let mut subtags = b.split(|&c| c == b'-');
    if subtags.clone().any(|t| t.is_empty()) {
        return Err(err("empty subtag"));
    }
    if subtags.clone().any(|t| t.len() > 8) {
        return Err(err("subtag longer than 8 characters"));
    }
    let primary = subtags.next().unwrap_or_default();

    if is_private_use_prefix(primary) {
        return check_private_use(subtags);
    }
    if b.len() <= 11
        && primary.iter().all(u8::is_ascii_lowercase)
        && GRANDFATHERED
            .iter()
            .any(|g| g.as_bytes().eq_ignore_ascii_case(b))
    {
        return Ok(());
    }

    // langtag = language ["-" script] ["-" region] *("-" variant) *("-" extension)
    //           ["-" privateuse], language = 2*3ALPHA ["-" extlang]
    if !(2..=3).contains(&primary.len()) || !all(primary, u8::is_ascii_lowercase) {
        return Err(err(
            "primary language subtag must be 2 or 3 lower-case letters",
        ));
    }
    let mut subtags = subtags.peekable();
    let mut extlangs = 0;
    while extlangs < 3
        && subtags
            .next_if(|t| t.len() == 3 && all(t, u8::is_ascii_alphabetic))
            .is_some()
    {
        extlangs += 1;
    }
    // script
    subtags.next_if(|t| t.len() == 4 && all(t, u8::is_ascii_alphabetic));
    // region
    subtags.next_if(|t| {
        (t.len() == 2 && all(t, u8::is_ascii_alphabetic))
            || (t.len() == 3 && all(t, u8::is_ascii_digit))
    });
    let mut variants: Vec<&[u8]> = Vec::new();
    while let Some(variant) = subtags.next_if(|t| is_variant(t)) {
        if strict {
            if variants.iter().any(|v| v.eq_ignore_ascii_case(variant)) {
                return Err(err("repeated variant subtag"));
            }
            variants.push(variant);
        }
    }
    // One bit per singleton letter or digit.
    let mut singletons = 0u64;
    while let Some(singleton) = subtags.next_if(|t| is_extension_singleton(t)) {
        let c = singleton[0].to_ascii_lowercase();
        let bit = 1u64
            << if c.is_ascii_digit() {
                c - b'0'
            } else {
                c - b'a' + 10
            };
        if strict && singletons & bit != 0 {
            return Err(err("repeated extension singleton"));
        }
        singletons |= bit;
        let mut count = 0;
        while subtags.next_if(|t| (2..=8).contains(&t.len())).is_some() {
            count += 1;
        }
        if count == 0 {
            return Err(err(
                "extension needs at least one subtag of 2 to 8 characters",
            ));
        }
    }
    match subtags.next() {
        None => Ok(()),
        Some(t) if is_private_use_prefix(t) => check_private_use(subtags),
        Some(_) => Err(err("subtag out of order or malformed")),
    }
}

impl Language {
    /// Validates `s` as a well-formed language tag.
    pub fn new(s: &str) -> Result<Self, SyntaxError> {
        check(s, false)?;
        Ok(Language(s.to_owned()))
    }

    /// Validates an owned string as a well-formed language tag without copying it.
    pub fn from_string(s: String) -> Result<Self, SyntaxError> {
        check(&s, false)?;
        Ok(Language(s))
    }

    /// Validates `s` as well formed and free of repeated variants and extension singletons.
    pub fn new_strict(s: &str) -> Result<Self, SyntaxError> {
        check(s, true)?;
        Ok(Language(s.to_owned()))
    }

    /// The tag as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The owned string.
    pub fn into_string(self) -> String {
        self.0
    }

    /// The first subtag, e.g. `pt` for `pt-BR` (`x` for a private-use tag, `i` for some
    /// grandfathered ones).
    pub fn primary(&self) -> &str {
        self.0.split('-').next().unwrap_or(&self.0)
    }
}

string_type_impls!(Language, "a language tag string");
borrow_str_impl!(Language);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_formed_tags() {
        for ok in [
            "en",
            "pt-BR",
            "zh-Hant-TW",
            "zh-yue-HK",
            "es-419",
            "sl-rozaj-biske",
            "de-CH-1996",
            "en-a-bbb-x-a-ccc",
            "x-whatever",
            "i-klingon",
            "en-GB-oed",
            "art-lojban",
        ] {
            assert!(Language::new(ok).is_ok(), "{ok}");
            assert!(Language::new_strict(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn malformed_tags() {
        for bad in [
            "",
            "e",
            "EN",
            "english",
            "en-",
            "-en",
            "en--US",
            "en-US-",
            "en-a",
            "en-a-b",
            "x",
            "en-x",
            "i-foo",
            "en-123456789",
            "de-419-DE",
            "en_US",
            "en US",
        ] {
            assert!(Language::new(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            Language::new("JA").unwrap_err().to_string(),
            "invalid language: primary language subtag must be 2 or 3 lower-case letters"
        );
    }

    #[test]
    fn strict_rejects_repeats_case_insensitively() {
        assert!(Language::new("de-DE-1901-1901").is_ok());
        assert_eq!(
            Language::new_strict("de-DE-1901-1901")
                .unwrap_err()
                .reason(),
            "repeated variant subtag"
        );
        assert_eq!(
            Language::new_strict("en-u-co-phonebk-U-ca-buddhist")
                .unwrap_err()
                .reason(),
            "repeated extension singleton"
        );
        // Repeats inside private use are fine.
        assert!(Language::new_strict("en-x-a-a").is_ok());
        assert_eq!(Language::new("pt-BR").unwrap().primary(), "pt");
    }
}
