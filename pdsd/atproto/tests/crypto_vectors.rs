//! The official atproto interop crypto vectors (tests/vectors/interop/crypto/).

use std::path::PathBuf;

use atproto::crypto::{CryptoError, KeyType, PublicKey, SigningKey};
use atproto::multibase;
use base64::Engine;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::{DecodePaddingMode, general_purpose};
use serde::Deserialize;

/// The fixtures write base64 without padding; accept either.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

fn vector(name: &str) -> String {
    let path: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "tests/vectors/interop/crypto",
        name,
    ]
    .iter()
    .collect();
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SignatureCase {
    comment: String,
    message_base64: String,
    algorithm: String,
    did_doc_suite: String,
    public_key_did: String,
    public_key_multibase: String,
    signature_base64: String,
    valid_signature: bool,
    tags: Vec<String>,
}

#[test]
fn signature_fixtures_verify_exactly_as_expected() {
    let cases: Vec<SignatureCase> =
        serde_json::from_str(&vector("signature-fixtures.json")).expect("signature-fixtures.json");
    assert_eq!(cases.len(), 6, "the INDEX lists 6 signature cases");
    for case in &cases {
        let c = &case.comment;
        let key_type = KeyType::from_jwt_alg(&case.algorithm)
            .unwrap_or_else(|| panic!("{c}: unknown algorithm {}", case.algorithm));
        assert_eq!(
            KeyType::from_did_doc_suite(&case.did_doc_suite),
            Some(key_type),
            "{c}: didDocSuite"
        );
        assert_eq!(key_type.did_doc_suite(), case.did_doc_suite, "{c}");

        let key = PublicKey::from_did_key(&case.public_key_did)
            .unwrap_or_else(|e| panic!("{c}: did:key does not parse: {e}"));
        assert_eq!(key.key_type(), key_type, "{c}: key type");
        assert_eq!(
            key.to_did_key(),
            case.public_key_did,
            "{c}: did:key round trip"
        );

        // The fixtures' publicKeyMultibase is the legacy form: the bare compressed point,
        // without a multicodec prefix.
        let legacy = PublicKey::from_legacy_multibase(key_type, &case.public_key_multibase)
            .unwrap_or_else(|e| panic!("{c}: publicKeyMultibase does not parse: {e}"));
        assert_eq!(legacy, key, "{c}: publicKeyMultibase is a different key");
        assert_eq!(
            key.to_legacy_multibase(),
            case.public_key_multibase,
            "{c}: legacy multibase"
        );

        let msg = BASE64
            .decode(&case.message_base64)
            .unwrap_or_else(|e| panic!("{c}: messageBase64: {e}"));
        let sig = BASE64
            .decode(&case.signature_base64)
            .unwrap_or_else(|e| panic!("{c}: signatureBase64: {e}"));
        let result = key.verify(&msg, &sig);
        assert_eq!(
            result.is_ok(),
            case.valid_signature,
            "{c}: expected valid={}, got {result:?}",
            case.valid_signature
        );

        // Invalid cases must fail for the reason their tags give.
        if case.tags.iter().any(|t| t == "high-s") {
            assert_eq!(result, Err(CryptoError::HighS), "{c}");
        }
        if case.tags.iter().any(|t| t == "der-encoded") {
            assert!(
                matches!(result, Err(CryptoError::SignatureLength(n)) if n != 64),
                "{c}: {result:?}"
            );
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DidKeyCase {
    #[serde(default)]
    private_key_bytes_hex: Option<String>,
    #[serde(default)]
    private_key_bytes_base58: Option<String>,
    public_did_key: String,
}

fn check_did_key_vectors(file: &str, key_type: KeyType, expected_cases: usize) {
    let cases: Vec<DidKeyCase> = serde_json::from_str(&vector(file)).expect(file);
    assert_eq!(cases.len(), expected_cases, "{file}: number of cases");
    for (i, case) in cases.iter().enumerate() {
        let c = format!("{file} case {i} ({})", case.public_did_key);
        let sk = match (&case.private_key_bytes_hex, &case.private_key_bytes_base58) {
            (Some(hex), _) => SigningKey::from_hex(key_type, hex)
                .unwrap_or_else(|e| panic!("{c}: private key hex: {e}")),
            (None, Some(b58)) => {
                let bytes = multibase::base58btc_decode(b58)
                    .unwrap_or_else(|e| panic!("{c}: private key base58: {e}"));
                SigningKey::from_bytes(key_type, &bytes)
                    .unwrap_or_else(|e| panic!("{c}: private key bytes: {e}"))
            }
            (None, None) => panic!("{c}: no private key"),
        };
        let pk = sk.public_key();
        assert_eq!(pk.key_type(), key_type, "{c}");
        assert_eq!(pk.to_did_key(), case.public_did_key, "{c}: wrong did:key");

        let parsed = PublicKey::from_did_key(&case.public_did_key)
            .unwrap_or_else(|e| panic!("{c}: did:key does not parse: {e}"));
        assert_eq!(parsed, pk, "{c}: parsed did:key differs");

        let msg = b"interop vector";
        parsed
            .verify(msg, &sk.sign(msg))
            .unwrap_or_else(|e| panic!("{c}: own signature does not verify: {e}"));
    }
}

#[test]
fn w3c_did_key_vectors_k256_private_keys_give_the_expected_did_key() {
    check_did_key_vectors("w3c_didkey_K256.json", KeyType::K256, 5);
}

#[test]
fn w3c_did_key_vectors_p256_private_keys_give_the_expected_did_key() {
    check_did_key_vectors("w3c_didkey_P256.json", KeyType::P256, 1);
}

#[test]
fn fixture_signatures_are_rejected_when_the_message_is_tampered() {
    let cases: Vec<SignatureCase> =
        serde_json::from_str(&vector("signature-fixtures.json")).expect("signature-fixtures.json");
    for case in cases.iter().filter(|c| c.valid_signature) {
        let key = PublicKey::from_did_key(&case.public_key_did).unwrap();
        let mut msg = general_purpose::STANDARD_NO_PAD
            .decode(&case.message_base64)
            .unwrap();
        let sig = general_purpose::STANDARD_NO_PAD
            .decode(&case.signature_base64)
            .unwrap();
        msg[0] ^= 1;
        assert_eq!(
            key.verify(&msg, &sig),
            Err(CryptoError::BadSignature),
            "{}",
            case.comment
        );
    }
}
