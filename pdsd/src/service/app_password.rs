//! App passwords: `createAppPassword`, `listAppPasswords`, `revokeAppPassword`.

use atproto::syntax::{Datetime, Did};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::{Service, ServiceError};
use crate::auth::password::{generate_app_password, hash_password};

/// Most app passwords one account may hold.
pub const MAX_APP_PASSWORDS: i64 = 50;

/// A new app password: the only time its value is shown.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedAppPassword {
    pub name: String,
    pub password: String,
    pub created_at: String,
    pub privileged: bool,
}

/// An app password as listed (no value).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppPasswordInfo {
    pub name: String,
    pub created_at: String,
    pub privileged: bool,
}

impl Service {
    pub async fn create_app_password(
        &self,
        did: Did,
        name: String,
        privileged: bool,
    ) -> Result<CreatedAppPassword, ServiceError> {
        let name = name.trim().to_string();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(ServiceError::invalid(
                "App password name must be 1 to 100 characters",
            ));
        }
        let password = generate_app_password();
        let hash = {
            let password = password.clone();
            self.blocking(move |_| Ok(hash_password(&password))).await?
        };
        self.blocking(move |s| {
            s.db.write(|c| {
                let tx = c.transaction()?;
                let taken_down: Option<Option<String>> = tx
                    .query_row(
                        "SELECT takedown_ref FROM account WHERE did = ?1",
                        [did.as_str()],
                        |r| r.get(0),
                    )
                    .optional()?;
                match taken_down {
                    None => return Err(ServiceError::InvalidToken("Account not found".into())),
                    Some(Some(_)) => {
                        return Err(ServiceError::named_auth(
                            "AccountTakedown",
                            "Account has been taken down",
                        ));
                    }
                    Some(None) => {}
                }
                let count: i64 = tx.query_row(
                    "SELECT count(*) FROM app_password WHERE did = ?1",
                    [did.as_str()],
                    |r| r.get(0),
                )?;
                if count >= MAX_APP_PASSWORDS {
                    return Err(ServiceError::invalid(format!(
                        "Too many app passwords (at most {MAX_APP_PASSWORDS})"
                    )));
                }
                let created_at = Datetime::now().to_string();
                let inserted = tx.execute(
                    "INSERT OR IGNORE INTO app_password (did, name, password_hash, privileged, created_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![did.as_str(), name, hash, privileged as i64, created_at],
                )?;
                if inserted == 0 {
                    return Err(ServiceError::invalid(
                        "An app password with this name already exists",
                    ));
                }
                tx.commit()?;
                Ok(CreatedAppPassword {
                    name,
                    password,
                    created_at,
                    privileged,
                })
            })
        })
        .await
    }

    pub async fn list_app_passwords(&self, did: Did) -> Result<Vec<AppPasswordInfo>, ServiceError> {
        self.blocking(move |s| {
            s.db.read(|c| {
                let mut stmt = c.prepare_cached(
                    "SELECT name, created_at, privileged FROM app_password WHERE did = ?1 \
                     ORDER BY created_at DESC, name",
                )?;
                let rows = stmt.query_map([did.as_str()], |r| {
                    Ok(AppPasswordInfo {
                        name: r.get(0)?,
                        created_at: r.get(1)?,
                        privileged: r.get::<_, i64>(2)? != 0,
                    })
                })?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            })
        })
        .await
    }

    /// Deletes the app password and every session made with it.
    pub async fn revoke_app_password(&self, did: Did, name: String) -> Result<(), ServiceError> {
        self.blocking(move |s| {
            s.db.write(|c| {
                let tx = c.transaction()?;
                tx.execute(
                    "DELETE FROM app_password WHERE did = ?1 AND name = ?2",
                    params![did.as_str(), name],
                )?;
                tx.execute(
                    "DELETE FROM refresh_token WHERE did = ?1 AND app_password_name = ?2",
                    params![did.as_str(), name],
                )?;
                tx.commit()?;
                Ok(())
            })
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use crate::service::account::CreateAccountInput;
    use crate::service::test_util::TestPds;

    async fn account(pds: &TestPds) -> atproto::syntax::Did {
        let t = pds
            .service
            .create_account(CreateAccountInput {
                email: Some("erin@example.com".into()),
                handle: "erin.test".into(),
                password: Some("main-password".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        atproto::syntax::Did::new(&t.did).unwrap()
    }

    #[tokio::test]
    async fn app_passwords_log_in_with_a_restricted_scope_and_revoke_their_sessions() {
        let pds = TestPds::with(|a| a.invite_required = Some(false)).await;
        let did = account(&pds).await;
        let created = pds
            .service
            .create_app_password(did.clone(), "phone".into(), false)
            .await
            .unwrap();
        assert!(crate::auth::password::is_app_password_shape(
            &created.password
        ));
        let dup = pds
            .service
            .create_app_password(did.clone(), "phone".into(), false)
            .await
            .unwrap_err();
        assert_eq!(dup.xrpc_name(), "InvalidRequest");

        let session = pds
            .service
            .create_session("erin.test".into(), created.password.clone())
            .await
            .unwrap();
        let claims = pds
            .service
            .verify_access(&session.access_jwt, crate::auth::Scope::ACCESS_STANDARD)
            .unwrap();
        assert_eq!(claims.scope, crate::auth::Scope::AppPass);
        assert!(
            pds.service
                .verify_access(&session.access_jwt, crate::auth::Scope::ACCESS_FULL)
                .is_err(),
            "an app-password session cannot manage the account"
        );

        let list = pds.service.list_app_passwords(did.clone()).await.unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].name, "phone");

        pds.service
            .revoke_app_password(did.clone(), "phone".into())
            .await
            .unwrap();
        assert!(
            pds.service
                .refresh_session(session.refresh_jwt.clone())
                .await
                .is_err()
        );
        assert!(
            pds.service
                .create_session("erin.test".into(), created.password)
                .await
                .is_err()
        );
    }
}
