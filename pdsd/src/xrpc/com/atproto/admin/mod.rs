//! `com.atproto.admin.*` with the admin password (HTTP basic, user `admin`), as the reference
//! PDS serves them to its `pdsadmin` scripts. The same `Service` methods back the admin socket;
//! every change is audited with the actor "admin-password".
//!
//! `getSubjectStatus` and `updateSubjectStatus` (takedowns) belong to moderation and are not
//! served here yet.

pub mod delete_account;
pub mod disable_account_invites;
pub mod disable_invite_codes;
pub mod enable_account_invites;
pub mod get_account_info;
pub mod get_account_infos;
pub mod get_invite_codes;
pub mod search_accounts;
pub mod send_email;
pub mod update_account_email;
pub mod update_account_handle;
pub mod update_account_password;

use atproto::syntax::Did;
use serde::Serialize;

use crate::service::ServiceError;
use crate::service::admin::AccountInfo;
use crate::service::audit::Actor;
use crate::service::invite::InviteCode;

/// The actor recorded for every admin XRPC call.
pub const ADMIN_PASSWORD: Actor = Actor::AdminPassword;

/// `com.atproto.admin.defs#accountView`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountView {
    did: String,
    handle: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    indexed_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    invited_by: Option<InviteCode>,
    invites: Vec<InviteCode>,
    invites_disabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    email_confirmed_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    deactivated_at: Option<String>,
}

impl From<AccountInfo> for AccountView {
    fn from(info: AccountInfo) -> Self {
        let a = info.account;
        AccountView {
            did: a.did,
            handle: a.handle,
            email: a.email,
            indexed_at: a.created_at,
            invited_by: info.invited_by,
            invites: info.invites,
            invites_disabled: a.invites_disabled,
            email_confirmed_at: a.email_confirmed_at,
            deactivated_at: a.deactivated_at,
        }
    }
}

/// A parameter or field of format `did`.
pub(crate) fn did_field(name: &str, s: &str) -> Result<Did, ServiceError> {
    Did::new(s.trim()).map_err(|e| ServiceError::invalid(format!("Invalid {name}: {e}")))
}
