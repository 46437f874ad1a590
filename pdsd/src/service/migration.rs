//! Account migration in: `createAccount` with an existing DID, authorised by a service-auth
//! JWT the account's current PDS issued (`getServiceAuth` with `aud` = this service and
//! `lxm` = `com.atproto.server.createAccount`).
//!
//! The account starts deactivated and with no repository. The client then imports its
//! repository (`importRepo`) and blobs, updates its DID document to point here
//! (`signPlcOperation`/`submitPlcOperation`) and activates the account.

use atproto::crypto::{KeyType, PublicKey, SigningKey};
use atproto::syntax::Did;
use rusqlite::{OptionalExtension, params};

use super::account::{
    CreateAccountInput, SessionTokens, account_by_did, basic_email_check, check_available,
    check_invite, now_string, use_invite,
};
use super::{Service, ServiceError, handle};
use crate::auth::ServiceToken;
use crate::auth::jwt::now_secs;
use crate::auth::password::{PASSWORD_MAX_LEN, password_len};
use crate::store::Durability;
use crate::store::actor::ActorStore;

const CREATE_ACCOUNT_NSID: &str = "com.atproto.server.createAccount";

/// The atproto signing key in a DID document (`#atproto` verification method).
pub fn atproto_key(doc: &serde_json::Value) -> Option<PublicKey> {
    let methods = doc["verificationMethod"].as_array()?;
    let method = methods.iter().find(|m| {
        m["id"]
            .as_str()
            .is_some_and(|id| id == "#atproto" || id.ends_with("#atproto"))
    })?;
    let multibase = method["publicKeyMultibase"].as_str()?;
    match method["type"].as_str()? {
        "Multikey" => PublicKey::from_multibase(multibase).ok(),
        "EcdsaSecp256k1VerificationKey2019" => {
            PublicKey::from_legacy_multibase(KeyType::K256, multibase).ok()
        }
        "EcdsaSecp256r1VerificationKey2019" => {
            PublicKey::from_legacy_multibase(KeyType::P256, multibase).ok()
        }
        _ => None,
    }
}

impl Service {
    /// Verifies a service-auth JWT for `lxm` addressed to this service and returns its
    /// issuer, checking the signature against the issuer's current DID document (re-fetched
    /// once if the cached key does not verify, in case the key rotated).
    pub async fn verify_service_token(&self, token: &str, lxm: &str) -> Result<Did, ServiceError> {
        let auth = |e: crate::auth::ServiceAuthError| {
            ServiceError::named_auth(e.error_name(), e.to_string())
        };
        let parsed = ServiceToken::parse(token).map_err(auth)?;
        parsed
            .check_claims(now_secs(), &[self.config.service_did.as_str()], Some(lxm))
            .map_err(auth)?;
        let iss = parsed.issuer_did().map_err(auth)?;
        for refresh in [false, true] {
            let doc = self.did_document(&iss, refresh).await?;
            if let Some(key) = atproto_key(&doc)
                && parsed.verify_signature(&key).is_ok()
            {
                return Ok(iss);
            }
        }
        Err(ServiceError::named_auth(
            "BadJwtSignature",
            "jwt signature does not match jwt issuer",
        ))
    }

    /// `createAccount` with `did`: see the module documentation.
    pub(super) async fn create_migrated_account(
        &self,
        input: CreateAccountInput,
    ) -> Result<SessionTokens, ServiceError> {
        let did = Did::new(input.did.as_deref().unwrap_or_default())
            .map_err(|e| ServiceError::invalid(format!("Invalid did: {e}")))?;
        let token = input.service_token.as_deref().ok_or_else(|| {
            ServiceError::AuthRequired(
                "Migrating an account needs a service-auth token from its current PDS".into(),
            )
        })?;
        let issuer = self
            .verify_service_token(token, CREATE_ACCOUNT_NSID)
            .await?;
        if issuer != did {
            return Err(ServiceError::named_auth(
                "AuthRequired",
                "The service-auth token was not issued by the DID being migrated",
            ));
        }

        let handle = handle::normalize(&input.handle)?;
        if handle::is_service_domain(&handle, &self.config.service_handle_domains) {
            handle::check_service_handle(&handle, &self.config.service_handle_domains, false)?;
        } else if self.handle_to_did(&handle, true).await?.as_ref() != Some(&did) {
            return Err(ServiceError::named(
                "InvalidHandle",
                "The handle does not resolve to the DID being migrated",
            ));
        }
        let email = input
            .email
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .ok_or_else(|| ServiceError::invalid("Email is required"))?
            .to_ascii_lowercase();
        basic_email_check(&email)?;
        let password = input
            .password
            .clone()
            .filter(|p| !p.is_empty())
            .ok_or_else(|| ServiceError::invalid("Password is required"))?;
        if password_len(&password) > PASSWORD_MAX_LEN {
            return Err(ServiceError::named("InvalidPassword", "Password too long"));
        }
        let password_hash = {
            let password = password.clone();
            self.blocking(move |_| Ok(crate::auth::hash_password(&password)))
                .await?
        };
        let invite_code = input.invite_code.clone();
        let account_did = did.clone();
        let tokens = self
            .blocking(move |s| {
                s.db.write(|c| {
                    let tx = c.transaction()?;
                    if account_by_did(&tx, account_did.as_str())?.is_some() {
                        return Err(ServiceError::named(
                            "AlreadyExists",
                            "This DID already has an account here",
                        ));
                    }
                    check_available(&tx, &handle, &email)?;
                    if s.config.invite_required {
                        check_invite(&tx, invite_code.as_deref())?;
                        use_invite(&tx, invite_code.as_deref(), &account_did)?;
                    }
                    // The key reserved for this DID (reserveSigningKey) if there is one, so
                    // the DID document the client prepares matches; otherwise a new one.
                    let reserved: Option<String> = tx
                        .query_row(
                            "SELECT private_key_hex FROM reserved_signing_key WHERE did = ?1",
                            [account_did.as_str()],
                            |r| r.get(0),
                        )
                        .optional()?;
                    let key = match reserved {
                        Some(hex) => SigningKey::from_hex(KeyType::K256, &hex)
                            .map_err(ServiceError::internal)?,
                        None => SigningKey::generate(KeyType::K256),
                    };
                    ActorStore::create(
                        &s.config.data_directory,
                        &account_did,
                        &key,
                        Durability::Normal,
                    )?;
                    tx.execute(
                        "DELETE FROM reserved_signing_key WHERE did = ?1",
                        [account_did.as_str()],
                    )?;
                    tx.execute(
                        "INSERT INTO account (did, handle, email, password_hash, created_at, deactivated_at) \
                         VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
                        params![
                            account_did.as_str(),
                            handle.as_str(),
                            email,
                            password_hash,
                            now_string()
                        ],
                    )?;
                    let tokens = s.issue_tokens(&tx, &account_did, None, None)?;
                    let account = account_by_did(&tx, account_did.as_str())?.ok_or_else(|| {
                        ServiceError::internal(anyhow::anyhow!("account vanished"))
                    })?;
                    tx.commit()?;
                    Ok(s.session_tokens(&account, tokens))
                })
            })
            .await?;
        tracing::info!(did = %did, "migrating account created (deactivated until activation)");
        Ok(tokens)
    }
}
