//! Signing keys, public keys and signatures as atproto uses them.
//!
//! atproto allows two curves: secp256k1 ("k256", JWT `ES256K`) and NIST P-256 ("p256", JWT
//! `ES256`). Every signature is ECDSA over the SHA-256 hash of the message, encoded as the
//! 64-byte compact form `r ‖ s`, and must be "low-S" (`s <= n/2`). DER-encoded and high-S
//! signatures are invalid.
//!
//! Public keys are written as `did:key` strings or as a `publicKeyMultibase` value: base58btc
//! (multibase `z`) over a varint multicodec prefix followed by the 33-byte compressed point.
//! Older DID documents (verification method types `EcdsaSecp256k1VerificationKey2019` and
//! `EcdsaSecp256r1VerificationKey2019`) carry the point without the multicodec prefix; see
//! [`PublicKey::from_legacy_multibase`].

use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use k256::ecdsa::signature::{Signer, Verifier};
use k256::elliptic_curve::Generate;
use k256::elliptic_curve::scalar::IsHigh;
use k256::elliptic_curve::zeroize::Zeroizing;

use crate::multibase::{self, MultibaseError};

/// `did:key:` method prefix.
pub const DID_KEY_PREFIX: &str = "did:key:";

/// Verification method type of current atproto DID documents (key in multicodec form).
pub const MULTIKEY_SUITE: &str = "Multikey";

/// Length of a compact `r ‖ s` signature.
pub const SIGNATURE_LEN: usize = 64;

/// Length of a private key (a big-endian scalar).
pub const PRIVATE_KEY_LEN: usize = 32;

/// Length of a SEC1 compressed point.
pub const COMPRESSED_POINT_LEN: usize = 33;

const UNCOMPRESSED_POINT_LEN: usize = 65;

/// Multicodec `secp256k1-pub` (0xe7) as an unsigned varint.
const K256_PUB_PREFIX: [u8; 2] = [0xe7, 0x01];
/// Multicodec `p256-pub` (0x1200) as an unsigned varint.
const P256_PUB_PREFIX: [u8; 2] = [0x80, 0x24];
/// Multicodec `secp256k1-priv` (0x1301) as an unsigned varint.
const K256_PRIV_PREFIX: [u8; 2] = [0x81, 0x26];
/// Multicodec `p256-priv` (0x1306) as an unsigned varint.
const P256_PRIV_PREFIX: [u8; 2] = [0x86, 0x26];

/// Errors from parsing keys and verifying signatures.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    #[error("invalid private key: expected 32 bytes encoding a scalar in [1, n-1]")]
    InvalidPrivateKey,
    #[error("invalid public key: not a valid point on the curve")]
    InvalidPublicKey,
    #[error("not a did:key")]
    NotDidKey,
    #[error("expected a base58btc multibase string (z prefix)")]
    NotBase58Btc,
    #[error("invalid key encoding: {0}")]
    Encoding(#[from] MultibaseError),
    #[error("missing or unsupported multicodec key prefix")]
    UnsupportedKeyType,
    #[error("signature must be exactly 64 bytes (r||s), got {0} bytes")]
    SignatureLength(usize),
    #[error("signature r or s is out of range")]
    MalformedSignature,
    #[error("signature is not low-s")]
    HighS,
    #[error("signature verification failed")]
    BadSignature,
}

/// The two curves atproto allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyType {
    /// secp256k1, JWT `ES256K`.
    K256,
    /// NIST P-256 (secp256r1), JWT `ES256`.
    P256,
}

impl KeyType {
    /// Both key types.
    pub const ALL: [KeyType; 2] = [KeyType::K256, KeyType::P256];

    /// JWT/JWS `alg` name: `ES256K` or `ES256`.
    pub const fn jwt_alg(self) -> &'static str {
        match self {
            KeyType::K256 => "ES256K",
            KeyType::P256 => "ES256",
        }
    }

    /// Parses a JWT/JWS `alg` name.
    pub fn from_jwt_alg(alg: &str) -> Option<Self> {
        match alg {
            "ES256K" => Some(KeyType::K256),
            "ES256" => Some(KeyType::P256),
            _ => None,
        }
    }

    /// Legacy DID document verification method type for this curve.
    pub const fn did_doc_suite(self) -> &'static str {
        match self {
            KeyType::K256 => "EcdsaSecp256k1VerificationKey2019",
            KeyType::P256 => "EcdsaSecp256r1VerificationKey2019",
        }
    }

    /// Parses a legacy DID document verification method type.
    pub fn from_did_doc_suite(suite: &str) -> Option<Self> {
        match suite {
            "EcdsaSecp256k1VerificationKey2019" => Some(KeyType::K256),
            "EcdsaSecp256r1VerificationKey2019" => Some(KeyType::P256),
            _ => None,
        }
    }

    /// Varint multicodec prefix of a public key of this type.
    pub const fn public_multicodec(self) -> [u8; 2] {
        match self {
            KeyType::K256 => K256_PUB_PREFIX,
            KeyType::P256 => P256_PUB_PREFIX,
        }
    }

    /// Varint multicodec prefix of a private key of this type.
    pub const fn private_multicodec(self) -> [u8; 2] {
        match self {
            KeyType::K256 => K256_PRIV_PREFIX,
            KeyType::P256 => P256_PRIV_PREFIX,
        }
    }

    fn from_public_multicodec(prefix: &[u8]) -> Option<Self> {
        match prefix {
            p if p == K256_PUB_PREFIX => Some(KeyType::K256),
            p if p == P256_PUB_PREFIX => Some(KeyType::P256),
            _ => None,
        }
    }

    fn from_private_multicodec(prefix: &[u8]) -> Option<Self> {
        match prefix {
            p if p == K256_PRIV_PREFIX => Some(KeyType::K256),
            p if p == P256_PRIV_PREFIX => Some(KeyType::P256),
            _ => None,
        }
    }
}

impl fmt::Display for KeyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeyType::K256 => "secp256k1",
            KeyType::P256 => "p256",
        })
    }
}

/// Strips the multibase `z` and decodes base58btc.
fn decode_base58_multibase(s: &str) -> Result<Vec<u8>, CryptoError> {
    let body = s.strip_prefix('z').ok_or(CryptoError::NotBase58Btc)?;
    Ok(multibase::base58btc_decode(body)?)
}

/// `z` + base58btc of `prefix ‖ body` (`body` at most an uncompressed point).
fn encode_base58_multibase(prefix: &[u8; 2], body: &[u8]) -> String {
    // Zeroed on drop: it may hold private key material.
    let mut buf = Zeroizing::new([0u8; 2 + UNCOMPRESSED_POINT_LEN]);
    let len = 2 + body.len();
    buf[..2].copy_from_slice(prefix);
    buf[2..len].copy_from_slice(body);
    multibase::encode(multibase::Base::Base58Btc, &buf[..len])
}

// ---------------------------------------------------------------------------------------------
// Signing keys
// ---------------------------------------------------------------------------------------------

#[derive(Clone, PartialEq, Eq)]
enum SigningInner {
    K256(k256::ecdsa::SigningKey),
    P256(p256::ecdsa::SigningKey),
}

/// A private key on either curve. The key material is zeroed when dropped and never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKey {
    inner: SigningInner,
}

impl SigningKey {
    /// Generates a new random key from the operating system's random number generator.
    ///
    /// # Panics
    /// Only if the operating system cannot provide random bytes.
    pub fn generate(key_type: KeyType) -> Self {
        let inner = match key_type {
            KeyType::K256 => SigningInner::K256(k256::ecdsa::SigningKey::generate()),
            KeyType::P256 => SigningInner::P256(p256::ecdsa::SigningKey::generate()),
        };
        SigningKey { inner }
    }

    /// Imports a private key from its 32 big-endian bytes.
    pub fn from_bytes(key_type: KeyType, bytes: &[u8]) -> Result<Self, CryptoError> {
        let bytes: &[u8; PRIVATE_KEY_LEN] = bytes
            .try_into()
            .map_err(|_| CryptoError::InvalidPrivateKey)?;
        let inner = match key_type {
            KeyType::K256 => k256::ecdsa::SigningKey::from_bytes(bytes.into())
                .map(SigningInner::K256)
                .map_err(|_| CryptoError::InvalidPrivateKey)?,
            KeyType::P256 => p256::ecdsa::SigningKey::from_bytes(bytes.into())
                .map(SigningInner::P256)
                .map_err(|_| CryptoError::InvalidPrivateKey)?,
        };
        Ok(SigningKey { inner })
    }

    /// Imports a private key from 64 hex digits (either case).
    pub fn from_hex(key_type: KeyType, hex: &str) -> Result<Self, CryptoError> {
        if hex.len() != PRIVATE_KEY_LEN * 2 {
            return Err(CryptoError::InvalidPrivateKey);
        }
        let bytes = Zeroizing::new(multibase::hex_decode(hex)?);
        Self::from_bytes(key_type, &bytes)
    }

    /// Imports a private key in the multibase form the reference tooling exports: `z` + base58btc
    /// of the multicodec `secp256k1-priv`/`p256-priv` prefix and the 32 key bytes.
    pub fn from_multibase(s: &str) -> Result<Self, CryptoError> {
        let bytes = Zeroizing::new(decode_base58_multibase(s)?);
        if bytes.len() < 2 {
            return Err(CryptoError::UnsupportedKeyType);
        }
        let (prefix, key) = bytes.split_at(2);
        let key_type =
            KeyType::from_private_multicodec(prefix).ok_or(CryptoError::UnsupportedKeyType)?;
        Self::from_bytes(key_type, key)
    }

    /// The curve of this key.
    pub fn key_type(&self) -> KeyType {
        match self.inner {
            SigningInner::K256(_) => KeyType::K256,
            SigningInner::P256(_) => KeyType::P256,
        }
    }

    /// The 32 big-endian private key bytes. Treat the result as secret.
    pub fn to_bytes(&self) -> [u8; PRIVATE_KEY_LEN] {
        match &self.inner {
            SigningInner::K256(k) => k.to_bytes().into(),
            SigningInner::P256(k) => k.to_bytes().into(),
        }
    }

    /// The private key as 64 lower-case hex digits. Treat the result as secret.
    pub fn to_hex(&self) -> String {
        let bytes = Zeroizing::new(self.to_bytes());
        multibase::hex_encode(bytes.as_slice())
    }

    /// The private key as multibase (`z` + base58btc of the private-key multicodec prefix and
    /// the 32 key bytes), as the reference tooling exports it. Treat the result as secret.
    pub fn to_multibase(&self) -> String {
        let bytes = Zeroizing::new(self.to_bytes());
        encode_base58_multibase(&self.key_type().private_multicodec(), bytes.as_slice())
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        match &self.inner {
            SigningInner::K256(k) => PublicKey::from_k256(*k.verifying_key()),
            SigningInner::P256(k) => PublicKey::from_p256(*k.verifying_key()),
        }
    }

    /// Signs `msg`: deterministic (RFC 6979) ECDSA over SHA-256(msg), returned as compact
    /// `r ‖ s`, always low-S.
    pub fn sign(&self, msg: &[u8]) -> [u8; SIGNATURE_LEN] {
        match &self.inner {
            // k256 already produces low-S signatures.
            SigningInner::K256(k) => {
                let sig: k256::ecdsa::Signature = k.sign(msg);
                sig.to_bytes().into()
            }
            // p256 does not normalize: about half its signatures are high-S.
            SigningInner::P256(k) => {
                let sig: p256::ecdsa::Signature = k.sign(msg);
                sig.normalize_s().to_bytes().into()
            }
        }
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("key_type", &self.key_type())
            .field("public_key", &self.public_key().to_did_key())
            .finish_non_exhaustive()
    }
}

// ---------------------------------------------------------------------------------------------
// Public keys
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy)]
enum VerifyingInner {
    K256(k256::ecdsa::VerifyingKey),
    P256(p256::ecdsa::VerifyingKey),
}

/// A public key on either curve, parsed and ready to verify, with its compressed encoding.
#[derive(Clone, Copy)]
pub struct PublicKey {
    inner: VerifyingInner,
    compressed: [u8; COMPRESSED_POINT_LEN],
}

impl PublicKey {
    fn from_k256(vk: k256::ecdsa::VerifyingKey) -> Self {
        let mut compressed = [0u8; COMPRESSED_POINT_LEN];
        compressed.copy_from_slice(vk.to_sec1_point(true).as_bytes());
        PublicKey {
            inner: VerifyingInner::K256(vk),
            compressed,
        }
    }

    fn from_p256(vk: p256::ecdsa::VerifyingKey) -> Self {
        let mut compressed = [0u8; COMPRESSED_POINT_LEN];
        compressed.copy_from_slice(vk.to_sec1_point(true).as_bytes());
        PublicKey {
            inner: VerifyingInner::P256(vk),
            compressed,
        }
    }

    /// Imports a SEC1 point: 33-byte compressed or 65-byte uncompressed.
    pub fn from_sec1_bytes(key_type: KeyType, bytes: &[u8]) -> Result<Self, CryptoError> {
        if bytes.len() != COMPRESSED_POINT_LEN && bytes.len() != UNCOMPRESSED_POINT_LEN {
            return Err(CryptoError::InvalidPublicKey);
        }
        match key_type {
            KeyType::K256 => k256::ecdsa::VerifyingKey::from_sec1_bytes(bytes)
                .map(Self::from_k256)
                .map_err(|_| CryptoError::InvalidPublicKey),
            KeyType::P256 => p256::ecdsa::VerifyingKey::from_sec1_bytes(bytes)
                .map(Self::from_p256)
                .map_err(|_| CryptoError::InvalidPublicKey),
        }
    }

    /// Imports multicodec-prefixed key bytes (`secp256k1-pub` or `p256-pub`, then a SEC1 point).
    fn from_multicodec_bytes(bytes: &[u8]) -> Result<Self, CryptoError> {
        if bytes.len() < 2 {
            return Err(CryptoError::UnsupportedKeyType);
        }
        let (prefix, point) = bytes.split_at(2);
        let key_type =
            KeyType::from_public_multicodec(prefix).ok_or(CryptoError::UnsupportedKeyType)?;
        Self::from_sec1_bytes(key_type, point)
    }

    /// Parses `did:key:z...` (multicodec `secp256k1-pub` or `p256-pub`).
    pub fn from_did_key(did: &str) -> Result<Self, CryptoError> {
        let mb = did
            .strip_prefix(DID_KEY_PREFIX)
            .ok_or(CryptoError::NotDidKey)?;
        Self::from_multibase(mb)
    }

    /// Parses a multikey `publicKeyMultibase` value: `z` + base58btc of the multicodec prefix
    /// and the point (the part of a `did:key` after `did:key:`).
    pub fn from_multibase(s: &str) -> Result<Self, CryptoError> {
        Self::from_multicodec_bytes(&decode_base58_multibase(s)?)
    }

    /// Parses the legacy `publicKeyMultibase` of the `EcdsaSecp256k1VerificationKey2019` and
    /// `EcdsaSecp256r1VerificationKey2019` verification methods: `z` + base58btc of the bare
    /// SEC1 point (no multicodec prefix), compressed or uncompressed. The curve comes from the
    /// verification method type (see [`KeyType::from_did_doc_suite`]).
    pub fn from_legacy_multibase(key_type: KeyType, s: &str) -> Result<Self, CryptoError> {
        Self::from_sec1_bytes(key_type, &decode_base58_multibase(s)?)
    }

    /// The curve of this key.
    pub fn key_type(&self) -> KeyType {
        match self.inner {
            VerifyingInner::K256(_) => KeyType::K256,
            VerifyingInner::P256(_) => KeyType::P256,
        }
    }

    /// The 33-byte SEC1 compressed point.
    pub fn compressed_bytes(&self) -> &[u8; COMPRESSED_POINT_LEN] {
        &self.compressed
    }

    /// `did:key:z...` with the 33-byte compressed point.
    pub fn to_did_key(&self) -> String {
        let mut out = String::with_capacity(DID_KEY_PREFIX.len() + 50);
        out.push_str(DID_KEY_PREFIX);
        out.push_str(&self.to_multibase());
        out
    }

    /// The multikey `publicKeyMultibase` value: `z` + base58btc of the multicodec prefix and
    /// the compressed point.
    pub fn to_multibase(&self) -> String {
        encode_base58_multibase(&self.key_type().public_multicodec(), &self.compressed)
    }

    /// The legacy `publicKeyMultibase` form: `z` + base58btc of the bare compressed point.
    pub fn to_legacy_multibase(&self) -> String {
        multibase::encode(multibase::Base::Base58Btc, &self.compressed)
    }

    /// Verifies a compact `r ‖ s` ECDSA signature over SHA-256(msg).
    ///
    /// Rejects anything that is not exactly 64 bytes (so DER), `r` or `s` zero or not below
    /// the group order, and high-S signatures, on both curves.
    pub fn verify(&self, msg: &[u8], sig: &[u8]) -> Result<(), CryptoError> {
        let sig: &[u8; SIGNATURE_LEN] = sig
            .try_into()
            .map_err(|_| CryptoError::SignatureLength(sig.len()))?;
        match &self.inner {
            VerifyingInner::K256(vk) => {
                let sig = k256::ecdsa::Signature::from_bytes(sig.into())
                    .map_err(|_| CryptoError::MalformedSignature)?;
                if bool::from(sig.s().is_high()) {
                    return Err(CryptoError::HighS);
                }
                vk.verify(msg, &sig).map_err(|_| CryptoError::BadSignature)
            }
            VerifyingInner::P256(vk) => {
                let sig = p256::ecdsa::Signature::from_bytes(sig.into())
                    .map_err(|_| CryptoError::MalformedSignature)?;
                // p256's own verify accepts high-S.
                if bool::from(sig.s().is_high()) {
                    return Err(CryptoError::HighS);
                }
                vk.verify(msg, &sig).map_err(|_| CryptoError::BadSignature)
            }
        }
    }
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.key_type() == other.key_type() && self.compressed == other.compressed
    }
}

impl Eq for PublicKey {}

impl Hash for PublicKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.key_type().hash(state);
        self.compressed.hash(state);
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PublicKey")
            .field(&self.to_did_key())
            .finish()
    }
}

/// Formats as `did:key:z...`.
impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_did_key())
    }
}

/// Parses `did:key:z...`.
impl FromStr for PublicKey {
    type Err = CryptoError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_did_key(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSG: &[u8] = b"atproto commit bytes";

    fn is_low_s(kt: KeyType, sig: &[u8; 64]) -> bool {
        match kt {
            KeyType::K256 => {
                let s = k256::ecdsa::Signature::from_slice(sig).unwrap();
                !bool::from(s.s().is_high())
            }
            KeyType::P256 => {
                let s = p256::ecdsa::Signature::from_slice(sig).unwrap();
                !bool::from(s.s().is_high())
            }
        }
    }

    /// Turns a low-S signature into its high-S twin (s -> n - s), which ECDSA also accepts.
    fn flip_s(kt: KeyType, sig: &[u8; 64]) -> [u8; 64] {
        match kt {
            KeyType::K256 => {
                let s = k256::ecdsa::Signature::from_slice(sig).unwrap();
                let high = k256::ecdsa::Signature::from_scalars(s.r(), -*s.s()).unwrap();
                high.to_bytes().into()
            }
            KeyType::P256 => {
                let s = p256::ecdsa::Signature::from_slice(sig).unwrap();
                let high = p256::ecdsa::Signature::from_scalars(s.r(), -*s.s()).unwrap();
                high.to_bytes().into()
            }
        }
    }

    #[test]
    fn signatures_round_trip_and_are_always_low_s_on_both_curves() {
        for kt in KeyType::ALL {
            let sk = SigningKey::generate(kt);
            let pk = sk.public_key();
            assert_eq!(pk.key_type(), kt);
            for i in 0u32..200 {
                let msg = format!("message number {i}");
                let sig = sk.sign(msg.as_bytes());
                assert!(is_low_s(kt, &sig), "{kt}: signature {i} is high-S");
                pk.verify(msg.as_bytes(), &sig)
                    .unwrap_or_else(|e| panic!("{kt}: signature {i} failed: {e}"));
            }
        }
    }

    #[test]
    fn raw_p256_signatures_are_sometimes_high_s_so_normalizing_matters() {
        let sk = p256::ecdsa::SigningKey::generate();
        let high = (0u32..64)
            .filter(|i| {
                let sig: p256::ecdsa::Signature = sk.sign(&i.to_be_bytes());
                bool::from(sig.s().is_high())
            })
            .count();
        assert!(
            high > 0,
            "p256 now normalizes itself; the extra step is redundant"
        );
    }

    #[test]
    fn high_s_twin_of_a_valid_signature_is_rejected_on_both_curves() {
        for kt in KeyType::ALL {
            let sk = SigningKey::generate(kt);
            let sig = sk.sign(MSG);
            let high = flip_s(kt, &sig);
            assert_ne!(sig, high);
            assert_eq!(sk.public_key().verify(MSG, &high), Err(CryptoError::HighS));
        }
    }

    #[test]
    fn tampered_message_or_signature_or_wrong_key_fails() {
        for kt in KeyType::ALL {
            let sk = SigningKey::generate(kt);
            let pk = sk.public_key();
            let sig = sk.sign(MSG);
            assert_eq!(
                pk.verify(b"atproto commit bytez", &sig),
                Err(CryptoError::BadSignature)
            );
            let mut bad = sig;
            bad[10] ^= 1;
            assert!(pk.verify(MSG, &bad).is_err());
            let other = SigningKey::generate(kt).public_key();
            assert_eq!(other.verify(MSG, &sig), Err(CryptoError::BadSignature));
        }
    }

    #[test]
    fn signatures_that_are_not_64_bytes_or_out_of_range_are_rejected() {
        let sk = SigningKey::generate(KeyType::K256);
        let pk = sk.public_key();
        let sig = sk.sign(MSG);
        assert_eq!(
            pk.verify(MSG, &sig[..63]),
            Err(CryptoError::SignatureLength(63))
        );
        let mut long = sig.to_vec();
        long.push(0);
        assert_eq!(pk.verify(MSG, &long), Err(CryptoError::SignatureLength(65)));
        assert_eq!(
            pk.verify(MSG, &[0u8; 64]),
            Err(CryptoError::MalformedSignature)
        );
        assert_eq!(
            pk.verify(MSG, &[0xffu8; 64]),
            Err(CryptoError::MalformedSignature)
        );
    }

    #[test]
    fn did_key_and_multibase_public_keys_round_trip() {
        for kt in KeyType::ALL {
            let pk = SigningKey::generate(kt).public_key();
            let did = pk.to_did_key();
            assert!(did.starts_with("did:key:z"));
            let expected_start = match kt {
                KeyType::K256 => "did:key:zQ3s",
                KeyType::P256 => "did:key:zDna",
            };
            assert!(did.starts_with(expected_start), "{did}");
            assert_eq!(PublicKey::from_did_key(&did).unwrap(), pk);
            assert_eq!(did.parse::<PublicKey>().unwrap(), pk);
            assert_eq!(pk.to_string(), did);

            let mb = pk.to_multibase();
            assert_eq!(format!("did:key:{mb}"), did);
            assert_eq!(PublicKey::from_multibase(&mb).unwrap(), pk);

            let legacy = pk.to_legacy_multibase();
            assert_eq!(PublicKey::from_legacy_multibase(kt, &legacy).unwrap(), pk);

            assert_eq!(
                PublicKey::from_sec1_bytes(kt, pk.compressed_bytes()).unwrap(),
                pk
            );
        }
    }

    #[test]
    fn uncompressed_points_are_accepted_on_import() {
        for kt in KeyType::ALL {
            let sk = SigningKey::generate(kt);
            let pk = sk.public_key();
            let uncompressed: Vec<u8> = match &sk.inner {
                SigningInner::K256(k) => k.verifying_key().to_sec1_point(false).as_bytes().to_vec(),
                SigningInner::P256(k) => k.verifying_key().to_sec1_point(false).as_bytes().to_vec(),
            };
            assert_eq!(uncompressed.len(), 65);
            assert_eq!(PublicKey::from_sec1_bytes(kt, &uncompressed).unwrap(), pk);

            let mut prefixed = kt.public_multicodec().to_vec();
            prefixed.extend_from_slice(&uncompressed);
            let did = format!(
                "did:key:{}",
                multibase::encode(multibase::Base::Base58Btc, &prefixed)
            );
            let parsed = PublicKey::from_did_key(&did).unwrap();
            assert_eq!(parsed, pk);
            // Output is always the canonical compressed form.
            assert_eq!(parsed.to_did_key(), pk.to_did_key());
        }
    }

    #[test]
    fn malformed_did_keys_are_rejected() {
        let good = SigningKey::generate(KeyType::K256)
            .public_key()
            .to_did_key();
        assert_eq!(
            PublicKey::from_did_key(&good[8..]),
            Err(CryptoError::NotDidKey)
        );
        assert_eq!(
            PublicKey::from_did_key("did:key:bafy"),
            Err(CryptoError::NotBase58Btc)
        );
        assert!(matches!(
            PublicKey::from_did_key("did:key:z0OIl"),
            Err(CryptoError::Encoding(_))
        ));
        assert_eq!(
            PublicKey::from_did_key("did:key:z"),
            Err(CryptoError::UnsupportedKeyType)
        );
        // An ed25519 did:key (multicodec 0xed) is not an atproto signing key.
        assert_eq!(
            PublicKey::from_did_key("did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"),
            Err(CryptoError::UnsupportedKeyType)
        );
        // Right prefix, truncated point.
        let k = PublicKey::from_did_key(&good).unwrap();
        let mut short = KeyType::K256.public_multicodec().to_vec();
        short.extend_from_slice(&k.compressed_bytes()[..32]);
        let short = multibase::encode(multibase::Base::Base58Btc, &short);
        assert_eq!(
            PublicKey::from_multibase(&short),
            Err(CryptoError::InvalidPublicKey)
        );
        // Right length, but x = 2^256 - 1 is not a field element.
        let mut off_curve = [0xffu8; 33];
        off_curve[0] = 0x02;
        assert_eq!(
            PublicKey::from_sec1_bytes(KeyType::K256, &off_curve),
            Err(CryptoError::InvalidPublicKey)
        );
        // A k256 point labelled as p256 is (almost surely) not on the curve, or at least a
        // different key; either way it must not equal the original.
        if let Ok(p) = PublicKey::from_sec1_bytes(KeyType::P256, k.compressed_bytes()) {
            assert_ne!(p, k);
        }
    }

    #[test]
    fn private_keys_round_trip_through_bytes_hex_and_multibase() {
        for kt in KeyType::ALL {
            let sk = SigningKey::generate(kt);
            let bytes = sk.to_bytes();
            assert_eq!(SigningKey::from_bytes(kt, &bytes).unwrap(), sk);

            let hex = sk.to_hex();
            assert_eq!(hex.len(), 64);
            assert_eq!(SigningKey::from_hex(kt, &hex).unwrap(), sk);
            assert_eq!(SigningKey::from_hex(kt, &hex.to_uppercase()).unwrap(), sk);

            let mb = sk.to_multibase();
            assert!(mb.starts_with('z'));
            let decoded = multibase::base58btc_decode(&mb[1..]).unwrap();
            assert_eq!(&decoded[..2], &kt.private_multicodec());
            assert_eq!(&decoded[2..], &bytes);
            let back = SigningKey::from_multibase(&mb).unwrap();
            assert_eq!(back.key_type(), kt);
            assert_eq!(back, sk);
            assert_eq!(back.public_key(), sk.public_key());
        }
    }

    #[test]
    fn private_multicodec_prefixes_are_the_varints_of_0x1301_and_0x1306() {
        fn varint(mut v: u32) -> Vec<u8> {
            let mut out = Vec::new();
            loop {
                let b = (v & 0x7f) as u8;
                v >>= 7;
                if v == 0 {
                    out.push(b);
                    return out;
                }
                out.push(b | 0x80);
            }
        }
        assert_eq!(KeyType::K256.private_multicodec().to_vec(), varint(0x1301));
        assert_eq!(KeyType::P256.private_multicodec().to_vec(), varint(0x1306));
        assert_eq!(KeyType::K256.public_multicodec().to_vec(), varint(0xe7));
        assert_eq!(KeyType::P256.public_multicodec().to_vec(), varint(0x1200));
    }

    #[test]
    fn invalid_private_keys_are_rejected() {
        for kt in KeyType::ALL {
            assert_eq!(
                SigningKey::from_bytes(kt, &[0u8; 32]),
                Err(CryptoError::InvalidPrivateKey)
            );
            assert_eq!(
                SigningKey::from_bytes(kt, &[0xffu8; 32]),
                Err(CryptoError::InvalidPrivateKey)
            );
            // Short keys are not silently left-padded.
            assert_eq!(
                SigningKey::from_bytes(kt, &[1u8; 31]),
                Err(CryptoError::InvalidPrivateKey)
            );
            assert_eq!(
                SigningKey::from_hex(kt, "0102"),
                Err(CryptoError::InvalidPrivateKey)
            );
            assert!(SigningKey::from_hex(kt, &"zz".repeat(32)).is_err());
        }
        // A public key multibase is not a private key.
        let pk = SigningKey::generate(KeyType::K256).public_key();
        assert_eq!(
            SigningKey::from_multibase(&pk.to_multibase()),
            Err(CryptoError::UnsupportedKeyType)
        );
    }

    #[test]
    fn debug_output_does_not_contain_the_private_key() {
        for kt in KeyType::ALL {
            let sk = SigningKey::generate(kt);
            let dbg = format!("{sk:?} {sk:#?}");
            assert!(!dbg.contains(&sk.to_hex()), "{dbg}");
            assert!(!dbg.contains(&sk.to_multibase()), "{dbg}");
            assert!(!dbg.contains(&format!("{:?}", sk.to_bytes())), "{dbg}");
            assert!(dbg.contains(&sk.public_key().to_did_key()));
        }
    }

    #[test]
    fn key_type_names_match_the_spec() {
        assert_eq!(KeyType::K256.jwt_alg(), "ES256K");
        assert_eq!(KeyType::P256.jwt_alg(), "ES256");
        for kt in KeyType::ALL {
            assert_eq!(KeyType::from_jwt_alg(kt.jwt_alg()), Some(kt));
            assert_eq!(KeyType::from_did_doc_suite(kt.did_doc_suite()), Some(kt));
        }
        assert_eq!(KeyType::from_jwt_alg("HS256"), None);
        assert_eq!(KeyType::from_did_doc_suite(MULTIKEY_SUITE), None);
    }

    #[test]
    fn signing_is_deterministic() {
        for kt in KeyType::ALL {
            let sk = SigningKey::generate(kt);
            assert_eq!(sk.sign(MSG), sk.sign(MSG));
        }
    }
}
