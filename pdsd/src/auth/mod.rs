//! Authentication primitives: session and service-auth JWTs, password hashing, random tokens.
//!
//! - [`jwt`]: compact JWS (HS256 for the PDS's own access/refresh tokens, ES256K/ES256 for
//!   inter-service auth), the token claim formats of the reference TypeScript PDS, and expiry
//!   checks that keep `ExpiredToken` apart from `InvalidToken`.
//! - [`password`]: argon2id password hashes, verification of the reference PDS's scrypt hashes
//!   (so imported accounts keep working), app passwords and random tokens.
//!
//! Nothing here touches the database or the network: storing refresh-token ids, looking up
//! app passwords and resolving an issuer's DID document are the callers' business.

pub mod jwt;
pub mod password;

pub use jwt::{
    AccessClaims, Header, JwtError, RefreshClaims, Scope, ServiceAuthError, ServiceClaims,
    ServiceToken, UnknownScope,
};
pub use password::{
    generate_app_password, generate_email_token, hash_password, random_token, verify_password,
};
