//! Validated atproto string formats: DIDs, handles, NSIDs, AT URIs, record keys, TIDs,
//! datetimes, language tags and AT identifiers, plus loose checks for CID and URI strings.
//!
//! Every type validates on construction (hand-written byte-level checks, no regex and no
//! allocation beyond the owned string), so a value of the type is always well formed. All of
//! them display, parse, compare and (de)serialize as plain strings.
//!
//! The rules follow the atproto specifications (<https://atproto.com/specs>) and the official
//! interop syntax vectors; where they disagree the spec is followed and the difference is noted
//! on the type.

mod aturi;
mod datetime;
mod did;
mod error;
mod formats;
mod handle;
mod identifier;
mod language;
mod nsid;
mod recordkey;
mod tid;

pub use aturi::{AtUri, AtUriAuthority};
pub use datetime::Datetime;
pub use did::Did;
pub use error::{SyntaxError, SyntaxKind};
pub use formats::{is_valid_cid_syntax, is_valid_uri_syntax};
pub use handle::Handle;
pub use identifier::AtIdentifier;
pub use language::Language;
pub use nsid::Nsid;
pub use recordkey::RecordKey;
pub use tid::Tid;

/// Implements the string-like traits shared by every syntax type.
///
/// The type must have inherent `as_str(&self) -> &str`, `into_string(self) -> String` and
/// `from_string(String) -> Result<Self, SyntaxError>` methods and a `new(&str)` constructor.
macro_rules! string_type_impls {
    ($ty:ident, $expecting:literal) => {
        impl ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $ty {
            type Err = $crate::syntax::SyntaxError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::new(s)
            }
        }

        impl ::std::convert::TryFrom<String> for $ty {
            type Error = $crate::syntax::SyntaxError;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                Self::from_string(s)
            }
        }

        impl ::std::convert::TryFrom<&str> for $ty {
            type Error = $crate::syntax::SyntaxError;
            fn try_from(s: &str) -> Result<Self, Self::Error> {
                Self::new(s)
            }
        }

        impl ::std::convert::AsRef<str> for $ty {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }

        impl ::std::convert::From<$ty> for String {
            fn from(v: $ty) -> String {
                v.into_string()
            }
        }

        impl ::std::cmp::PartialEq<str> for $ty {
            fn eq(&self, other: &str) -> bool {
                self.as_str() == other
            }
        }

        impl ::std::cmp::PartialEq<&str> for $ty {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }

        impl ::serde::Serialize for $ty {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $ty {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> Result<Self, D::Error> {
                struct Visitor;
                impl ::serde::de::Visitor<'_> for Visitor {
                    type Value = $ty;
                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str($expecting)
                    }
                    fn visit_str<E: ::serde::de::Error>(self, v: &str) -> Result<$ty, E> {
                        <$ty>::new(v).map_err(E::custom)
                    }
                    fn visit_string<E: ::serde::de::Error>(self, v: String) -> Result<$ty, E> {
                        <$ty>::from_string(v).map_err(E::custom)
                    }
                }
                deserializer.deserialize_string(Visitor)
            }
        }
    };
}

/// Adds `Borrow<str>` for types whose derived `Hash`/`Eq`/`Ord` are exactly those of their
/// string form (so they can key a map looked up by `&str`).
macro_rules! borrow_str_impl {
    ($ty:ident) => {
        impl ::std::borrow::Borrow<str> for $ty {
            fn borrow(&self) -> &str {
                self.as_str()
            }
        }
    };
}

pub(crate) use borrow_str_impl;
pub(crate) use string_type_impls;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_round_trips_through_serde_json_as_a_plain_string() {
        let did: Did = serde_json::from_str("\"did:plc:7iza6de2dwap2sbkpav7c6c6\"").unwrap();
        assert_eq!(
            serde_json::to_string(&did).unwrap(),
            "\"did:plc:7iza6de2dwap2sbkpav7c6c6\""
        );
        let handle: Handle = serde_json::from_str("\"Alice.Example.COM\"").unwrap();
        assert_eq!(
            serde_json::to_string(&handle).unwrap(),
            "\"alice.example.com\""
        );
        let nsid: Nsid = serde_json::from_str("\"app.bsky.feed.post\"").unwrap();
        assert_eq!(nsid.name(), "post");
        let uri: AtUri =
            serde_json::from_str("\"at://did:plc:abc/app.bsky.feed.post/3jzfcijpj2z2a\"").unwrap();
        assert_eq!(uri.rkey(), Some("3jzfcijpj2z2a"));
        let tid: Tid = serde_json::from_str("\"3jzfcijpj2z2a\"").unwrap();
        assert_eq!(serde_json::to_string(&tid).unwrap(), "\"3jzfcijpj2z2a\"");
        let dt: Datetime = serde_json::from_str("\"1985-04-12T23:20:50.123Z\"").unwrap();
        assert_eq!(dt.as_str(), "1985-04-12T23:20:50.123Z");
        let id: AtIdentifier = serde_json::from_str("\"did:web:example.com\"").unwrap();
        assert!(id.is_did());
        let lang: Language = serde_json::from_str("\"pt-BR\"").unwrap();
        assert_eq!(lang, "pt-BR");
        let rkey: RecordKey = serde_json::from_str("\"self\"").unwrap();
        assert_eq!(rkey, "self");
    }

    #[test]
    fn deserializing_an_invalid_string_reports_the_syntax_error() {
        let err = serde_json::from_str::<Handle>("\"john..test\"").unwrap_err();
        assert!(err.to_string().contains("invalid handle"), "{err}");
        let err = serde_json::from_str::<Did>("42").unwrap_err();
        assert!(err.to_string().contains("a did string"), "{err}");
    }

    #[test]
    fn string_types_key_maps_looked_up_by_str() {
        let mut set = std::collections::HashSet::new();
        set.insert(Did::new("did:plc:abc").unwrap());
        assert!(set.contains("did:plc:abc"));
    }
}
