//! `admin.v1.AccountService`.

use pds_proto::admin::v1 as pb;
use tonic::{Request, Response, Status};

use super::{AdminApi, account_field, non_empty};
use crate::service::ServiceError;
use crate::service::admin::{
    AccountQuery, AccountState, AdminAccount, NewAccount, PasswordReset, RepoSummary,
};

/// An account as the proto shows it.
pub fn account(a: AdminAccount) -> pb::Account {
    let status = match a.state {
        AccountState::Active => pb::AccountStatus::Active,
        AccountState::Deactivated => pb::AccountStatus::Deactivated,
        AccountState::Takendown => pb::AccountStatus::Takendown,
        AccountState::Deleted => pb::AccountStatus::Deleted,
    };
    pb::Account {
        did: a.did,
        handle: a.handle,
        email: a.email,
        email_confirmed_at: a.email_confirmed_at,
        created_at: a.created_at,
        status: status.into(),
        deactivated_at: a.deactivated_at,
        delete_after: a.delete_after,
        external_id: a.external_id,
        invites_disabled: a.invites_disabled,
        invited_by: a.invited_by,
        email_auth_factor: a.email_auth_factor,
    }
}

fn repo_summary(r: RepoSummary) -> pb::RepoSummary {
    pb::RepoSummary {
        commit: r.commit,
        rev: r.rev,
        record_count: r.record_count,
        blob_count: r.blob_count,
        blob_bytes: r.blob_bytes,
    }
}

fn state_filter(status: i32) -> Result<Option<AccountState>, ServiceError> {
    match pb::AccountStatus::try_from(status) {
        Ok(pb::AccountStatus::Unspecified) => Ok(None),
        Ok(pb::AccountStatus::Active) => Ok(Some(AccountState::Active)),
        Ok(pb::AccountStatus::Deactivated) => Ok(Some(AccountState::Deactivated)),
        Ok(pb::AccountStatus::Takendown) => Ok(Some(AccountState::Takendown)),
        Ok(pb::AccountStatus::Deleted) => Ok(Some(AccountState::Deleted)),
        Err(_) => Err(ServiceError::invalid(format!("unknown status {status}"))),
    }
}

#[tonic::async_trait]
impl pb::account_service_server::AccountService for AdminApi {
    async fn create_account(
        &self,
        request: Request<pb::CreateAccountRequest>,
    ) -> Result<Response<pb::CreateAccountResponse>, Status> {
        self.call("CreateAccount", request, |service, actor, r| async move {
            let input = NewAccount {
                handle: r.handle,
                email: r.email.and_then(non_empty),
                password: r.password,
                external_id: r.external_id.and_then(non_empty),
                recovery_key: r.recovery_key.and_then(non_empty),
            };
            let created = service
                .admin_create_account(&actor, input, r.reason.as_deref())
                .await?;
            Ok(pb::CreateAccountResponse {
                account: Some(account(created.account)),
                password: created.password,
                created: created.created,
            })
        })
        .await
    }

    async fn list_accounts(
        &self,
        request: Request<pb::ListAccountsRequest>,
    ) -> Result<Response<pb::ListAccountsResponse>, Status> {
        self.call("ListAccounts", request, |service, _, r| async move {
            let (accounts, cursor) = service
                .admin_list_accounts(AccountQuery {
                    limit: r.limit as usize,
                    cursor: r.cursor,
                    query: r.query,
                    email: None,
                    state: state_filter(r.status)?,
                })
                .await?;
            Ok(pb::ListAccountsResponse {
                accounts: accounts.into_iter().map(account).collect(),
                cursor,
            })
        })
        .await
    }

    async fn get_account(
        &self,
        request: Request<pb::GetAccountRequest>,
    ) -> Result<Response<pb::GetAccountResponse>, Status> {
        self.call("GetAccount", request, |service, _, r| async move {
            let a = service.admin_account(account_field(&r.account)?).await?;
            let did = atproto::syntax::Did::new(&a.did).map_err(ServiceError::internal)?;
            let repo = service.admin_repo_summary(&did).await?;
            Ok(pb::GetAccountResponse {
                account: Some(account(a)),
                repo: repo.map(repo_summary),
            })
        })
        .await
    }

    async fn update_handle(
        &self,
        request: Request<pb::UpdateHandleRequest>,
    ) -> Result<Response<pb::UpdateHandleResponse>, Status> {
        self.call("UpdateHandle", request, |service, actor, r| async move {
            let a = service
                .admin_update_handle(
                    &actor,
                    account_field(&r.account)?,
                    &r.handle,
                    r.reason.as_deref(),
                )
                .await?;
            Ok(pb::UpdateHandleResponse {
                account: Some(account(a)),
            })
        })
        .await
    }

    async fn update_email(
        &self,
        request: Request<pb::UpdateEmailRequest>,
    ) -> Result<Response<pb::UpdateEmailResponse>, Status> {
        self.call("UpdateEmail", request, |service, actor, r| async move {
            let a = service
                .admin_update_email(
                    &actor,
                    account_field(&r.account)?,
                    &r.email,
                    r.confirmed,
                    r.reason.as_deref(),
                )
                .await?;
            Ok(pb::UpdateEmailResponse {
                account: Some(account(a)),
            })
        })
        .await
    }

    async fn reset_password(
        &self,
        request: Request<pb::ResetPasswordRequest>,
    ) -> Result<Response<pb::ResetPasswordResponse>, Status> {
        self.call("ResetPassword", request, |service, actor, r| async move {
            use pb::ResetPasswordMethod as M;
            let method = match M::try_from(r.method) {
                Ok(M::Unspecified) if r.password.is_some() => M::Set,
                Ok(M::Unspecified) => M::Generate,
                Ok(m) => m,
                Err(_) => {
                    return Err(ServiceError::invalid(format!(
                        "unknown method {}",
                        r.method
                    )));
                }
            };
            let how = match method {
                M::Set => PasswordReset::Set(r.password.ok_or_else(|| {
                    ServiceError::invalid("password is required with the SET method")
                })?),
                M::Email => PasswordReset::Email,
                M::Token => PasswordReset::Token,
                M::Generate | M::Unspecified => PasswordReset::Generate,
            };
            let out = service
                .admin_reset_password(&actor, account_field(&r.account)?, how, r.reason.as_deref())
                .await?;
            Ok(pb::ResetPasswordResponse {
                method: method.into(),
                password: out.password,
                reset_token: out.reset_token,
                emailed_to: out.emailed_to,
                sessions_revoked: out.sessions_revoked,
            })
        })
        .await
    }

    async fn deactivate_account(
        &self,
        request: Request<pb::DeactivateAccountRequest>,
    ) -> Result<Response<pb::DeactivateAccountResponse>, Status> {
        self.call(
            "DeactivateAccount",
            request,
            |service, actor, r| async move {
                let a = service
                    .admin_deactivate_account(
                        &actor,
                        account_field(&r.account)?,
                        r.reason.as_deref(),
                    )
                    .await?;
                Ok(pb::DeactivateAccountResponse {
                    account: Some(account(a)),
                })
            },
        )
        .await
    }

    async fn activate_account(
        &self,
        request: Request<pb::ActivateAccountRequest>,
    ) -> Result<Response<pb::ActivateAccountResponse>, Status> {
        self.call("ActivateAccount", request, |service, actor, r| async move {
            let a = service
                .admin_activate_account(&actor, account_field(&r.account)?, r.reason.as_deref())
                .await?;
            Ok(pb::ActivateAccountResponse {
                account: Some(account(a)),
            })
        })
        .await
    }

    async fn delete_account(
        &self,
        request: Request<pb::DeleteAccountRequest>,
    ) -> Result<Response<pb::DeleteAccountResponse>, Status> {
        self.call("DeleteAccount", request, |service, actor, r| async move {
            let a = service
                .admin_delete_account(&actor, account_field(&r.account)?, r.reason.as_deref())
                .await?;
            Ok(pb::DeleteAccountResponse {
                did: a.did,
                handle: a.handle,
            })
        })
        .await
    }
}
