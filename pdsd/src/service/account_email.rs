//! The account flows that go through the owner's mailbox: email confirmation and change,
//! password reset, account deletion (and the purge of deleted accounts), and the email
//! second factor of `createSession`.

use std::sync::Arc;

use atproto::syntax::{Datetime, Did};
use rusqlite::params;
use serde::Serialize;

use super::account::{Account, account_by_did, account_by_identifier, basic_email_check};
use super::email::{
    EmailPurpose, check_email_token, delete_all_email_tokens, delete_email_token,
    did_for_email_token,
};
use super::events::{AccountEventStatus, account_event};
use super::{Service, ServiceError};
use crate::auth;
use crate::auth::password::{LEGACY_PASSWORD_MAX_LEN, PASSWORD_MAX_LEN, password_len};
use crate::store::actor::actor_dir;

/// What `requestEmailUpdate` answers.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EmailUpdateRequested {
    /// Whether `updateEmail` needs the mailed code (the current address is confirmed).
    pub token_required: bool,
}

/// Input of `com.atproto.server.updateEmail`.
#[derive(Debug, Clone, Default)]
pub struct UpdateEmailInput {
    pub email: String,
    /// `Some(true)` turns the email second factor on (the address must be confirmed),
    /// `Some(false)` off; `None` leaves it as it is.
    pub email_auth_factor: Option<bool>,
    pub token: Option<String>,
}

fn account_not_found() -> ServiceError {
    ServiceError::invalid("account not found")
}

fn no_email() -> ServiceError {
    ServiceError::invalid("account does not have an email address")
}

impl Service {
    async fn account(&self, did: &Did) -> Result<Account, ServiceError> {
        let did = did.clone();
        self.blocking(move |s| s.db.read(|c| account_by_did(c, did.as_str())))
            .await?
            .ok_or_else(account_not_found)
    }

    /// `com.atproto.server.requestEmailConfirmation`: mails a code to the current address.
    pub async fn request_email_confirmation(&self, did: Did) -> Result<(), ServiceError> {
        self.mailer()?;
        let account = self.account(&did).await?;
        let email = account.email.as_deref().ok_or_else(no_email)?;
        self.send_email_token(&did, email, None, EmailPurpose::ConfirmEmail)
            .await
    }

    /// `com.atproto.server.confirmEmail`: marks the address confirmed with the mailed code.
    pub async fn confirm_email(
        &self,
        did: Did,
        email: String,
        token: String,
    ) -> Result<(), ServiceError> {
        self.blocking(move |s| {
            s.db.write(|c| {
                let tx = c.transaction()?;
                let account = account_by_did(&tx, did.as_str())?
                    .ok_or_else(|| ServiceError::named("AccountNotFound", "user not found"))?;
                let matches = account
                    .email
                    .as_deref()
                    .is_some_and(|e| e.eq_ignore_ascii_case(email.trim()));
                if !matches {
                    return Err(ServiceError::named("InvalidEmail", "invalid email"));
                }
                check_email_token(&tx, &did, EmailPurpose::ConfirmEmail, &token)?;
                delete_email_token(&tx, &did, EmailPurpose::ConfirmEmail)?;
                tx.execute(
                    "UPDATE account SET email_confirmed_at = ?2 WHERE did = ?1",
                    params![did.as_str(), Datetime::now().to_string()],
                )?;
                tx.commit()?;
                Ok(())
            })
        })
        .await
    }

    /// `com.atproto.server.requestEmailUpdate`: when the current address is confirmed, mails
    /// it the code `updateEmail` will need; an unconfirmed address needs none.
    pub async fn request_email_update(
        &self,
        did: Did,
    ) -> Result<EmailUpdateRequested, ServiceError> {
        let account = self.account(&did).await?;
        let email = account.email.as_deref().ok_or_else(no_email)?;
        if account.email_confirmed {
            self.send_email_token(&did, email, None, EmailPurpose::UpdateEmail)
                .await?;
        }
        Ok(EmailUpdateRequested {
            token_required: account.email_confirmed,
        })
    }

    /// `com.atproto.server.updateEmail`: changes the address (it becomes unconfirmed) and/or
    /// turns the email second factor on or off. Needs the `requestEmailUpdate` code when the
    /// current address is confirmed.
    pub async fn update_email(
        &self,
        did: Did,
        input: UpdateEmailInput,
    ) -> Result<(), ServiceError> {
        let email = input.email.trim().to_ascii_lowercase();
        basic_email_check(&email)?;
        if input.email_auth_factor == Some(true) {
            // Codes could not be sent: refuse rather than lock the owner out.
            self.mailer()?;
        }
        self.blocking(move |s| {
            s.db.write(|c| {
                let tx = c.transaction()?;
                let account = account_by_did(&tx, did.as_str())?.ok_or_else(account_not_found)?;
                let token = input
                    .token
                    .as_deref()
                    .map(str::trim)
                    .filter(|t| !t.is_empty());
                match token {
                    Some(token) => check_email_token(&tx, &did, EmailPurpose::UpdateEmail, token)?,
                    None if account.email_confirmed => {
                        return Err(ServiceError::named(
                            "TokenRequired",
                            "confirmation token required",
                        ));
                    }
                    None => {}
                }
                let changed = !account
                    .email
                    .as_deref()
                    .is_some_and(|e| e.eq_ignore_ascii_case(&email));
                if input.email_auth_factor == Some(true) && (changed || !account.email_confirmed) {
                    return Err(ServiceError::invalid(
                        "Confirm your email address before turning on email sign-in codes",
                    ));
                }
                if changed {
                    let taken: bool = tx.query_row(
                        "SELECT EXISTS (SELECT 1 FROM account WHERE email = ?1 AND did != ?2)",
                        params![email, did.as_str()],
                        |r| r.get(0),
                    )?;
                    if taken {
                        return Err(ServiceError::invalid("This email address is already taken"));
                    }
                    tx.execute(
                        "UPDATE account SET email = ?2, email_confirmed_at = NULL WHERE did = ?1",
                        params![did.as_str(), email],
                    )?;
                    // Codes mailed to the old address must not work any more.
                    delete_all_email_tokens(&tx, &did)?;
                } else {
                    delete_email_token(&tx, &did, EmailPurpose::UpdateEmail)?;
                }
                if let Some(on) = input.email_auth_factor {
                    tx.execute(
                        "UPDATE account SET email_auth_factor = ?2 WHERE did = ?1",
                        params![did.as_str(), i64::from(on)],
                    )?;
                }
                tx.commit()?;
                Ok(())
            })
        })
        .await
    }

    /// `com.atproto.server.requestPasswordReset`: mails a reset code to the account with this
    /// address. Answers the same whether or not there is one, so it cannot be used to find
    /// out who has an account here.
    pub async fn request_password_reset(&self, email: String) -> Result<(), ServiceError> {
        self.mailer()?;
        let email = email.trim().to_ascii_lowercase();
        if !email.contains('@') {
            return Err(ServiceError::invalid("Invalid email address"));
        }
        let account = {
            let email = email.clone();
            self.blocking(move |s| s.db.read(|c| account_by_identifier(c, &email)))
                .await?
        };
        let Some(account) = account else {
            tracing::debug!("password reset for an unknown address");
            return Ok(());
        };
        let Some(to) = account.email.as_deref() else {
            return Ok(());
        };
        let handle = account.handle.as_deref().unwrap_or(to);
        self.send_email_token(&account.did, to, Some(handle), EmailPurpose::ResetPassword)
            .await
    }

    /// `com.atproto.server.resetPassword`: sets a new password with the mailed code and ends
    /// every session of the account.
    pub async fn reset_password(
        &self,
        token: String,
        password: String,
    ) -> Result<(), ServiceError> {
        if password.is_empty() || password_len(&password) > PASSWORD_MAX_LEN {
            return Err(ServiceError::invalid("Invalid password length."));
        }
        let did = {
            let token = token.clone();
            self.blocking(move |s| {
                s.db.read(|c| did_for_email_token(c, EmailPurpose::ResetPassword, &token))
            })
            .await?
        };
        let hash = self
            .blocking(move |_| Ok(auth::hash_password(&password)))
            .await?;
        self.blocking(move |s| {
            s.db.write(|c| {
                let tx = c.transaction()?;
                // Checked again inside the write: the code may have been used meanwhile.
                check_email_token(&tx, &did, EmailPurpose::ResetPassword, &token)?;
                tx.execute(
                    "UPDATE account SET password_hash = ?2 WHERE did = ?1",
                    params![did.as_str(), hash],
                )?;
                delete_email_token(&tx, &did, EmailPurpose::ResetPassword)?;
                tx.execute("DELETE FROM refresh_token WHERE did = ?1", [did.as_str()])?;
                tx.commit()?;
                tracing::info!(did = %did, "password reset; sessions revoked");
                Ok(())
            })
        })
        .await
    }

    /// `com.atproto.server.requestAccountDelete`: mails the code `deleteAccount` needs.
    pub async fn request_account_delete(&self, did: Did) -> Result<(), ServiceError> {
        self.mailer()?;
        let account = self.account(&did).await?;
        let email = account.email.as_deref().ok_or_else(no_email)?;
        self.send_email_token(&did, email, None, EmailPurpose::DeleteAccount)
            .await
    }

    /// `com.atproto.server.deleteAccount`: with the account password and the mailed code,
    /// deletes the account. Its sessions end at once; its data is purged now, or after
    /// `account_delete_grace_seconds` by the purge job (until then the operator can still
    /// recover it, and it reports the status `deleted`).
    pub async fn delete_account(
        &self,
        did: Did,
        password: String,
        token: String,
    ) -> Result<(), ServiceError> {
        if password_len(&password) > LEGACY_PASSWORD_MAX_LEN {
            return Err(ServiceError::AuthRequired(
                "Password too long. Consider resetting your password.".into(),
            ));
        }
        let account = self.account(&did).await?;
        let ok = self
            .blocking(move |_| Ok(auth::verify_password(&password, &account.password_hash)))
            .await?;
        if !ok {
            return Err(ServiceError::AuthRequired("Invalid did or password".into()));
        }
        let grace = self.config.account_delete_grace_seconds;
        let delete_after = {
            let ms = i64::try_from(grace.saturating_mul(1000)).unwrap_or(i64::MAX / 2);
            Datetime::from_unix_millis(now_millis().saturating_add(ms)).to_string()
        };
        {
            let did = did.clone();
            self.blocking(move |s| {
                s.db.write(|c| {
                    let tx = c.transaction()?;
                    check_email_token(&tx, &did, EmailPurpose::DeleteAccount, &token)?;
                    tx.execute(
                        "UPDATE account SET deleted_at = ?2, delete_after = ?3 WHERE did = ?1",
                        params![did.as_str(), Datetime::now().to_string(), delete_after],
                    )?;
                    tx.execute("DELETE FROM refresh_token WHERE did = ?1", [did.as_str()])?;
                    delete_all_email_tokens(&tx, &did)?;
                    tx.commit()?;
                    Ok::<_, ServiceError>(())
                })?;
                // Relays and app views learn at once that the repository is gone, as in the
                // reference: unlink in the database first, then sequence, then purge files.
                s.sequence(vec![account_event(&did, AccountEventStatus::Deleted)])
            })
            .await?;
        }
        tracing::info!(did = %did, grace_seconds = grace, "account deleted by its owner");
        if grace == 0 {
            self.purge_account(did).await?;
        }
        Ok(())
    }

    /// Removes a deleted account for good: its row (and with it sessions, app passwords,
    /// email codes and preferences) first, then its actor directory, so an account is never
    /// listed without its repository. Safe to run again after a failure.
    pub async fn purge_account(&self, did: Did) -> Result<(), ServiceError> {
        // Hold the repository's write lock so no commit races the removal.
        let slot = self.repos.slot(&did);
        let _guard = slot.lock().await;
        self.delete_account_blobs(&did).await?;
        let service = self.clone();
        let kept = did.clone();
        self.blocking(move |s| {
            service.readers.evict(&did);
            s.sequencer.forget_did(did.as_str())?;
            s.db.write(|c| {
                let tx = c.transaction()?;
                tx.execute("DELETE FROM refresh_token WHERE did = ?1", [did.as_str()])?;
                delete_all_email_tokens(&tx, &did)?;
                tx.execute("DELETE FROM account WHERE did = ?1", [did.as_str()])?;
                tx.commit()?;
                Ok::<_, ServiceError>(())
            })?;
            let dir = actor_dir(&s.config.data_directory, &did);
            match std::fs::remove_dir_all(&dir) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(ServiceError::internal(anyhow::anyhow!(
                        "cannot remove {}: {e}",
                        dir.display()
                    )));
                }
            }
            tracing::info!(did = %did, "account purged");
            Ok(())
        })
        .await?;
        drop(_guard);
        self.repos.evict(&kept);
        Ok(())
    }

    /// Purges every deleted account whose grace period is over; returns how many.
    pub async fn purge_deleted_accounts(&self) -> Result<usize, ServiceError> {
        let due: Vec<String> = self
            .blocking(|s| {
                s.db.read(|c| {
                    let mut stmt = c.prepare_cached(
                        "SELECT did FROM account WHERE deleted_at IS NOT NULL AND delete_after <= ?1",
                    )?;
                    let rows = stmt.query_map([Datetime::now().to_string()], |r| r.get(0))?;
                    Ok(rows.collect::<Result<Vec<_>, _>>()?)
                })
            })
            .await?;
        let mut purged = 0;
        for did in due {
            let did = Did::new(&did).map_err(ServiceError::internal)?;
            self.purge_account(did).await?;
            purged += 1;
        }
        Ok(purged)
    }

    /// Email 2FA of a login with the account password: without a code, mails one and answers
    /// 401 `AuthFactorTokenRequired`; with one, checks and consumes it.
    pub(super) async fn check_email_auth_factor(
        &self,
        account: &Account,
        token: Option<String>,
    ) -> Result<(), ServiceError> {
        let did = account.did.clone();
        match token.filter(|t| !t.trim().is_empty()) {
            None => {
                let email = account.email.as_deref().ok_or_else(no_email)?;
                self.send_email_token(&did, email, None, EmailPurpose::SignIn)
                    .await?;
                Err(ServiceError::named_auth(
                    "AuthFactorTokenRequired",
                    "A sign in code has been sent to your email address",
                ))
            }
            Some(token) => {
                self.blocking(move |s| {
                    s.db.write(|c| {
                        check_email_token(c, &did, EmailPurpose::SignIn, &token)?;
                        delete_email_token(c, &did, EmailPurpose::SignIn)
                    })
                })
                .await
            }
        }
    }
}

fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Starts the job that purges deleted accounts once their grace period is over: at once
/// (catching up on what passed while pdsd was down), then every `account_purge_interval`.
/// It holds the service weakly and stops when the service is dropped.
pub(super) fn spawn_purge_job(service: &Service) {
    let weak = Arc::downgrade(&service.0);
    let interval = service.config.account_purge_interval;
    tokio::spawn(async move {
        loop {
            let Some(inner) = weak.upgrade() else { break };
            match Service(inner).purge_deleted_accounts().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(accounts = n, "purged deleted accounts"),
                Err(e) => {
                    tracing::warn!(error = %format!("{:#}", anyhow::Error::from(e)), "account purge failed")
                }
            }
            tokio::time::sleep(interval).await;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::account::CreateAccountInput;
    use crate::service::test_util::TestPds;

    async fn pds() -> TestPds {
        TestPds::with(|a| a.invite_required = Some(false)).await
    }

    async fn sign_up(pds: &TestPds, name: &str) -> Did {
        let out = pds
            .service
            .create_account(CreateAccountInput {
                handle: format!("{name}.test"),
                email: Some(format!("{name}@example.com")),
                password: Some("password".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        Did::new(&out.did).unwrap()
    }

    fn sql(pds: &TestPds, sql: &str, did: &Did) {
        pds.service
            .db
            .write(|c| c.execute(sql, [did.as_str()]))
            .unwrap();
    }

    #[tokio::test]
    async fn confirm_email_for_a_missing_account_is_account_not_found() {
        let pds = pds().await;
        let e = pds
            .service
            .confirm_email(
                Did::new("did:plc:aaaaaaaaaaaaaaaaaaaaaaaa").unwrap(),
                "x@example.com".into(),
                "AAAAA-BBBBB".into(),
            )
            .await
            .unwrap_err();
        assert_eq!((e.xrpc_name(), e.http_status()), ("AccountNotFound", 400));
    }

    #[tokio::test]
    async fn the_purge_removes_deleted_accounts_past_their_grace_and_nothing_else() {
        let pds = pds().await;
        let due = sign_up(&pds, "overdue").await;
        let waiting = sign_up(&pds, "waiting").await;
        let deactivated = sign_up(&pds, "deact").await;
        sql(
            &pds,
            "UPDATE account SET deleted_at = '2020-01-01T00:00:00.000Z', \
             delete_after = '2020-01-01T00:00:00.000Z' WHERE did = ?1",
            &due,
        );
        sql(
            &pds,
            "UPDATE account SET deleted_at = '2020-01-01T00:00:00.000Z', \
             delete_after = '9999-01-01T00:00:00.000Z' WHERE did = ?1",
            &waiting,
        );
        // deactivateAccount's deleteAfter is only the owner's wish: never purged.
        sql(
            &pds,
            "UPDATE account SET deactivated_at = '2020-01-01T00:00:00.000Z', \
             delete_after = '2020-01-01T00:00:00.000Z' WHERE did = ?1",
            &deactivated,
        );
        assert_eq!(pds.service.purge_deleted_accounts().await.unwrap(), 1);
        let data = &pds.service.config.data_directory;
        assert!(!actor_dir(data, &due).exists());
        assert!(actor_dir(data, &waiting).exists());
        assert!(actor_dir(data, &deactivated).exists());
        let left: Vec<String> = pds.service.db.read(|c| {
            let mut stmt = c
                .prepare("SELECT did FROM account ORDER BY handle")
                .unwrap();
            stmt.query_map([], |r| r.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap()
        });
        assert_eq!(left, vec![deactivated.to_string(), waiting.to_string()]);
        // Again: nothing more to do, and purging a purged account is harmless.
        assert_eq!(pds.service.purge_deleted_accounts().await.unwrap(), 0);
        pds.service.purge_account(due).await.unwrap();
    }

    #[tokio::test]
    async fn the_purge_job_runs_in_the_background() {
        let pds = TestPds::with(|a| {
            a.invite_required = Some(false);
            a.account_purge_interval_ms = Some(20);
        })
        .await;
        let did = sign_up(&pds, "background").await;
        sql(
            &pds,
            "UPDATE account SET deleted_at = '2020-01-01T00:00:00.000Z', \
             delete_after = '2020-01-01T00:00:00.000Z' WHERE did = ?1",
            &did,
        );
        let dir = actor_dir(&pds.service.config.data_directory, &did);
        for _ in 0..250 {
            if !dir.exists() {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        panic!("the purge job did not run");
    }

    #[tokio::test]
    async fn with_email_2fa_on_and_no_smtp_a_password_login_is_refused() {
        let pds = pds().await;
        let did = sign_up(&pds, "twofactor").await;
        sql(
            &pds,
            "UPDATE account SET email_auth_factor = 1 WHERE did = ?1",
            &did,
        );
        let e = pds
            .service
            .create_session_with_auth_factor("twofactor.test".into(), "password".into(), None)
            .await
            .unwrap_err();
        assert!(matches!(e, ServiceError::NotConfigured(_)), "{e:?}");
    }

    #[tokio::test]
    async fn update_email_refuses_an_address_another_account_has() {
        let pds = pds().await;
        let did = sign_up(&pds, "alphaone").await;
        sign_up(&pds, "bravotwo").await;
        let e = pds
            .service
            .update_email(
                did,
                UpdateEmailInput {
                    email: "BRAVOTWO@example.com".into(),
                    ..Default::default()
                },
            )
            .await
            .unwrap_err();
        assert_eq!(e.xrpc_name(), "InvalidRequest");
    }

    #[tokio::test]
    async fn every_method_taking_a_code_answers_expired_token_for_an_old_one() {
        let pds = pds().await;
        let did = sign_up(&pds, "expiry").await;
        sql(
            &pds,
            "UPDATE account SET email_confirmed_at = '2020-01-01T00:00:00.000Z', \
             email_auth_factor = 1 WHERE did = ?1",
            &did,
        );
        let aged = |purpose: EmailPurpose| {
            pds.service.db.write(|c| {
                let token = super::super::email::create_email_token(c, &did, purpose).unwrap();
                c.execute(
                    "UPDATE email_token SET requested_at = '2020-01-01T00:00:00.000Z' \
                     WHERE purpose = ?1",
                    [purpose.as_str()],
                )
                .unwrap();
                token
            })
        };
        let s = &pds.service;
        let email = "expiry@example.com".to_string();
        let errors = [
            s.confirm_email(did.clone(), email.clone(), aged(EmailPurpose::ConfirmEmail))
                .await,
            s.update_email(
                did.clone(),
                UpdateEmailInput {
                    email: "new@example.com".into(),
                    token: Some(aged(EmailPurpose::UpdateEmail)),
                    ..Default::default()
                },
            )
            .await,
            s.reset_password(aged(EmailPurpose::ResetPassword), "pw2".into())
                .await,
            s.delete_account(
                did.clone(),
                "password".into(),
                aged(EmailPurpose::DeleteAccount),
            )
            .await,
            s.create_session_with_auth_factor(
                "expiry.test".into(),
                "password".into(),
                Some(aged(EmailPurpose::SignIn)),
            )
            .await
            .map(|_| ()),
        ];
        for (i, e) in errors.into_iter().enumerate() {
            let e = e.unwrap_err();
            assert_eq!(
                (e.xrpc_name(), e.http_status()),
                ("ExpiredToken", 400),
                "#{i}"
            );
        }
    }

    #[tokio::test]
    async fn delete_account_sequences_the_deletion_and_waits_out_the_grace() {
        let pds = TestPds::with(|a| {
            a.invite_required = Some(false);
            a.account_delete_grace_seconds = Some(3600);
        })
        .await;
        let did = sign_up(&pds, "graceful").await;
        let token = pds.service.db.write(|c| {
            super::super::email::create_email_token(c, &did, EmailPurpose::DeleteAccount)
        });
        pds.service
            .delete_account(did.clone(), "password".into(), token.unwrap())
            .await
            .unwrap();

        let events = pds.service.sequencer.events_after(0, 1000).unwrap();
        let last = events
            .iter()
            .rfind(|e| &*e.did == did.as_str())
            .expect("an event for the account");
        assert_eq!(last.kind, crate::sequencer::EventKind::Account);
        let (_, body) = crate::sequencer::frame::parse_frame(&last.frame).unwrap();
        let atproto::cbor::Value::Map(body) = body else {
            panic!("not a map")
        };
        assert_eq!(body["active"], atproto::cbor::Value::Bool(false));
        assert_eq!(body["status"].as_str(), Some("deleted"));

        // Within the grace period nothing is purged; the account reports `deleted`.
        assert_eq!(pds.service.purge_deleted_accounts().await.unwrap(), 0);
        let account = pds
            .service
            .db
            .read(|c| account_by_did(c, did.as_str()))
            .unwrap()
            .unwrap();
        assert_eq!(account.status(), Some("deleted"));
        assert!(actor_dir(&pds.service.config.data_directory, &did).exists());
    }

    #[tokio::test]
    async fn delete_account_checks_the_account_password_before_the_code() {
        let pds = pds().await;
        let did = sign_up(&pds, "deleter").await;
        let e = pds
            .service
            .delete_account(did.clone(), "wrong".into(), "AAAAA-BBBBB".into())
            .await
            .unwrap_err();
        assert_eq!(e.http_status(), 401);
        let e = pds
            .service
            .delete_account(did, "password".into(), "AAAAA-BBBBB".into())
            .await
            .unwrap_err();
        assert_eq!((e.xrpc_name(), e.http_status()), ("InvalidToken", 400));
    }
}
