//! `pdsctl account ...` (bulk provisioning is in `provision.rs`).

use anyhow::Context;
use pds_proto::admin::v1 as pb;

use super::Ctx;
use crate::cli::{AccountCommand, ResetMethod, StatusFilter};
use crate::client::RpcResult;
use crate::error::usage;
use crate::out::Out;
use crate::out::views::{
    AccountCreatedView, AccountDeletedView, AccountListView, AccountShowView, AccountView,
    PasswordResetView,
};
use crate::secrets::SecretsFile;

/// Accounts asked for per ListAccounts call.
const PAGE: usize = 500;

pub async fn run(ctx: &Ctx, out: &mut Out, command: AccountCommand) -> anyhow::Result<()> {
    match command {
        AccountCommand::Create {
            handle,
            email,
            password_stdin,
            external_id,
            recovery_key,
            secrets_out,
            reason,
        } => {
            let password = if password_stdin {
                Some(out.read_password(true)?)
            } else {
                None
            };
            // Opened first: a generated password has to land somewhere once it exists.
            let mut secrets = secrets_out.as_deref().map(SecretsFile::open).transpose()?;
            let client = ctx.client().await?;
            let created = client
                .accounts()
                .create_account(pb::CreateAccountRequest {
                    handle: handle.clone(),
                    email,
                    password,
                    external_id: external_id.clone(),
                    recovery_key,
                    reason,
                })
                .await
                .rpc(&client)
                .with_context(|| format!("cannot create account {handle}"))?;
            let account = AccountView::from(created.account.context("pdsd sent no account")?);
            if !created.created {
                out.hint(&format!(
                    "external id {} already has account {}: nothing was created",
                    external_id.as_deref().unwrap_or_default(),
                    account.did
                ));
            }
            let mut view = AccountCreatedView {
                account,
                created: created.created,
                password: created.password,
                secrets_file: None,
            };
            if let Some(file) = secrets.as_mut()
                && let Some(password) = view.password.take()
            {
                file.write(
                    view.account.external_id.as_deref(),
                    &view.account.did,
                    &view.account.handle,
                    "password",
                    &password,
                )?;
                view.secrets_file = Some(file.path().display().to_string());
            }
            out.emit(&view)?;
        }
        AccountCommand::List {
            query,
            status,
            limit,
            cursor,
        } => {
            let client = ctx.client().await?;
            let status = match status {
                None => pb::AccountStatus::Unspecified,
                Some(StatusFilter::Active) => pb::AccountStatus::Active,
                Some(StatusFilter::Deactivated) => pb::AccountStatus::Deactivated,
                Some(StatusFilter::Takendown) => pb::AccountStatus::Takendown,
                Some(StatusFilter::Deleted) => pb::AccountStatus::Deleted,
            };
            let filtered = query.is_some() || status != pb::AccountStatus::Unspecified;
            let mut accounts = Vec::new();
            let mut cursor = cursor;
            loop {
                let want = limit.map_or(PAGE, |l| (l - accounts.len()).min(PAGE));
                if want == 0 {
                    break;
                }
                let page = client
                    .accounts()
                    .list_accounts(pb::ListAccountsRequest {
                        limit: want as u32,
                        cursor: cursor.take(),
                        query: query.clone(),
                        status: status.into(),
                    })
                    .await
                    .rpc(&client)
                    .context("cannot list accounts")?;
                accounts.extend(page.accounts.into_iter().map(AccountView::from));
                cursor = page.cursor;
                if cursor.is_none() {
                    break;
                }
            }
            out.emit(&AccountListView {
                accounts,
                cursor,
                filtered,
            })?;
        }
        AccountCommand::Show { account } => {
            let client = ctx.client().await?;
            let got = client
                .accounts()
                .get_account(pb::GetAccountRequest {
                    account: account.clone(),
                })
                .await
                .rpc(&client)
                .with_context(|| format!("cannot show account {account}"))?;
            out.emit(&AccountShowView {
                account: got.account.context("pdsd sent no account")?.into(),
                repo: got.repo.map(Into::into),
            })?;
        }
        AccountCommand::UpdateHandle {
            account,
            handle,
            reason,
        } => {
            let client = ctx.client().await?;
            let changed = client
                .accounts()
                .update_handle(pb::UpdateHandleRequest {
                    account: account.clone(),
                    handle: handle.clone(),
                    reason,
                })
                .await
                .rpc(&client)
                .with_context(|| format!("cannot change the handle of {account} to {handle}"))?;
            emit_account(out, changed.account)?;
        }
        AccountCommand::UpdateEmail {
            account,
            email,
            confirmed,
            reason,
        } => {
            let client = ctx.client().await?;
            let changed = client
                .accounts()
                .update_email(pb::UpdateEmailRequest {
                    account: account.clone(),
                    email,
                    confirmed,
                    reason,
                })
                .await
                .rpc(&client)
                .with_context(|| format!("cannot change the email of {account}"))?;
            emit_account(out, changed.account)?;
        }
        AccountCommand::ResetPassword {
            account,
            method,
            password_stdin,
            secrets_out,
            reason,
        } => {
            let method = match (method, password_stdin) {
                (None | Some(ResetMethod::Set), true) => ResetMethod::Set,
                (Some(m), true) => {
                    return Err(usage(format!(
                        "--password-stdin sets the password: it does not go with --method {}",
                        method_name(m)
                    )));
                }
                (Some(m), false) => m,
                (None, false) => ResetMethod::Generate,
            };
            // Email and token resets change nothing until the user acts; generate and set
            // sign the account out everywhere.
            if matches!(method, ResetMethod::Generate | ResetMethod::Set) {
                out.confirm(
                    &format!("reset the password of {account}"),
                    Some("Its sessions end: it is signed out everywhere."),
                )?;
            }
            let password = match method {
                ResetMethod::Set => Some(out.read_password(password_stdin)?),
                _ => None,
            };
            let mut secrets = secrets_out.as_deref().map(SecretsFile::open).transpose()?;
            let client = ctx.client().await?;
            let reset = client
                .accounts()
                .reset_password(pb::ResetPasswordRequest {
                    account: account.clone(),
                    password,
                    method: match method {
                        ResetMethod::Set => pb::ResetPasswordMethod::Set,
                        ResetMethod::Generate => pb::ResetPasswordMethod::Generate,
                        ResetMethod::Email => pb::ResetPasswordMethod::Email,
                        ResetMethod::Token => pb::ResetPasswordMethod::Token,
                    }
                    .into(),
                    reason,
                })
                .await
                .rpc(&client)
                .with_context(|| format!("cannot reset the password of {account}"))?;
            let mut view = PasswordResetView {
                account: account.clone(),
                method: method_name(method),
                password: reset.password,
                reset_token: reset.reset_token,
                emailed_to: reset.emailed_to,
                sessions_revoked: reset.sessions_revoked,
                secrets_file: None,
            };
            if let Some(file) = secrets.as_mut() {
                let secret = match (view.password.take(), view.reset_token.take()) {
                    (Some(p), _) => Some(("password", p)),
                    (None, Some(t)) => Some(("reset_token", t)),
                    (None, None) => None,
                };
                if let Some((kind, secret)) = secret {
                    // The file is keyed by DID: look the account up for it.
                    let got = client
                        .accounts()
                        .get_account(pb::GetAccountRequest {
                            account: account.clone(),
                        })
                        .await
                        .rpc(&client)
                        .ok()
                        .and_then(|g| g.account);
                    let (did, handle, external_id) = got
                        .map(|a| (a.did, a.handle, a.external_id))
                        .unwrap_or_else(|| (account.clone(), String::new(), None));
                    file.write(external_id.as_deref(), &did, &handle, kind, &secret)?;
                    view.secrets_file = Some(file.path().display().to_string());
                }
            }
            out.emit(&view)?;
        }
        AccountCommand::Deactivate { account, reason } => {
            out.confirm(
                &format!("deactivate account {account}"),
                Some("Its repository stops being served until it is activated."),
            )?;
            let client = ctx.client().await?;
            let changed = client
                .accounts()
                .deactivate_account(pb::DeactivateAccountRequest {
                    account: account.clone(),
                    reason,
                })
                .await
                .rpc(&client)
                .with_context(|| format!("cannot deactivate {account}"))?;
            emit_account(out, changed.account)?;
        }
        AccountCommand::Activate { account, reason } => {
            let client = ctx.client().await?;
            let changed = client
                .accounts()
                .activate_account(pb::ActivateAccountRequest {
                    account: account.clone(),
                    reason,
                })
                .await
                .rpc(&client)
                .with_context(|| format!("cannot activate {account}"))?;
            emit_account(out, changed.account)?;
        }
        AccountCommand::Delete { account, reason } => {
            out.confirm(
                &format!("delete account {account}"),
                Some("Its repository, blobs and sessions are removed. This cannot be undone."),
            )?;
            let client = ctx.client().await?;
            let deleted = client
                .accounts()
                .delete_account(pb::DeleteAccountRequest {
                    account: account.clone(),
                    reason,
                })
                .await
                .rpc(&client)
                .with_context(|| format!("cannot delete {account}"))?;
            out.emit(&AccountDeletedView {
                did: deleted.did,
                handle: deleted.handle,
                deleted: true,
            })?;
        }
        AccountCommand::Provision {
            from,
            format,
            credentials,
            secrets_out,
            show_secrets,
            jobs,
            reason,
        } => {
            super::provision::run(
                ctx,
                out,
                super::provision::Options {
                    from,
                    format,
                    credentials,
                    secrets_out,
                    show_secrets,
                    jobs: usize::from(jobs),
                    reason,
                },
            )
            .await?;
        }
    }
    Ok(())
}

fn emit_account(out: &mut Out, account: Option<pb::Account>) -> anyhow::Result<()> {
    let account = AccountView::from(account.context("pdsd sent no account")?);
    out.emit(&account)?;
    Ok(())
}

fn method_name(m: ResetMethod) -> &'static str {
    match m {
        ResetMethod::Generate => "generate",
        ResetMethod::Set => "set",
        ResetMethod::Email => "email",
        ResetMethod::Token => "token",
    }
}
