//! Password hashing, app passwords and random tokens.
//!
//! New hashes are argon2id PHC strings (`$argon2id$v=19$m=7168,t=5,p=2$…`): 7 MiB of memory
//! and five passes, one of the configurations OWASP's password storage cheat sheet lists as
//! equal in strength to its 19 MiB/two-pass minimum (the argon2 crate's default), chosen
//! because it keeps pdsd's resident memory lower for the same work. The two lanes are computed
//! on two threads, so a hash takes about half the time of the single-lane form. Hashes carry
//! their parameters, so the earlier `m=19456,t=2` ones (`p=1` or `p=2`) verify as before and
//! are not rehashed. [`verify_password`] also accepts the reference TypeScript PDS's scrypt
//! format (`packages/pds/src/account-manager/helpers/scrypt.ts`): `<salt>:<hex hash>`, where
//! the salt is 16 random bytes as 32 hex characters **used as a UTF-8 string** (Node passes
//! the hex string itself to `crypto.scrypt`), and the hash is scrypt(N = 16384, r = 8, p = 1,
//! 64 bytes), Node's defaults. So accounts and app passwords imported from a reference PDS
//! keep working; [`needs_rehash`] tells when to replace a stored hash after a successful login.
//!
//! Hashing and verifying take about 8 ms (two cores) and 7 MiB (argon2) or 16 MiB (scrypt) of
//! memory: call them from `tokio::task::spawn_blocking`. The argon2 working memory is kept
//! between hashes while they keep coming (a fresh 7 MiB mapping costs ~2 ms of page faults,
//! a quarter of a hash) and given back to the system by [`release_idle_hash_memory`].

use argon2::password_hash::phc::{Output, ParamsString, Salt};
use argon2::{Algorithm, Argon2, Block, PasswordHash, Version};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Longest password accepted for a new account or password change (the reference's
/// `NEW_PASSWORD_MAX_LENGTH`), counted as [`password_len`] does.
pub const PASSWORD_MAX_LEN: usize = 256;
/// Longest password [`verify_password`] will even try (the reference's
/// `OLD_PASSWORD_MAX_LENGTH`); longer ones are refused without hashing.
pub const LEGACY_PASSWORD_MAX_LEN: usize = 512;

/// scrypt parameters of the reference format: N = 2^14, r = 8, p = 1, 64-byte output.
const SCRYPT_LOG_N: u8 = 14;
const SCRYPT_R: u32 = 8;
const SCRYPT_P: u32 = 1;
const SCRYPT_KEY_LEN: usize = 64;

/// Password length as the reference measures it (JavaScript `string.length`: UTF-16 units).
pub fn password_len(password: &str) -> usize {
    password.encode_utf16().count()
}

/// argon2id memory cost of new hashes, in KiB: 7 MiB, with [`ARGON2_T_COST`] passes (OWASP's
/// `m=7168, t=5` configuration, equal in strength to its `m=19456, t=2` minimum).
const ARGON2_M_COST: u32 = 7168;
/// argon2id passes over the memory.
const ARGON2_T_COST: u32 = 5;
/// Lanes of new hashes: two, computed on two threads. The memory and work are those of the
/// single-lane form; the lanes only let it use two cores.
const ARGON2_P_COST: u32 = 2;
/// argon2id memory and time costs that OWASP lists as equally strong (KiB, passes): hashes
/// with any of them, in one or two lanes, are not rehashed. `m=19456, t=2` is what pdsd used
/// before.
const ARGON2_EQUIVALENT_COSTS: [(u32, u32); 5] =
    [(47104, 1), (19456, 2), (12288, 3), (9216, 4), (7168, 5)];

fn argon2_params() -> argon2::Params {
    argon2::Params::new(ARGON2_M_COST, ARGON2_T_COST, ARGON2_P_COST, None)
        .expect("m=7168 KiB, t=5, p=2 are valid argon2 parameters")
}

/// argon2 working memory kept from the last hash, with when it was put back.
static SPARE_MEMORY: Mutex<Option<(Vec<Block>, Instant)>> = Mutex::new(None);

/// Runs `f` with argon2 working memory of at least `blocks` blocks: the kept buffer when it is
/// free and large enough, else a new one. The buffer is kept afterwards (the larger one, if
/// two hashes ran at once) until [`release_idle_hash_memory`] frees it.
fn with_argon2_memory<T>(blocks: usize, f: impl FnOnce(&mut [Block]) -> T) -> T {
    let spare = SPARE_MEMORY
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .take();
    let mut memory = match spare {
        Some((memory, _)) if memory.len() >= blocks => memory,
        _ => vec![Block::new(); blocks],
    };
    let out = f(&mut memory);
    let mut slot = SPARE_MEMORY
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if slot
        .as_ref()
        .is_none_or(|(kept, _)| kept.len() < memory.len())
    {
        *slot = Some((memory, Instant::now()));
    }
    out
}

/// Frees the kept argon2 working memory if no hash has used it for `idle`. pdsd calls this
/// every second with one second, so the 7 MiB stay resident only while accounts are being
/// created or logging in. Returns whether memory was freed.
pub fn release_idle_hash_memory(idle: Duration) -> bool {
    let mut slot = SPARE_MEMORY
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if slot.as_ref().is_some_and(|(_, at)| at.elapsed() >= idle) {
        *slot = None;
        return true;
    }
    false
}

/// Hashes `password` with argon2id (m=7168 KiB, t=5, p=2, random 16-byte salt) into a PHC
/// string.
///
/// # Panics
/// If the OS random number generator fails.
pub fn hash_password(password: &str) -> String {
    let params = argon2_params();
    let salt: [u8; 16] = random_bytes();
    let mut out = [0u8; argon2::Params::DEFAULT_OUTPUT_LEN];
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    with_argon2_memory(params.block_count(), |memory| {
        argon2.hash_password_into_with_memory(password.as_bytes(), &salt, &mut out, memory)
    })
    .expect("argon2id hashing with fixed valid parameters and a 16-byte salt cannot fail");
    PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).expect("argon2 parameters fit a PHC string"),
        salt: Some(Salt::new(&salt).expect("16 bytes is a valid PHC salt")),
        hash: Some(Output::new(&out).expect("32 bytes is a valid PHC output")),
    }
    .to_string()
}

/// Checks `password` against a stored hash: an argon2 PHC string (`$argon2id$…`, also
/// `$argon2i$`/`$argon2d$`) or the reference PDS's scrypt `salt:hexhash`. Anything else, and
/// passwords longer than [`LEGACY_PASSWORD_MAX_LEN`], give `false`.
pub fn verify_password(password: &str, stored: &str) -> bool {
    if password_len(password) > LEGACY_PASSWORD_MAX_LEN {
        return false;
    }
    if stored.starts_with('$') {
        verify_argon2(password, stored)
    } else {
        verify_reference_scrypt(password, stored)
    }
}

/// Whether `stored` should be replaced by [`hash_password`] after the password verified: true
/// for scrypt hashes and for argon2 hashes that are not argon2id v19 with one of OWASP's
/// equally strong memory and time costs ([`ARGON2_EQUIVALENT_COSTS`]) in one or two lanes
/// (`p=1` and `p=2` hashes of the same memory and time cost are equally strong).
pub fn needs_rehash(stored: &str) -> bool {
    let Ok(hash) = PasswordHash::new(stored) else {
        return true;
    };
    let Ok(params) = argon2::Params::try_from(&hash) else {
        return true;
    };
    !(hash.algorithm.as_str() == "argon2id"
        && hash.version == Some(0x13)
        && ARGON2_EQUIVALENT_COSTS.contains(&(params.m_cost(), params.t_cost()))
        && matches!(params.p_cost(), 1 | ARGON2_P_COST))
}

fn verify_argon2(password: &str, stored: &str) -> bool {
    let Ok(hash) = PasswordHash::new(stored) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(hash.algorithm.as_str()) else {
        return false;
    };
    let Ok(version) = Version::try_from(hash.version.unwrap_or(0x13)) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&hash.salt, &hash.hash) else {
        return false;
    };
    let Ok(params) = argon2::Params::try_from(&hash) else {
        return false;
    };
    let mut out = [0u8; Output::MAX_LENGTH];
    let Some(out) = out.get_mut(..expected.len()) else {
        return false;
    };
    let argon2 = Argon2::new(algorithm, version, params.clone());
    let hashed = with_argon2_memory(params.block_count(), |memory| {
        argon2.hash_password_into_with_memory(password.as_bytes(), salt, out, memory)
    });
    hashed.is_ok() && constant_time_eq(out, expected.as_bytes())
}

fn verify_reference_scrypt(password: &str, stored: &str) -> bool {
    let Some((salt, hash_hex)) = stored.split_once(':') else {
        return false;
    };
    let Some(expected) = decode_hex(hash_hex) else {
        return false;
    };
    if expected.len() != SCRYPT_KEY_LEN {
        return false;
    }
    constant_time_eq(&scrypt_derive(password, salt), &expected)
}

fn scrypt_derive(password: &str, salt: &str) -> [u8; SCRYPT_KEY_LEN] {
    let params = scrypt::Params::new(SCRYPT_LOG_N, SCRYPT_R, SCRYPT_P)
        .expect("N=16384, r=8, p=1 are valid scrypt parameters");
    let mut out = [0u8; SCRYPT_KEY_LEN];
    scrypt::scrypt(password.as_bytes(), salt.as_bytes(), &params, &mut out)
        .expect("64 bytes is a valid scrypt output length");
    out
}

/// A hash in the reference's scrypt format with the given salt string: `salt:hexhash`, the
/// reference's `hashWithSalt`. For import tooling and tests; new hashes use [`hash_password`].
pub fn scrypt_hash_with_salt(password: &str, salt: &str) -> String {
    format!("{salt}:{}", encode_hex(&scrypt_derive(password, salt)))
}

/// The reference's deterministic app password hash (`hashAppPassword`): scrypt with the salt
/// `hex(sha256(did)[..16])`. The reference finds an app password by equality on this value;
/// [`verify_password`] also accepts it.
pub fn scrypt_app_password_hash(did: &str, password: &str) -> String {
    let digest = Sha256::digest(did.as_bytes());
    scrypt_hash_with_salt(password, &encode_hex(&digest[..16]))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn encode_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    let s = s.as_bytes();
    if !s.len().is_multiple_of(2) {
        return None;
    }
    s.chunks_exact(2)
        .map(|pair| Some(nibble(pair[0])? << 4 | nibble(pair[1])?))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// App passwords and random tokens
// ---------------------------------------------------------------------------------------------

/// A new app password in the reference's shape `xxxx-xxxx-xxxx-xxxx`: the first 16 characters
/// of 16 random bytes in lower-case unpadded base32 (`a–z`, `2–7`; 80 bits).
pub fn generate_app_password() -> String {
    let s = random_base32(16);
    format!("{}-{}-{}-{}", &s[0..4], &s[4..8], &s[8..12], &s[12..16])
}

/// Whether `s` has the shape [`generate_app_password`] produces.
pub fn is_app_password_shape(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 19
        && b.iter().enumerate().all(|(i, &c)| {
            if i % 5 == 4 {
                c == b'-'
            } else {
                c.is_ascii_lowercase() || (b'2'..=b'7').contains(&c)
            }
        })
}

/// An email confirmation token in the reference's shape `XXXXX-XXXXX` (`getRandomToken()`
/// upper-cased: 10 base32 characters of 8 random bytes).
pub fn generate_email_token() -> String {
    let s = random_base32(8).to_ascii_uppercase();
    format!("{}-{}", &s[0..5], &s[5..10])
}

/// Fills `buf` from the OS random number generator.
///
/// # Panics
/// If the OS random number generator fails.
pub fn fill_random(buf: &mut [u8]) {
    getrandom::fill(buf).expect("the OS random number generator failed");
}

/// `N` random bytes.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    fill_random(&mut out);
    out
}

fn random_vec(len: usize) -> Vec<u8> {
    let mut out = vec![0u8; len];
    fill_random(&mut out);
    out
}

/// `bytes` random bytes as unpadded base64url (URL- and header-safe), e.g. for session ids or
/// one-time tokens: `random_token(32)` is 43 characters.
pub fn random_token(bytes: usize) -> String {
    URL_SAFE_NO_PAD.encode(random_vec(bytes))
}

/// `bytes` random bytes as lower-case unpadded base32 (the reference's `randomStr(n, 'base32')`).
pub fn random_base32(bytes: usize) -> String {
    base32_lower(&random_vec(bytes))
}

/// `bytes` random bytes as lower-case hex (the reference's `randomStr(n, 'hex')`).
pub fn random_hex(bytes: usize) -> String {
    encode_hex(&random_vec(bytes))
}

/// RFC 4648 base32, lower-case, no padding (multiformats `base32` without its `b` prefix).
fn base32_lower(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut out = String::with_capacity((bytes.len() * 8).div_ceil(5));
    let mut buffer: u32 = 0;
    let mut bits = 0u32;
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
        buffer &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::PasswordHasher;

    const DID: &str = "did:plc:ewvi7nxzyoun6zhxrhs64oiz";

    #[test]
    fn an_argon2id_hash_verifies_its_password_and_nothing_else() {
        let hash = hash_password("hunter2 ✓");
        assert!(hash.starts_with("$argon2id$v=19$m=7168,t=5,p=2$"), "{hash}");
        assert!(verify_password("hunter2 ✓", &hash));
        assert!(!verify_password("hunter2", &hash));
        assert!(!verify_password("", &hash));
        assert!(!needs_rehash(&hash));
        // The crate's own hasher agrees with ours for the same salt (ours reuses memory).
        let parsed = PasswordHash::new(&hash).unwrap();
        let salt = parsed.salt.unwrap();
        let theirs = Argon2::new(Algorithm::Argon2id, Version::V0x13, argon2_params())
            .hash_password_with_salt("hunter2 ✓".as_bytes(), &salt)
            .unwrap()
            .to_string();
        assert_eq!(theirs, hash);
    }

    #[test]
    fn single_lane_argon2id_hashes_of_the_previous_format_still_verify() {
        // `Argon2::default()` (m=19456, t=2, p=1): what pdsd stored before hashes had two lanes.
        let hash = Argon2::default()
            .hash_password_with_salt(b"old password", b"0123456789abcdef")
            .unwrap()
            .to_string();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(verify_password("old password", &hash));
        assert!(!verify_password("old passwore", &hash));
        assert!(!needs_rehash(&hash));
    }

    #[test]
    fn two_lane_hashes_of_the_previous_19_mib_format_verify_without_a_rehash() {
        // m=19456, t=2, p=2: what pdsd stored before it moved to OWASP's 7 MiB configuration.
        let params = argon2::Params::new(19456, 2, 2, None).unwrap();
        let hash = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password_with_salt(b"earlier", b"0123456789abcdef")
            .unwrap()
            .to_string();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=2$"),
            "{hash}"
        );
        assert!(verify_password("earlier", &hash));
        assert!(!verify_password("Earlier", &hash));
        assert!(!needs_rehash(&hash));
        // A larger kept buffer serves the smaller current hash as well.
        let current = hash_password("now");
        assert!(verify_password("now", &current) && verify_password("earlier", &hash));
    }

    #[test]
    fn argon2_hashes_with_other_salt_and_output_lengths_verify() {
        let params = argon2::Params::new(7168, 5, 1, Some(64)).unwrap();
        let hash = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password_with_salt(b"long output", b"a 24 byte salt of bytes!")
            .unwrap()
            .to_string();
        assert!(verify_password("long output", &hash), "{hash}");
        assert!(!verify_password("long outpu", &hash));
        assert!(!needs_rehash(&hash));
    }

    #[test]
    fn the_kept_hash_memory_is_freed_only_after_it_has_been_idle() {
        hash_password("keep");
        // Other tests may hash at the same time: only an idle buffer may go.
        let mut freed = false;
        for _ in 0..50 {
            if release_idle_hash_memory(Duration::from_millis(20)) {
                freed = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        assert!(freed, "an idle kept buffer is freed");
        hash_password("keep again");
        assert!(!release_idle_hash_memory(Duration::from_secs(3600)));
    }

    #[test]
    fn hashing_the_same_password_twice_uses_different_salts() {
        let a = hash_password("same");
        let b = hash_password("same");
        assert_ne!(a, b);
        assert!(verify_password("same", &a) && verify_password("same", &b));
    }

    #[test]
    fn argon2_hashes_with_other_parameters_verify_but_ask_for_a_rehash() {
        let params = argon2::Params::new(8192, 1, 1, None).unwrap();
        let argon2i = Argon2::new(argon2::Algorithm::Argon2i, argon2::Version::V0x13, params);
        let hash = argon2i
            .hash_password_with_salt(b"pw", b"saltsaltsalt")
            .unwrap()
            .to_string();
        assert!(hash.starts_with("$argon2i$v=19$m=8192,t=1,p=1$"), "{hash}");
        assert!(verify_password("pw", &hash));
        assert!(!verify_password("pW", &hash));
        assert!(needs_rehash(&hash));
    }

    #[test]
    fn the_rfc_7914_scrypt_vector_verifies_in_the_reference_format() {
        // RFC 7914 §12: scrypt("pleaseletmein", "SodiumChloride", N=16384, r=8, p=1, dkLen=64),
        // exactly the reference PDS's parameters.
        let stored = "SodiumChloride:7023bdcb3afd7348461c06cd81fd38ebfda8fbba904f8e3ea9b543f6545da1f2d5432955613f0fcf62d49705242a9af9e61e85dc0d651e40dfcf017b45575887";
        assert!(verify_password("pleaseletmein", stored));
        assert!(!verify_password("pleaseletmeout", stored));
        assert_eq!(
            scrypt_hash_with_salt("pleaseletmein", "SodiumChloride"),
            stored
        );
        assert!(needs_rehash(stored));
    }

    /// Produced by Node's `crypto.scryptSync(password, salt, 64)`, i.e. the reference's
    /// `hashWithSalt`, with a hex salt string as `genSaltAndHash` makes.
    const NODE_SCRYPT: &str = "5f1c2a9be4d04e7c93a1f0b6d2c84e17:dc5fdbe5f314969cde73acb406ea0973dd4225ca98b304a86f79b6d8bbb9f66f6c6eac37bd73c35cd89c38adc8ea04cc1eafc0971f330ab5346192b7aa396a28";
    /// Node's output for the reference's `hashAppPassword(DID, "abcd-efgh-ijkl-mnop")`.
    const NODE_APP_PASSWORD: &str = "099e4ea96cd62c05a232331859d20c97:fd2bbf28c4711cd8d02ea6a9af381222ef64fa9654f065196498e87aeb668370e1accd55a4a2cf56b303904d22367493a14af2bda8d630abaa594676edbca564";

    #[test]
    fn an_account_password_hash_made_by_the_reference_pds_verifies() {
        assert!(verify_password(
            "correct horse battery staple ✓",
            NODE_SCRYPT
        ));
        assert!(!verify_password(
            "correct horse battery staple",
            NODE_SCRYPT
        ));
        assert_eq!(
            scrypt_hash_with_salt(
                "correct horse battery staple ✓",
                "5f1c2a9be4d04e7c93a1f0b6d2c84e17"
            ),
            NODE_SCRYPT
        );
        // Upper-case hex in the stored hash is still the same bytes.
        let (salt, hash) = NODE_SCRYPT.split_once(':').unwrap();
        let upper = format!("{salt}:{}", hash.to_ascii_uppercase());
        assert!(verify_password("correct horse battery staple ✓", &upper));
    }

    #[test]
    fn an_app_password_hash_made_by_the_reference_pds_verifies() {
        assert_eq!(
            scrypt_app_password_hash(DID, "abcd-efgh-ijkl-mnop"),
            NODE_APP_PASSWORD
        );
        assert!(verify_password("abcd-efgh-ijkl-mnop", NODE_APP_PASSWORD));
        assert!(!verify_password("abcd-efgh-ijkl-mnoq", NODE_APP_PASSWORD));
    }

    #[test]
    fn malformed_stored_hashes_never_verify() {
        let (salt, hash) = NODE_SCRYPT.split_once(':').unwrap();
        let cases = [
            String::new(),
            "no-colon".into(),
            format!("{salt}:"),
            format!("{salt}:{}", &hash[..126]),
            format!("{salt}:{hash}00"),
            format!("{salt}:{}zz", &hash[..126]),
            format!("{salt}:{}", &hash[..127]),
            "$argon2id$garbage".into(),
            "$pbkdf2-sha256$i=1000$c2FsdA$aGFzaA".into(),
            "$".into(),
        ];
        for stored in &cases {
            assert!(
                !verify_password("correct horse battery staple ✓", stored),
                "{stored:?}"
            );
            assert!(needs_rehash(stored), "{stored:?}");
        }
    }

    #[test]
    fn passwords_longer_than_the_legacy_limit_are_refused_without_hashing() {
        let long = "a".repeat(LEGACY_PASSWORD_MAX_LEN + 1);
        let hash = scrypt_hash_with_salt(&long, "00112233445566778899aabbccddeeff");
        assert!(!verify_password(&long, &hash));
        let at_limit = "a".repeat(LEGACY_PASSWORD_MAX_LEN);
        let hash = scrypt_hash_with_salt(&at_limit, "00112233445566778899aabbccddeeff");
        assert!(verify_password(&at_limit, &hash));
    }

    #[test]
    fn password_length_counts_utf16_units_like_javascript() {
        assert_eq!(password_len("abc"), 3);
        assert_eq!(password_len("é"), 1);
        assert_eq!(password_len("🦋"), 2);
        assert_eq!(PASSWORD_MAX_LEN, 256);
    }

    #[test]
    fn app_passwords_have_the_reference_shape_and_differ() {
        let a = generate_app_password();
        let b = generate_app_password();
        assert_ne!(a, b);
        for pw in [&a, &b] {
            assert_eq!(pw.len(), 19);
            assert!(is_app_password_shape(pw), "{pw}");
            assert_eq!(pw.split('-').count(), 4);
        }
        assert!(is_app_password_shape("abcd-efgh-ijkl-mnop"));
        assert!(is_app_password_shape("2345-67ab-cdef-ghij"));
        for bad in [
            "abcd-efgh-ijkl-mnoP",
            "abcd-efgh-ijkl-mno1",
            "abcdefghijklmnop",
            "abcd-efgh-ijkl-mnop-",
            "abcd_efgh_ijkl_mnop",
        ] {
            assert!(!is_app_password_shape(bad), "{bad}");
        }
    }

    #[test]
    fn email_tokens_have_the_reference_shape() {
        let t = generate_email_token();
        assert_eq!(t.len(), 11, "{t}");
        let (a, b) = t.split_once('-').unwrap();
        assert_eq!((a.len(), b.len()), (5, 5));
        assert!(
            t.bytes()
                .all(|c| c == b'-' || c.is_ascii_uppercase() || (b'2'..=b'7').contains(&c)),
            "{t}"
        );
    }

    #[test]
    fn random_tokens_have_the_requested_size_and_encoding() {
        let t = random_token(32);
        assert_eq!(t.len(), 43);
        assert_eq!(URL_SAFE_NO_PAD.decode(&t).unwrap().len(), 32);
        assert_ne!(random_token(32), t);
        assert_eq!(random_token(0), "");
        let h = random_hex(16);
        assert_eq!(h.len(), 32);
        assert_eq!(decode_hex(&h).unwrap().len(), 16);
        assert_eq!(random_base32(32).len(), 52);
        assert_ne!(random_bytes::<16>(), [0u8; 16]);
    }

    #[test]
    fn base32_matches_the_rfc_4648_vectors_in_lower_case() {
        let vectors = [
            ("", ""),
            ("f", "my"),
            ("fo", "mzxq"),
            ("foo", "mzxw6"),
            ("foob", "mzxw6yq"),
            ("fooba", "mzxw6ytb"),
            ("foobar", "mzxw6ytboi"),
        ];
        for (input, expected) in vectors {
            assert_eq!(base32_lower(input.as_bytes()), expected, "{input}");
        }
    }

    #[test]
    fn hex_round_trips_and_rejects_non_hex() {
        let bytes: Vec<u8> = (0..=255).collect();
        assert_eq!(decode_hex(&encode_hex(&bytes)).unwrap(), bytes);
        assert_eq!(decode_hex("0"), None);
        assert_eq!(decode_hex("0g"), None);
        assert_eq!(decode_hex("+1"), None);
    }
}
