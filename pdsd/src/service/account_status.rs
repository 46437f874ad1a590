//! Account status: `deactivateAccount`, `activateAccount`, `checkAccountStatus`, and
//! `reserveSigningKey`.

use atproto::crypto::{KeyType, SigningKey};
use atproto::syntax::{Datetime, Did};
use rusqlite::params;
use serde::Serialize;

use super::account::account_by_did;
use super::{Service, ServiceError};
use crate::store::Durability;
use crate::store::actor::ActorStore;

/// What `checkAccountStatus` answers.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountStatus {
    pub activated: bool,
    pub valid_did: bool,
    pub repo_commit: String,
    pub repo_rev: String,
    pub repo_blocks: i64,
    pub indexed_records: i64,
    pub private_state_values: i64,
    pub expected_blobs: i64,
    pub imported_blobs: i64,
}

impl Service {
    /// Deactivates the account (its repository stops being served); `delete_after` records
    /// when the owner wants it deleted if it stays deactivated.
    pub async fn deactivate_account(
        &self,
        did: Did,
        delete_after: Option<String>,
    ) -> Result<(), ServiceError> {
        if let Some(d) = &delete_after {
            Datetime::new_strict(d)
                .map_err(|e| ServiceError::invalid(format!("Invalid deleteAfter: {e}")))?;
        }
        self.blocking(move |s| {
            s.db.write(|c| {
                let n = c.execute(
                    "UPDATE account SET deactivated_at = coalesce(deactivated_at, ?2), \
                     delete_after = coalesce(?3, delete_after) WHERE did = ?1",
                    params![did.as_str(), Datetime::now().to_string(), delete_after],
                )?;
                if n == 0 {
                    return Err(ServiceError::InvalidToken("Account not found".into()));
                }
                Ok(())
            })?;
            s.sequence(vec![super::events::account_event(
                &did,
                super::events::AccountEventStatus::Deactivated,
            )])
        })
        .await?;
        Ok(())
    }

    pub async fn activate_account(&self, did: Did) -> Result<(), ServiceError> {
        self.blocking(move |s| {
            s.db.write(|c| {
                let n = c.execute(
                    "UPDATE account SET deactivated_at = NULL WHERE did = ?1",
                    [did.as_str()],
                )?;
                if n == 0 {
                    return Err(ServiceError::InvalidToken("Account not found".into()));
                }
                Ok(())
            })?;
            // As the reference: #account, #identity, then #sync with the current commit.
            let handle =
                s.db.read(|c| account_by_did(c, did.as_str()))?
                    .and_then(|a| a.handle);
            let store = ActorStore::open(&s.config.data_directory, &did, Durability::Normal)?;
            let mut events = vec![
                super::events::account_event(&did, super::events::AccountEventStatus::Active),
                super::events::identity_event(&did, handle.as_deref()),
            ];
            if let Some((commit, rev)) = store.root()? {
                use atproto::blockstore::BlockStore;
                if let Some(bytes) = store
                    .get_block(&commit)
                    .map_err(|e| ServiceError::internal(anyhow::anyhow!(e)))?
                {
                    events.push(super::events::sync_event(&did, commit, &bytes, &rev));
                }
            }
            s.sequence(events)
        })
        .await
    }

    /// `checkAccountStatus`: whether the account is active, whether its DID document points at
    /// this PDS with the account's signing key, and what its repository holds.
    pub async fn check_account_status(&self, did: Did) -> Result<AccountStatus, ServiceError> {
        let data = self.plc_document_data(&did).await?;
        self.blocking(move |s| {
            let account =
                s.db.read(|c| account_by_did(c, did.as_str()))?
                    .ok_or_else(|| ServiceError::InvalidToken("Account not found".into()))?;
            let store = ActorStore::open(&s.config.data_directory, &did, Durability::Normal)?;
            let (commit, rev) = store
                .root()?
                .ok_or_else(|| ServiceError::internal(anyhow::anyhow!("repository has no root")))?;
            let (blocks, records) = store.counts()?;
            let (expected_blobs, imported_blobs) = store.blob_counts()?;
            let key = ActorStore::signing_key(&s.config.data_directory, &did)?;
            let valid_did = data.is_some_and(|d| {
                d.atproto_pds_endpoint() == Some(s.config.public_url.as_str())
                    && d.atproto_signing_key() == Some(key.public_key().to_did_key().as_str())
                    && d.rotation_keys
                        .contains(&s.config.plc_rotation_key.public_key().to_did_key())
            });
            Ok(AccountStatus {
                activated: !account.deactivated,
                valid_did,
                repo_commit: commit.to_string(),
                repo_rev: rev.to_string(),
                repo_blocks: blocks,
                indexed_records: records,
                private_state_values: 0,
                expected_blobs,
                imported_blobs,
            })
        })
        .await
    }

    /// The DID's current PLC data (did:plc only; did:web accounts answer `None`).
    async fn plc_document_data(
        &self,
        did: &Did,
    ) -> Result<Option<atproto::plc::DocumentData>, ServiceError> {
        if !did.is_plc() {
            return Ok(None);
        }
        self.plc.document_data(did).await
    }

    /// `reserveSigningKey`: a fresh signing key for an account that will migrate here; the
    /// public key goes into the account's DID document before the move.
    pub async fn reserve_signing_key(&self, did: Option<String>) -> Result<String, ServiceError> {
        if let Some(d) = &did {
            Did::new(d).map_err(|e| ServiceError::invalid(e.to_string()))?;
        }
        self.blocking(move |s| {
            s.db.write(|c| {
                if let Some(d) = &did {
                    let existing: Option<String> = c
                        .query_row(
                            "SELECT signing_key FROM reserved_signing_key WHERE did = ?1",
                            [d],
                            |r| r.get(0),
                        )
                        .ok();
                    if let Some(k) = existing {
                        return Ok(k);
                    }
                }
                let key = SigningKey::generate(KeyType::K256);
                let did_key = key.public_key().to_did_key();
                c.execute(
                    "INSERT INTO reserved_signing_key (signing_key, did, private_key_hex, created_at) \
                     VALUES (?1, ?2, ?3, ?4)",
                    params![did_key, did, key.to_hex(), Datetime::now().to_string()],
                )?;
                Ok(did_key)
            })
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use crate::service::account::CreateAccountInput;
    use crate::service::test_util::TestPds;

    #[tokio::test]
    async fn deactivate_activate_and_status() {
        let pds = TestPds::with(|a| a.invite_required = Some(false)).await;
        let t = pds
            .service
            .create_account(CreateAccountInput {
                email: Some("finn@example.com".into()),
                handle: "finn.test".into(),
                password: Some("pw".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        let did = atproto::syntax::Did::new(&t.did).unwrap();
        let status = pds.service.check_account_status(did.clone()).await.unwrap();
        assert!(status.activated);
        assert!(status.valid_did, "the PLC document points at this PDS");
        assert!(status.repo_blocks >= 2, "empty MST node and commit");
        assert_eq!(status.indexed_records, 0);

        pds.service
            .deactivate_account(did.clone(), None)
            .await
            .unwrap();
        let s = pds.service.get_session(did.clone()).await.unwrap();
        assert!(!s.active);
        assert_eq!(s.status.as_deref(), Some("deactivated"));
        assert!(
            !pds.service
                .check_account_status(did.clone())
                .await
                .unwrap()
                .activated
        );

        pds.service.activate_account(did.clone()).await.unwrap();
        assert!(pds.service.get_session(did.clone()).await.unwrap().active);
    }

    #[tokio::test]
    async fn reserved_signing_keys_are_stable_per_did() {
        let pds = TestPds::new().await;
        let a = pds
            .service
            .reserve_signing_key(Some("did:plc:abcdefghijklmnopqrstuvwx".into()))
            .await
            .unwrap();
        let b = pds
            .service
            .reserve_signing_key(Some("did:plc:abcdefghijklmnopqrstuvwx".into()))
            .await
            .unwrap();
        assert_eq!(a, b);
        assert!(a.starts_with("did:key:z"));
        let c = pds.service.reserve_signing_key(None).await.unwrap();
        assert_ne!(a, c);
        assert!(
            pds.service
                .reserve_signing_key(Some("nope".into()))
                .await
                .is_err()
        );
    }
}
