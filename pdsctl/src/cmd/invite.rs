//! `pdsctl invite ...`.

use anyhow::Context;
use pds_proto::admin::v1 as pb;

use super::Ctx;
use crate::cli::{InviteCommand, InviteSort};
use crate::client::RpcResult;
use crate::error::usage;
use crate::out::Out;
use crate::out::views::{InviteCreatedView, InviteListView, InviteView, InvitesDisabledView};

/// Codes asked for per ListInviteCodes call.
const PAGE: usize = 500;

pub async fn run(ctx: &Ctx, out: &mut Out, command: InviteCommand) -> anyhow::Result<()> {
    match command {
        InviteCommand::Create {
            uses,
            count,
            for_accounts,
            reason,
        } => {
            let client = ctx.client().await?;
            let created = client
                .invites()
                .create_invite_codes(pb::CreateInviteCodesRequest {
                    uses,
                    count,
                    for_accounts,
                    reason,
                })
                .await
                .rpc(&client)
                .context("cannot create invite codes")?;
            out.emit(&InviteCreatedView {
                codes: created.codes.into_iter().map(InviteView::from).collect(),
            })?;
        }
        InviteCommand::List {
            for_account,
            available,
            sort,
            limit,
        } => {
            let client = ctx.client().await?;
            let mut codes = Vec::new();
            let mut cursor = None;
            loop {
                let want = limit.map_or(PAGE, |l| (l - codes.len()).min(PAGE));
                if want == 0 {
                    break;
                }
                let page = client
                    .invites()
                    .list_invite_codes(pb::ListInviteCodesRequest {
                        limit: want as u32,
                        cursor: cursor.take(),
                        sort: match sort {
                            InviteSort::Recent => pb::InviteCodeSort::Recent,
                            InviteSort::Usage => pb::InviteCodeSort::Usage,
                        }
                        .into(),
                        for_account: for_account.clone(),
                        available_only: available,
                    })
                    .await
                    .rpc(&client)
                    .context("cannot list invite codes")?;
                codes.extend(page.codes.into_iter().map(InviteView::from));
                cursor = page.cursor;
                if cursor.is_none() {
                    break;
                }
            }
            out.emit(&InviteListView { codes, cursor })?;
        }
        InviteCommand::Disable {
            codes,
            accounts,
            reason,
        } => {
            if codes.is_empty() && accounts.is_empty() {
                return Err(usage(
                    "name the codes to disable, or --account ACCOUNT for all of an account's",
                ));
            }
            let what = match (codes.len(), accounts.len()) {
                (1, 0) => format!("disable invite code {}", codes[0]),
                (n, 0) => format!("disable {n} invite codes"),
                (0, _) => format!("disable every invite code of {}", accounts.join(", ")),
                (n, _) => format!(
                    "disable {n} invite codes and every invite code of {}",
                    accounts.join(", ")
                ),
            };
            out.confirm(&what, Some("Disabled codes can no longer be used."))?;
            let client = ctx.client().await?;
            let done = client
                .invites()
                .disable_invite_codes(pb::DisableInviteCodesRequest {
                    codes,
                    accounts,
                    reason,
                })
                .await
                .rpc(&client)
                .context("cannot disable invite codes")?;
            out.emit(&InvitesDisabledView {
                disabled: done.disabled,
            })?;
        }
    }
    Ok(())
}
