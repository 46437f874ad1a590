//! `admin.v1.InviteService`.

use pds_proto::admin::v1 as pb;
use tonic::{Request, Response, Status};

use super::{AdminApi, account_field, non_empty};
use crate::service::admin::{InviteQuery, InviteSort};
use crate::service::invite::InviteCode;

fn invite(c: InviteCode) -> pb::InviteCode {
    let available = u32::try_from(c.available.max(0)).unwrap_or(u32::MAX);
    let used = u32::try_from(c.uses.len()).unwrap_or(u32::MAX);
    pb::InviteCode {
        code: c.code,
        available,
        disabled: c.disabled,
        for_account: c.for_account,
        created_by: c.created_by,
        created_at: c.created_at,
        uses: c
            .uses
            .into_iter()
            .map(|u| pb::InviteCodeUse {
                used_by: u.used_by,
                used_at: u.used_at,
            })
            .collect(),
        total_uses: available.saturating_add(used),
    }
}

#[tonic::async_trait]
impl pb::invite_service_server::InviteService for AdminApi {
    async fn create_invite_codes(
        &self,
        request: Request<pb::CreateInviteCodesRequest>,
    ) -> Result<Response<pb::CreateInviteCodesResponse>, Status> {
        self.call(
            "CreateInviteCodes",
            request,
            |service, actor, r| async move {
                let codes = service
                    .admin_create_invite_codes(
                        &actor,
                        r.count.max(1),
                        r.uses.max(1),
                        r.for_accounts,
                        r.reason.as_deref(),
                    )
                    .await?;
                Ok(pb::CreateInviteCodesResponse {
                    codes: codes.into_iter().map(invite).collect(),
                })
            },
        )
        .await
    }

    async fn list_invite_codes(
        &self,
        request: Request<pb::ListInviteCodesRequest>,
    ) -> Result<Response<pb::ListInviteCodesResponse>, Status> {
        self.call("ListInviteCodes", request, |service, _, r| async move {
            let sort = match pb::InviteCodeSort::try_from(r.sort) {
                Ok(pb::InviteCodeSort::Usage) => InviteSort::Usage,
                _ => InviteSort::Recent,
            };
            let (codes, cursor) = service
                .admin_list_invite_codes(InviteQuery {
                    limit: r.limit as usize,
                    cursor: r.cursor,
                    sort,
                    for_account: r.for_account.and_then(non_empty),
                    available_only: r.available_only,
                })
                .await?;
            Ok(pb::ListInviteCodesResponse {
                codes: codes.into_iter().map(invite).collect(),
                cursor,
            })
        })
        .await
    }

    async fn disable_invite_codes(
        &self,
        request: Request<pb::DisableInviteCodesRequest>,
    ) -> Result<Response<pb::DisableInviteCodesResponse>, Status> {
        self.call(
            "DisableInviteCodes",
            request,
            |service, actor, r| async move {
                let disabled = service
                    .admin_disable_invite_codes(&actor, r.codes, r.accounts, r.reason.as_deref())
                    .await?;
                Ok(pb::DisableInviteCodesResponse { disabled })
            },
        )
        .await
    }

    async fn disable_account_invites(
        &self,
        request: Request<pb::DisableAccountInvitesRequest>,
    ) -> Result<Response<pb::DisableAccountInvitesResponse>, Status> {
        self.call(
            "DisableAccountInvites",
            request,
            |service, actor, r| async move {
                service
                    .admin_set_account_invites(
                        &actor,
                        account_field(&r.account)?,
                        false,
                        r.reason.as_deref(),
                    )
                    .await?;
                Ok(pb::DisableAccountInvitesResponse {})
            },
        )
        .await
    }

    async fn enable_account_invites(
        &self,
        request: Request<pb::EnableAccountInvitesRequest>,
    ) -> Result<Response<pb::EnableAccountInvitesResponse>, Status> {
        self.call(
            "EnableAccountInvites",
            request,
            |service, actor, r| async move {
                service
                    .admin_set_account_invites(
                        &actor,
                        account_field(&r.account)?,
                        true,
                        r.reason.as_deref(),
                    )
                    .await?;
                Ok(pb::EnableAccountInvitesResponse {})
            },
        )
        .await
    }
}
