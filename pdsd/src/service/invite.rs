//! Invite codes: `com.atproto.server.createInviteCode(s)` (admin) and
//! `getAccountInviteCodes`.

use rusqlite::params;
use serde::Serialize;

use super::{Service, ServiceError};

/// Codes made for one account (or "admin").
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct AccountCodes {
    pub account: String,
    pub codes: Vec<String>,
}

/// A code as `getAccountInviteCodes` lists it (lexicon com.atproto.server.defs#inviteCode).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InviteCode {
    pub code: String,
    pub available: i64,
    pub disabled: bool,
    pub for_account: String,
    pub created_by: String,
    pub created_at: String,
    pub uses: Vec<InviteCodeUse>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InviteCodeUse {
    pub used_by: String,
    pub used_at: String,
}

/// A new code in the reference's shape: `<hostname with dashes>-<5 chars>-<5 chars>`.
fn new_code(hostname: &str) -> String {
    let r = crate::auth::password::random_base32(7).to_ascii_lowercase();
    format!("{}-{}-{}", hostname.replace('.', "-"), &r[..5], &r[5..10])
}

impl Service {
    /// `getAccountInviteCodes`: the codes made for an account, with their uses.
    pub async fn account_invite_codes(
        &self,
        did: atproto::syntax::Did,
        include_used: bool,
    ) -> Result<Vec<InviteCode>, ServiceError> {
        self.blocking(move |s| {
            s.db.read(|c| {
                let mut stmt = c.prepare_cached(
                    "SELECT code, available_uses, disabled, for_account, created_by, created_at                      FROM invite_code WHERE for_account = ?1 ORDER BY created_at, code",
                )?;
                let mut codes = stmt
                    .query_map([did.as_str()], |r| {
                        Ok(InviteCode {
                            code: r.get(0)?,
                            available: r.get(1)?,
                            disabled: r.get::<_, i64>(2)? != 0,
                            for_account: r.get(3)?,
                            created_by: r.get(4)?,
                            created_at: r.get(5)?,
                            uses: Vec::new(),
                        })
                    })?
                    .collect::<Result<Vec<_>, _>>()?;
                let mut uses = c.prepare_cached(
                    "SELECT used_by, used_at FROM invite_code_use WHERE code = ?1 ORDER BY used_at",
                )?;
                for code in &mut codes {
                    code.uses = uses
                        .query_map([&code.code], |r| {
                            Ok(InviteCodeUse {
                                used_by: r.get(0)?,
                                used_at: r.get(1)?,
                            })
                        })?
                        .collect::<Result<Vec<_>, _>>()?;
                    // `available` in the output is what is left.
                    code.available = (code.available - code.uses.len() as i64).max(0);
                }
                if !include_used {
                    codes.retain(|c| c.available > 0 && !c.disabled);
                }
                Ok(codes)
            })
        })
        .await
    }

    /// Creates `code_count` codes of `use_count` uses for each account in `for_accounts`
    /// (or one set for "admin" when empty). `created_by` is "admin" for operators.
    pub async fn create_invite_codes(
        &self,
        code_count: u32,
        use_count: u32,
        for_accounts: Vec<String>,
        created_by: String,
    ) -> Result<Vec<AccountCodes>, ServiceError> {
        if code_count == 0 || code_count > 1000 {
            return Err(ServiceError::invalid(
                "codeCount must be between 1 and 1000",
            ));
        }
        if use_count == 0 {
            return Err(ServiceError::invalid("useCount must be at least 1"));
        }
        let accounts = if for_accounts.is_empty() {
            vec!["admin".to_string()]
        } else {
            for_accounts
        };
        self.blocking(move |s| {
            s.db.write(|c| {
                let tx = c.transaction()?;
                let now = atproto::syntax::Datetime::now().to_string();
                let mut out = Vec::new();
                for account in accounts {
                    if account != "admin" && atproto::syntax::Did::new(&account).is_err() {
                        return Err(ServiceError::invalid(format!("not a DID: {account}")));
                    }
                    let mut codes = Vec::new();
                    for _ in 0..code_count {
                        let code = new_code(&s.config.hostname);
                        tx.execute(
                            "INSERT INTO invite_code (code, available_uses, for_account, created_by, created_at) \
                             VALUES (?1, ?2, ?3, ?4, ?5)",
                            params![code, use_count, account, created_by, now],
                        )?;
                        codes.push(code);
                    }
                    out.push(AccountCodes { account, codes });
                }
                tx.commit()?;
                Ok(out)
            })
        })
        .await
    }
}
