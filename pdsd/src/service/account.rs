//! Accounts and sessions: sign-up, login, token refresh and rotation, logout.

use atproto::commit::UnsignedCommit;
use atproto::crypto::{KeyType, PublicKey, SigningKey};
use atproto::mst::Mst;
use atproto::plc::{PlcOperation, UnsignedOp, did_for_genesis};
use atproto::syntax::{Datetime, Did, Handle};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::{Service, ServiceError, ServiceInner, handle};
use crate::auth::jwt::{REFRESH_TOKEN_LIFETIME_SECS, now_secs};
use crate::auth::password::{PASSWORD_MAX_LEN, password_len};
use crate::auth::{self, AccessClaims, RefreshClaims, Scope};
use crate::store::Durability;
use crate::store::actor::ActorStore;

/// Input of `com.atproto.server.createAccount`.
#[derive(Debug, Clone, Default)]
pub struct CreateAccountInput {
    pub email: Option<String>,
    pub handle: String,
    pub did: Option<String>,
    pub invite_code: Option<String>,
    pub password: Option<String>,
    pub recovery_key: Option<String>,
    /// The bearer token sent with the request: for a migration (`did` set), a service-auth
    /// JWT from the account's current PDS.
    pub service_token: Option<String>,
}

/// The tokens and identity a login or sign-up hands back.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionTokens {
    pub access_jwt: String,
    pub refresh_jwt: String,
    pub handle: String,
    pub did: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub did_doc: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_confirmed: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_auth_factor: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

/// What `getSession` answers.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionInfo {
    pub handle: String,
    pub did: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    pub email_confirmed: bool,
    pub email_auth_factor: bool,
    pub active: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

/// An account row.
#[derive(Debug, Clone)]
pub struct Account {
    pub did: Did,
    pub handle: Option<String>,
    pub email: Option<String>,
    pub email_confirmed: bool,
    pub email_auth_factor: bool,
    pub password_hash: String,
    pub deactivated: bool,
    pub taken_down: bool,
    pub deleted: bool,
}

impl Account {
    /// The account's status as `getSession`/`checkAccountStatus` report it.
    pub fn status(&self) -> Option<&'static str> {
        if self.taken_down {
            Some("takendown")
        } else if self.deleted {
            Some("deleted")
        } else if self.deactivated {
            Some("deactivated")
        } else {
            None
        }
    }

    pub fn active(&self) -> bool {
        self.status().is_none()
    }

    pub fn handle_or_invalid(&self) -> String {
        self.handle
            .clone()
            .unwrap_or_else(|| Handle::INVALID.to_string())
    }
}

const ACCOUNT_COLUMNS: &str = "did, handle, email, email_confirmed_at, email_auth_factor, \
    password_hash, deactivated_at, takedown_ref, delete_after";

fn account_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Account> {
    let did: String = r.get(0)?;
    Ok(Account {
        did: Did::new(&did).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e.into())
        })?,
        handle: r.get(1)?,
        email: r.get(2)?,
        email_confirmed: r.get::<_, Option<String>>(3)?.is_some(),
        email_auth_factor: r.get::<_, i64>(4)? != 0,
        password_hash: r.get(5)?,
        deactivated: r.get::<_, Option<String>>(6)?.is_some(),
        taken_down: r.get::<_, Option<String>>(7)?.is_some(),
        deleted: r.get::<_, Option<String>>(8)?.is_some(),
    })
}

/// Looks an account up by DID.
pub fn account_by_did(conn: &Connection, did: &str) -> Result<Option<Account>, ServiceError> {
    Ok(conn
        .query_row(
            &format!("SELECT {ACCOUNT_COLUMNS} FROM account WHERE did = ?1"),
            [did],
            account_from_row,
        )
        .optional()?)
}

/// Looks an account up by handle, email or DID, as `createSession` accepts any of them.
pub fn account_by_identifier(
    conn: &Connection,
    identifier: &str,
) -> Result<Option<Account>, ServiceError> {
    if identifier.starts_with("did:") {
        return account_by_did(conn, identifier);
    }
    if identifier.contains('@') {
        return Ok(conn
            .query_row(
                &format!("SELECT {ACCOUNT_COLUMNS} FROM account WHERE email = ?1"),
                [identifier],
                account_from_row,
            )
            .optional()?);
    }
    let handle = identifier.to_ascii_lowercase();
    Ok(conn
        .query_row(
            &format!("SELECT {ACCOUNT_COLUMNS} FROM account WHERE handle = ?1"),
            [handle],
            account_from_row,
        )
        .optional()?)
}

/// Hash under which a refresh token's id is stored: the token itself never is.
fn token_hash(jti: &str) -> String {
    atproto::multibase::hex_encode(&atproto::cid::sha256(jti.as_bytes()))
}

pub(super) fn now_string() -> String {
    Datetime::now().to_string()
}

fn expiry_string(secs_from_now: i64) -> String {
    let ms = (now_secs() + secs_from_now) * 1000;
    Datetime::from_unix_millis(ms).to_string()
}

pub(super) fn basic_email_check(email: &str) -> Result<(), ServiceError> {
    let ok = email.len() <= 254
        && email
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
        && !email.chars().any(char::is_whitespace);
    if ok {
        Ok(())
    } else {
        Err(ServiceError::invalid(
            "This email address is not supported, please use a different email.",
        ))
    }
}

impl ServiceInner {
    /// Issues an access and refresh token pair; the refresh token joins `family` (a new
    /// family for a fresh login).
    pub(super) fn issue_tokens(
        &self,
        conn: &Connection,
        did: &Did,
        app_password: Option<(&str, bool)>,
        family: Option<&str>,
    ) -> Result<(String, String), ServiceError> {
        let now = now_secs();
        let aud = self.config.service_did.to_string();
        let scope = Scope::for_session(app_password.map(|(_, privileged)| privileged), false);
        let access =
            AccessClaims::new(did.clone(), aud.clone(), scope, now).encode(&self.config.jwt_secret);
        let refresh_claims = RefreshClaims::new(did.clone(), aud, now);
        let refresh = refresh_claims.encode(&self.config.jwt_secret);
        let hash = token_hash(&refresh_claims.jti);
        let family = family.map(str::to_string).unwrap_or_else(|| hash.clone());
        conn.execute(
            "INSERT INTO refresh_token (id_hash, did, family, app_password_name, expires_at) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                hash,
                did.as_str(),
                family,
                app_password.map(|(n, _)| n),
                expiry_string(REFRESH_TOKEN_LIFETIME_SECS),
            ],
        )?;
        Ok((access, refresh))
    }

    pub(super) fn session_tokens(
        &self,
        account: &Account,
        tokens: (String, String),
    ) -> SessionTokens {
        SessionTokens {
            access_jwt: tokens.0,
            refresh_jwt: tokens.1,
            handle: account.handle_or_invalid(),
            did: account.did.to_string(),
            did_doc: None,
            email: account.email.clone(),
            email_confirmed: Some(account.email_confirmed),
            email_auth_factor: Some(account.email_auth_factor),
            active: Some(account.active()),
            status: account.status().map(str::to_string),
        }
    }
}

impl Service {
    /// `com.atproto.server.createAccount` on this service's own domains: checks the handle,
    /// email, password and invite, creates a did:plc identity and an empty signed repository,
    /// and logs the new account in.
    pub async fn create_account(
        &self,
        input: CreateAccountInput,
    ) -> Result<SessionTokens, ServiceError> {
        if input.did.is_some() {
            return self.create_migrated_account(input).await;
        }
        let handle = handle::normalize(&input.handle)?;
        if !handle::is_service_domain(&handle, &self.config.service_handle_domains) {
            return Err(ServiceError::named(
                "UnsupportedDomain",
                "Not a supported handle domain",
            ));
        }
        handle::check_service_handle(&handle, &self.config.service_handle_domains, false)?;
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
            .ok_or_else(|| ServiceError::invalid("Password is required"))?;
        if password_len(&password) > PASSWORD_MAX_LEN {
            return Err(ServiceError::named("InvalidPassword", "Password too long"));
        }
        if password.is_empty() {
            return Err(ServiceError::named(
                "InvalidPassword",
                "Password is required",
            ));
        }
        let recovery_key = match &input.recovery_key {
            Some(k) => Some(
                PublicKey::from_did_key(k)
                    .map_err(|e| ServiceError::invalid(format!("Invalid recoveryKey: {e}")))?
                    .to_did_key(),
            ),
            None => None,
        };
        let invite_code = input.invite_code.clone();

        // Cheap checks before any hashing or identity work.
        {
            let handle = handle.clone();
            let email = email.clone();
            let invite_code = invite_code.clone();
            self.blocking(move |s| {
                s.db.read(|c| {
                    check_available(c, &handle, &email)?;
                    if s.config.invite_required {
                        check_invite(c, invite_code.as_deref())?;
                    }
                    Ok(())
                })
            })
            .await?;
        }

        // The password hash (argon2id: most of the cost of an account) runs on its own
        // threads while the identity and the repository are made.
        let password_hash = tokio::task::spawn_blocking(move || auth::hash_password(&password));

        // The account's repository signing key and its did:plc genesis operation.
        let signing_key = SigningKey::generate(KeyType::K256);
        let mut rotation_keys = Vec::new();
        if let Some(k) = recovery_key {
            rotation_keys.push(k);
        }
        rotation_keys.push(self.config.plc_rotation_key.public_key().to_did_key());
        let op = PlcOperation::atproto(
            &signing_key.public_key().to_did_key(),
            handle.as_str(),
            &self.config.public_url,
            rotation_keys,
            None,
        );
        let signed = UnsignedOp::from(op).sign(&self.config.plc_rotation_key);
        let did = did_for_genesis(&signed);
        self.plc.submit(&did, &signed).await?;

        // The repository first: an account row never points at a missing repo.
        let account_did = did.clone();
        let (rev, commit_cid, blocks) = self
            .blocking(move |s| {
                let mut store = ActorStore::create(
                    &s.config.data_directory,
                    &account_did,
                    &signing_key,
                    Durability::Normal,
                )?;
                let mut mst = Mst::new();
                let changes = mst.take_changes();
                let rev = atproto::tid::next_tid();
                let commit =
                    UnsignedCommit::new(account_did.clone(), changes.root, rev).sign(&signing_key);
                let (commit_cid, commit_bytes) = commit.to_block();
                let mut blocks = changes.new_blocks;
                blocks.push((commit_cid, commit_bytes));
                store.apply_commit(&crate::store::actor::CommitWrite {
                    commit: commit_cid,
                    rev: &rev,
                    blocks: &blocks,
                    removed: &[],
                    records_put: &[],
                    records_deleted: &[],
                })?;
                // Kept open: closing it would checkpoint the store only for the account's
                // first write to open it again.
                s.repos.adopt_created(
                    &account_did,
                    super::repo::RepoState::created(
                        store,
                        mst,
                        commit_cid,
                        rev,
                        changes.root,
                        signing_key,
                    ),
                );
                Ok((rev, commit_cid, blocks))
            })
            .await?;

        let password_hash = password_hash.await.map_err(ServiceError::internal)?;
        let account_did = did.clone();
        let tokens = self
            .blocking(move |s| {
                let genesis_events = vec![
                    super::events::identity_event(&account_did, Some(handle.as_str())),
                    super::events::account_event(
                        &account_did,
                        super::events::AccountEventStatus::Active,
                    ),
                    super::events::genesis_commit_event(&account_did, commit_cid, &rev, &blocks),
                    super::events::sync_event(
                        &account_did,
                        commit_cid,
                        &blocks.last().expect("the commit block").1,
                        &rev,
                    ),
                ];

                s.db.write(|c| {
                    let tx = c.transaction()?;
                    check_available(&tx, &handle, &email)?;
                    if s.config.invite_required {
                        use_invite(&tx, invite_code.as_deref(), &account_did)?;
                    }
                    tx.execute(
                        "INSERT INTO account (did, handle, email, password_hash, created_at) \
                         VALUES (?1, ?2, ?3, ?4, ?5)",
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
                .and_then(|tokens| {
                    // Announced once the account exists: identity, status, first commit.
                    s.sequence(genesis_events)?;
                    Ok(tokens)
                })
            })
            .await
            .inspect_err(|_| self.repos.evict(&did))?;
        tracing::info!(did = %did, "account created");
        Ok(tokens)
    }

    /// `com.atproto.server.createSession` without an email sign-in code.
    pub async fn create_session(
        &self,
        identifier: String,
        password: String,
    ) -> Result<SessionTokens, ServiceError> {
        self.create_session_with_auth_factor(identifier, password, None)
            .await
    }

    /// `com.atproto.server.createSession`: log in with handle, email or DID and the account
    /// password or an app password. With email 2FA on, a login with the account password also
    /// needs the mailed code (`auth_factor_token`). App passwords skip it: they are for
    /// clients that cannot ask for a code.
    pub async fn create_session_with_auth_factor(
        &self,
        identifier: String,
        password: String,
        auth_factor_token: Option<String>,
    ) -> Result<SessionTokens, ServiceError> {
        let invalid = || ServiceError::AuthRequired("Invalid identifier or password".into());
        let identifier = identifier.trim().to_string();
        let (account, app_password) = self
            .blocking(move |s| {
                let account =
                    s.db.read(|c| account_by_identifier(c, &identifier))?
                        .ok_or_else(invalid)?;
                let mut app_password: Option<(String, bool)> = None;
                if !auth::verify_password(&password, &account.password_hash) {
                    // Not the account password: maybe one of its app passwords.
                    let candidates: Vec<(String, String, bool)> = s.db.read(|c| {
                        let mut stmt = c.prepare_cached(
                        "SELECT name, password_hash, privileged FROM app_password WHERE did = ?1",
                    )?;
                        let rows = stmt.query_map([account.did.as_str()], |r| {
                            Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)? != 0))
                        })?;
                        rows.collect::<Result<Vec<_>, _>>()
                    })?;
                    app_password = candidates
                        .into_iter()
                        .find(|(_, hash, _)| auth::verify_password(&password, hash))
                        .map(|(name, _, privileged)| (name, privileged));
                    if app_password.is_none() {
                        return Err(invalid());
                    }
                }
                if account.taken_down {
                    return Err(ServiceError::named_auth(
                        "AccountTakedown",
                        "Account has been taken down",
                    ));
                }
                Ok((account, app_password))
            })
            .await?;
        if account.email_auth_factor && app_password.is_none() {
            self.check_email_auth_factor(&account, auth_factor_token)
                .await?;
        }
        self.blocking(move |s| {
            let tokens = s.db.write(|c| {
                let tx = c.transaction()?;
                let t = s.issue_tokens(
                    &tx,
                    &account.did,
                    app_password.as_ref().map(|(n, p)| (n.as_str(), *p)),
                    None,
                )?;
                tx.commit()?;
                Ok::<_, ServiceError>(t)
            })?;
            Ok(s.session_tokens(&account, tokens))
        })
        .await
    }

    /// `com.atproto.server.refreshSession`: trades a refresh token for a new pair. A refresh
    /// token works once; presenting an already-rotated one revokes its whole family, since
    /// only a thief or a replay would do that.
    pub async fn refresh_session(
        &self,
        refresh_jwt: String,
    ) -> Result<SessionTokens, ServiceError> {
        let claims = RefreshClaims::verify(
            &refresh_jwt,
            &self.config.jwt_secret,
            self.config.service_did.as_str(),
            now_secs(),
            false,
        )
        .map_err(jwt_error)?;
        self.blocking(move |s| {
            s.db.write(|c| {
                let tx = c.transaction()?;
                let hash = token_hash(&claims.jti);
                let row: Option<(String, String, Option<String>, Option<String>)> = tx
                    .query_row(
                        "SELECT did, family, app_password_name, rotated_at FROM refresh_token \
                         WHERE id_hash = ?1",
                        [&hash],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                    )
                    .optional()?;
                let Some((did, family, app_password_name, rotated_at)) = row else {
                    return Err(ServiceError::InvalidToken("Token has been revoked".into()));
                };
                if rotated_at.is_some() {
                    tx.execute("DELETE FROM refresh_token WHERE family = ?1", [&family])?;
                    tx.commit()?;
                    tracing::warn!(did = %did, "reused refresh token: session family revoked");
                    return Err(ServiceError::InvalidToken("Token has been revoked".into()));
                }
                let account = account_by_did(&tx, &did)?
                    .ok_or_else(|| ServiceError::InvalidToken("Token has been revoked".into()))?;
                if account.taken_down {
                    return Err(ServiceError::named_auth(
                        "AccountTakedown",
                        "Account has been taken down",
                    ));
                }
                let privileged: Option<bool> = match &app_password_name {
                    Some(name) => tx
                        .query_row(
                            "SELECT privileged FROM app_password WHERE did = ?1 AND name = ?2",
                            params![did, name],
                            |r| r.get::<_, i64>(0).map(|p| p != 0),
                        )
                        .optional()?
                        .map(Some)
                        .ok_or_else(|| {
                            ServiceError::InvalidToken("Token has been revoked".into())
                        })?,
                    None => None,
                };
                tx.execute(
                    "UPDATE refresh_token SET rotated_at = ?1 WHERE id_hash = ?2",
                    params![now_string(), hash],
                )?;
                let app = app_password_name.as_deref().zip(privileged);
                let tokens = s.issue_tokens(&tx, &account.did, app, Some(&family))?;
                tx.commit()?;
                Ok(s.session_tokens(&account, tokens))
            })
        })
        .await
    }

    /// `com.atproto.server.deleteSession`: logs out, revoking the refresh token's family.
    pub async fn delete_session(&self, refresh_jwt: String) -> Result<(), ServiceError> {
        let claims = RefreshClaims::verify(
            &refresh_jwt,
            &self.config.jwt_secret,
            self.config.service_did.as_str(),
            now_secs(),
            true,
        )
        .map_err(jwt_error)?;
        self.blocking(move |s| {
            s.db.write(|c| {
                let hash = token_hash(&claims.jti);
                let family: Option<String> = c
                    .query_row(
                        "SELECT family FROM refresh_token WHERE id_hash = ?1",
                        [&hash],
                        |r| r.get(0),
                    )
                    .optional()?;
                if let Some(family) = family {
                    c.execute("DELETE FROM refresh_token WHERE family = ?1", [family])?;
                }
                Ok(())
            })
        })
        .await
    }

    /// `com.atproto.server.getSession`.
    pub async fn get_session(&self, did: Did) -> Result<SessionInfo, ServiceError> {
        self.blocking(move |s| {
            let account =
                s.db.read(|c| account_by_did(c, did.as_str()))?
                    .ok_or_else(|| ServiceError::InvalidToken("Account not found".into()))?;
            Ok(SessionInfo {
                handle: account.handle_or_invalid(),
                did: account.did.to_string(),
                email: account.email.clone(),
                email_confirmed: account.email_confirmed,
                email_auth_factor: account.email_auth_factor,
                active: account.active(),
                status: account.status().map(str::to_string),
            })
        })
        .await
    }

    /// Checks an access token (`Authorization: Bearer`) and returns its claims.
    pub fn verify_access(
        &self,
        token: &str,
        allowed: &[Scope],
    ) -> Result<AccessClaims, ServiceError> {
        AccessClaims::verify(
            token,
            &self.config.jwt_secret,
            self.config.service_did.as_str(),
            allowed,
            now_secs(),
        )
        .map_err(jwt_error)
    }
}

/// Maps token failures to the XRPC names clients act on (`ExpiredToken` makes them refresh).
fn jwt_error(e: auth::JwtError) -> ServiceError {
    match e.error_name() {
        "ExpiredToken" => ServiceError::ExpiredToken,
        _ => ServiceError::InvalidToken(e.to_string()),
    }
}

pub(super) fn check_available(
    c: &Connection,
    handle: &Handle,
    email: &str,
) -> Result<(), ServiceError> {
    let taken: bool = c.query_row(
        "SELECT EXISTS (SELECT 1 FROM account WHERE handle = ?1)",
        [handle.as_str()],
        |r| r.get(0),
    )?;
    if taken {
        return Err(ServiceError::named(
            "HandleNotAvailable",
            "Handle already taken",
        ));
    }
    let taken: bool = c.query_row(
        "SELECT EXISTS (SELECT 1 FROM account WHERE email = ?1)",
        [email],
        |r| r.get(0),
    )?;
    if taken {
        return Err(ServiceError::invalid(format!(
            "Email already taken: {email}"
        )));
    }
    Ok(())
}

pub(super) fn check_invite(c: &Connection, code: Option<&str>) -> Result<(), ServiceError> {
    let code =
        code.ok_or_else(|| ServiceError::named("InvalidInviteCode", "No invite code provided"))?;
    let row: Option<(i64, i64)> = c
        .query_row(
            "SELECT available_uses, disabled FROM invite_code WHERE code = ?1",
            [code],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((available, disabled)) = row else {
        return Err(ServiceError::named(
            "InvalidInviteCode",
            "Provided invite code not available",
        ));
    };
    let used: i64 = c.query_row(
        "SELECT count(*) FROM invite_code_use WHERE code = ?1",
        [code],
        |r| r.get(0),
    )?;
    if disabled != 0 || used >= available {
        return Err(ServiceError::named(
            "InvalidInviteCode",
            "Provided invite code not available",
        ));
    }
    Ok(())
}

pub(super) fn use_invite(
    c: &Connection,
    code: Option<&str>,
    did: &Did,
) -> Result<(), ServiceError> {
    check_invite(c, code)?;
    c.execute(
        "INSERT INTO invite_code_use (code, used_by, used_at) VALUES (?1, ?2, ?3)",
        params![code, did.as_str(), now_string()],
    )?;
    Ok(())
}
