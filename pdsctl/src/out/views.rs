//! What each command prints. The serde names (camelCase, as in ATProto) are the stable `--json`
//! interface: adding a field is fine, renaming or removing one is a breaking change.

use std::collections::BTreeMap;

use pds_proto::admin::v1 as pb;
use serde::Serialize;

use super::{Block, Cell, Tone, View, human_bytes, human_duration};

// ---------------------------------------------------------------------------------------------
// server

/// `server status`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerStatusView {
    pub version: String,
    pub hostname: String,
    pub service_did: String,
    pub uptime_seconds: u64,
    pub accounts: u64,
    pub active_accounts: u64,
    pub repo_bytes: u64,
    pub blob_bytes: u64,
    pub firehose_seq: i64,
    pub firehose_subscribers: u64,
    pub invite_required: bool,
}

impl From<pb::GetServerStatusResponse> for ServerStatusView {
    fn from(s: pb::GetServerStatusResponse) -> Self {
        ServerStatusView {
            version: s.version,
            hostname: s.hostname,
            service_did: s.service_did,
            uptime_seconds: s.uptime_seconds,
            accounts: s.account_count,
            active_accounts: s.active_account_count,
            repo_bytes: s.repo_bytes,
            blob_bytes: s.blob_bytes,
            firehose_seq: s.firehose_last_seq,
            firehose_subscribers: s.firehose_subscribers,
            invite_required: s.invite_required,
        }
    }
}

impl View for ServerStatusView {
    fn blocks(&self) -> Vec<Block> {
        vec![Block::Fields(vec![
            ("Version", self.version.as_str().into()),
            ("Hostname", self.hostname.as_str().into()),
            ("Service DID", self.service_did.as_str().into()),
            ("Uptime", human_duration(self.uptime_seconds).into()),
            (
                "Accounts",
                format!("{} ({} active)", self.accounts, self.active_accounts).into(),
            ),
            ("Repositories", human_bytes(self.repo_bytes).into()),
            ("Blobs", human_bytes(self.blob_bytes).into()),
            ("Firehose seq", self.firehose_seq.to_string().into()),
            (
                "Firehose subscribers",
                self.firehose_subscribers.to_string().into(),
            ),
            ("Invite required", Cell::yes_no(self.invite_required)),
        ])]
    }
}

// ---------------------------------------------------------------------------------------------
// account

/// An account (`account show`, and the result of every command that changes one).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountView {
    pub did: String,
    pub handle: String,
    /// active, deactivated, takendown or deleted.
    pub status: &'static str,
    pub email: Option<String>,
    pub email_confirmed_at: Option<String>,
    pub created_at: String,
    pub deactivated_at: Option<String>,
    pub delete_after: Option<String>,
    pub external_id: Option<String>,
    pub invited_by: Option<String>,
    pub invites_disabled: bool,
    pub email_auth_factor: bool,
}

fn status_name(status: pb::AccountStatus) -> &'static str {
    match status {
        pb::AccountStatus::Active => "active",
        pb::AccountStatus::Deactivated => "deactivated",
        pb::AccountStatus::Takendown => "takendown",
        pb::AccountStatus::Deleted => "deleted",
        pb::AccountStatus::Unspecified => "unknown",
    }
}

fn status_cell(status: &str) -> Cell {
    let tone = match status {
        "active" => Tone::Good,
        "deactivated" => Tone::Warn,
        _ => Tone::Bad,
    };
    Cell::new(status, tone)
}

impl From<pb::Account> for AccountView {
    fn from(a: pb::Account) -> Self {
        AccountView {
            status: status_name(a.status()),
            did: a.did,
            handle: a.handle,
            email: a.email,
            email_confirmed_at: a.email_confirmed_at,
            created_at: a.created_at,
            deactivated_at: a.deactivated_at,
            delete_after: a.delete_after,
            external_id: a.external_id,
            invited_by: a.invited_by,
            invites_disabled: a.invites_disabled,
            email_auth_factor: a.email_auth_factor,
        }
    }
}

impl AccountView {
    fn fields(&self) -> Vec<(&'static str, Cell)> {
        let email = match (&self.email, &self.email_confirmed_at) {
            (Some(e), Some(_)) => Cell::from(format!("{e} (confirmed)")),
            (Some(e), None) => Cell::from(format!("{e} (unconfirmed)")),
            (None, _) => Cell::opt(None),
        };
        let mut fields = vec![
            ("DID", self.did.as_str().into()),
            ("Handle", self.handle.as_str().into()),
            ("Status", status_cell(self.status)),
            ("Email", email),
            ("Created", self.created_at.as_str().into()),
            ("External ID", Cell::opt(self.external_id.as_deref())),
        ];
        if let Some(at) = &self.deactivated_at {
            fields.push(("Deactivated", at.as_str().into()));
        }
        if let Some(at) = &self.delete_after {
            fields.push(("Delete after", Cell::new(at, Tone::Warn)));
        }
        fields.push(("Invited by", Cell::opt(self.invited_by.as_deref())));
        fields.push(("Invites disabled", Cell::yes_no(self.invites_disabled)));
        fields.push(("Email 2FA", Cell::yes_no(self.email_auth_factor)));
        fields
    }
}

impl View for AccountView {
    fn blocks(&self) -> Vec<Block> {
        vec![Block::Fields(self.fields())]
    }
}

/// `account list`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountListView {
    pub accounts: Vec<AccountView>,
    /// Where a listing stopped by --limit can go on (--cursor); null when it is complete.
    pub cursor: Option<String>,
    #[serde(skip)]
    pub filtered: bool,
}

impl View for AccountListView {
    fn blocks(&self) -> Vec<Block> {
        let rows = self
            .accounts
            .iter()
            .map(|a| {
                vec![
                    a.did.as_str().into(),
                    a.handle.as_str().into(),
                    status_cell(a.status),
                    Cell::opt(a.email.as_deref()),
                    a.created_at.as_str().into(),
                    Cell::opt(a.external_id.as_deref()),
                ]
            })
            .collect();
        vec![Block::Table {
            headers: vec!["DID", "HANDLE", "STATUS", "EMAIL", "CREATED", "EXTERNAL ID"],
            rows,
        }]
    }

    fn empty_hint(&self) -> Option<String> {
        self.accounts.is_empty().then(|| {
            if self.filtered {
                "no accounts match".to_string()
            } else {
                "no accounts yet: create one with `pdsctl account create <handle>`".to_string()
            }
        })
    }
}

/// What an account's repository holds.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RepoSummaryView {
    pub commit: String,
    pub rev: String,
    pub records: u64,
    pub blobs: u64,
    pub blob_bytes: u64,
}

impl From<pb::RepoSummary> for RepoSummaryView {
    fn from(r: pb::RepoSummary) -> Self {
        RepoSummaryView {
            commit: r.commit,
            rev: r.rev,
            records: r.record_count,
            blobs: r.blob_count,
            blob_bytes: r.blob_bytes,
        }
    }
}

/// `account show`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountShowView {
    pub account: AccountView,
    pub repo: Option<RepoSummaryView>,
}

impl View for AccountShowView {
    fn blocks(&self) -> Vec<Block> {
        let mut fields = self.account.fields();
        match &self.repo {
            Some(r) => {
                fields.push(("Commit", r.commit.as_str().into()));
                fields.push(("Rev", r.rev.as_str().into()));
                fields.push(("Records", r.records.to_string().into()));
                fields.push((
                    "Blobs",
                    format!("{} ({})", r.blobs, human_bytes(r.blob_bytes)).into(),
                ));
            }
            None => fields.push(("Repository", Cell::new("none", Tone::Warn))),
        }
        vec![Block::Fields(fields)]
    }
}

/// `account create`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountCreatedView {
    pub account: AccountView,
    /// False when the external id already had this account (nothing was created).
    pub created: bool,
    /// The generated password, unless it went to --secrets-out (or none was generated).
    pub password: Option<String>,
    /// Where the generated password was written.
    pub secrets_file: Option<String>,
}

impl View for AccountCreatedView {
    fn blocks(&self) -> Vec<Block> {
        let mut fields = vec![
            ("DID", self.account.did.as_str().into()),
            ("Handle", self.account.handle.as_str().into()),
            ("Email", Cell::opt(self.account.email.as_deref())),
            (
                "External ID",
                Cell::opt(self.account.external_id.as_deref()),
            ),
            (
                "Created",
                if self.created {
                    Cell::new("yes", Tone::Good)
                } else {
                    Cell::new("no: the external id already has this account", Tone::Warn)
                },
            ),
        ];
        if let Some(p) = &self.password {
            fields.push(("Password", p.as_str().into()));
        }
        if let Some(f) = &self.secrets_file {
            fields.push(("Password", format!("written to {f}").into()));
        }
        vec![Block::Fields(fields)]
    }
}

/// `account reset-password`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PasswordResetView {
    /// The account as given on the command line.
    pub account: String,
    /// set, generate, email or token.
    pub method: &'static str,
    pub password: Option<String>,
    pub reset_token: Option<String>,
    pub emailed_to: Option<String>,
    pub sessions_revoked: bool,
    /// Where the password or reset code was written instead of being shown.
    pub secrets_file: Option<String>,
}

impl View for PasswordResetView {
    fn blocks(&self) -> Vec<Block> {
        let mut fields = vec![
            ("Account", self.account.as_str().into()),
            ("Method", self.method.into()),
        ];
        if let Some(p) = &self.password {
            fields.push(("Password", p.as_str().into()));
        }
        if let Some(t) = &self.reset_token {
            fields.push(("Reset code", t.as_str().into()));
        }
        if let Some(e) = &self.emailed_to {
            fields.push(("Emailed to", e.as_str().into()));
        }
        if let Some(f) = &self.secrets_file {
            fields.push(("Secret", format!("written to {f}").into()));
        }
        fields.push(("Sessions revoked", Cell::yes_no(self.sessions_revoked)));
        vec![Block::Fields(fields)]
    }
}

/// `account delete`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountDeletedView {
    pub did: String,
    pub handle: String,
    pub deleted: bool,
}

impl View for AccountDeletedView {
    fn blocks(&self) -> Vec<Block> {
        vec![Block::Fields(vec![
            ("DID", self.did.as_str().into()),
            ("Handle", self.handle.as_str().into()),
            ("Deleted", Cell::new("yes", Tone::Bad)),
        ])]
    }
}

/// An error as the JSON outputs carry it.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorView {
    /// pdsd's error name (`HandleNotAvailable`), or pdsctl's code for local problems.
    pub error: String,
    pub message: String,
}

/// One row of `account provision` (a JSON Lines record with --json).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProvisionRowView {
    /// Line of the input file (1 is the CSV header).
    pub line: u64,
    pub external_id: Option<String>,
    /// The handle asked for; the account's handle is in `account`.
    pub handle: Option<String>,
    /// created, existing or failed.
    pub result: &'static str,
    pub did: Option<String>,
    /// The account's actual handle (an existing account keeps its own).
    pub account_handle: Option<String>,
    pub error: Option<ErrorView>,
    /// The generated password (only with --show-secrets).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// The reset code (only with --show-secrets).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reset_token: Option<String>,
}

impl ProvisionRowView {
    pub const HEADERS: [&'static str; 6] =
        ["LINE", "EXTERNAL ID", "HANDLE", "RESULT", "DID", "ERROR"];

    pub fn row(&self, show_secrets: bool) -> Vec<Cell> {
        let tone = match self.result {
            "created" => Tone::Good,
            "existing" => Tone::Normal,
            _ => Tone::Bad,
        };
        let mut row = vec![
            self.line.to_string().into(),
            Cell::opt(self.external_id.as_deref()),
            Cell::opt(self.account_handle.as_deref().or(self.handle.as_deref())),
            Cell::new(self.result, tone),
            Cell::opt(self.did.as_deref()),
            match &self.error {
                Some(e) => Cell::new(format!("{}: {}", e.error, e.message), Tone::Bad),
                None => Cell::opt(None),
            },
        ];
        if show_secrets {
            row.push(Cell::opt(
                self.password.as_deref().or(self.reset_token.as_deref()),
            ));
        }
        row
    }
}

/// The whole `account provision` report as a table (on a terminal).
#[derive(Debug, Clone, Serialize)]
pub struct ProvisionReportView {
    pub rows: Vec<ProvisionRowView>,
    #[serde(skip)]
    pub show_secrets: bool,
}

impl View for ProvisionReportView {
    fn blocks(&self) -> Vec<Block> {
        let mut headers = ProvisionRowView::HEADERS.to_vec();
        if self.show_secrets {
            headers.push("SECRET");
        }
        vec![Block::Table {
            headers,
            rows: self.rows.iter().map(|r| r.row(self.show_secrets)).collect(),
        }]
    }

    fn empty_hint(&self) -> Option<String> {
        self.rows
            .is_empty()
            .then(|| "the input has no rows".to_string())
    }
}

// ---------------------------------------------------------------------------------------------
// invite

/// One use of an invite code.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InviteUseView {
    pub used_by: String,
    pub used_at: String,
}

/// An invite code.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InviteView {
    pub code: String,
    pub available: u32,
    pub total_uses: u32,
    pub disabled: bool,
    pub for_account: String,
    pub created_by: String,
    pub created_at: String,
    pub uses: Vec<InviteUseView>,
}

impl From<pb::InviteCode> for InviteView {
    fn from(c: pb::InviteCode) -> Self {
        InviteView {
            code: c.code,
            available: c.available,
            total_uses: c.total_uses,
            disabled: c.disabled,
            for_account: c.for_account,
            created_by: c.created_by,
            created_at: c.created_at,
            uses: c
                .uses
                .into_iter()
                .map(|u| InviteUseView {
                    used_by: u.used_by,
                    used_at: u.used_at,
                })
                .collect(),
        }
    }
}

impl InviteView {
    fn state(&self) -> Cell {
        if self.disabled {
            Cell::new("disabled", Tone::Bad)
        } else if self.available == 0 {
            Cell::new("used up", Tone::Dim)
        } else {
            Cell::new("available", Tone::Good)
        }
    }
}

/// `invite list`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InviteListView {
    pub codes: Vec<InviteView>,
    /// Where a listing stopped by --limit could go on; null when it is complete.
    pub cursor: Option<String>,
}

impl View for InviteListView {
    fn blocks(&self) -> Vec<Block> {
        let rows = self
            .codes
            .iter()
            .map(|c| {
                vec![
                    c.code.as_str().into(),
                    c.state(),
                    format!("{}/{}", c.total_uses - c.available, c.total_uses).into(),
                    c.for_account.as_str().into(),
                    c.created_by.as_str().into(),
                    c.created_at.as_str().into(),
                ]
            })
            .collect();
        vec![Block::Table {
            headers: vec!["CODE", "STATE", "USED", "FOR", "CREATED BY", "CREATED"],
            rows,
        }]
    }

    fn empty_hint(&self) -> Option<String> {
        self.codes
            .is_empty()
            .then(|| "no invite codes: create some with `pdsctl invite create`".to_string())
    }
}

/// `invite create`: the new codes. Operator codes print bare, one per line; codes made for
/// accounts print with their account.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InviteCreatedView {
    pub codes: Vec<InviteView>,
}

impl View for InviteCreatedView {
    fn blocks(&self) -> Vec<Block> {
        if self.codes.iter().all(|c| c.for_account == "admin") {
            return vec![Block::Values(
                self.codes.iter().map(|c| c.code.clone()).collect(),
            )];
        }
        vec![Block::Table {
            headers: vec!["CODE", "FOR", "USES"],
            rows: self
                .codes
                .iter()
                .map(|c| {
                    vec![
                        c.code.as_str().into(),
                        c.for_account.as_str().into(),
                        c.total_uses.to_string().into(),
                    ]
                })
                .collect(),
        }]
    }
}

/// `invite disable`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InvitesDisabledView {
    /// Codes newly disabled (codes already disabled do not count).
    pub disabled: u32,
}

impl View for InvitesDisabledView {
    fn blocks(&self) -> Vec<Block> {
        vec![Block::Fields(vec![(
            "Disabled",
            self.disabled.to_string().into(),
        )])]
    }
}

// ---------------------------------------------------------------------------------------------
// key

/// Which single form `key generate --format` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyForm {
    PrivateHex,
    PrivateMultibase,
    PublicHex,
    PublicMultibase,
    DidKey,
}

/// `key generate`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyView {
    /// k256 or p256.
    #[serde(rename = "type")]
    pub key_type: &'static str,
    /// Absent when the private key went to --private-key-out.
    pub private_key_hex: Option<String>,
    pub private_key_multibase: Option<String>,
    /// Where the private key was written.
    pub private_key_file: Option<String>,
    /// The compressed public key, hex.
    pub public_key_hex: String,
    pub public_key_multibase: String,
    pub did_key: String,
    #[serde(skip)]
    pub only: Option<KeyForm>,
}

impl View for KeyView {
    fn blocks(&self) -> Vec<Block> {
        let bare = |v: &Option<String>| v.clone().unwrap_or_default();
        if let Some(form) = self.only {
            let value = match form {
                KeyForm::PrivateHex => bare(&self.private_key_hex),
                KeyForm::PrivateMultibase => bare(&self.private_key_multibase),
                KeyForm::PublicHex => self.public_key_hex.clone(),
                KeyForm::PublicMultibase => self.public_key_multibase.clone(),
                KeyForm::DidKey => self.did_key.clone(),
            };
            return vec![Block::Values(vec![value])];
        }
        let mut fields = vec![("Type", self.key_type.into())];
        if let Some(hex) = &self.private_key_hex {
            fields.push(("Private key (hex)", hex.as_str().into()));
        }
        if let Some(mb) = &self.private_key_multibase {
            fields.push(("Private key (multibase)", mb.as_str().into()));
        }
        if let Some(f) = &self.private_key_file {
            fields.push(("Private key", format!("written to {f}").into()));
        }
        fields.push(("Public key (hex)", self.public_key_hex.as_str().into()));
        fields.push((
            "Public key (multibase)",
            self.public_key_multibase.as_str().into(),
        ));
        fields.push(("did:key", self.did_key.as_str().into()));
        vec![Block::Fields(fields)]
    }
}

// ---------------------------------------------------------------------------------------------
// repo and blob

/// What a repository CAR file holds, as checked by [`crate::car::inspect`].
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CarReportView {
    /// CID of the root commit.
    pub commit: String,
    pub did: String,
    pub rev: String,
    pub version: i64,
    /// CID of the MST root.
    pub data: String,
    pub blocks: u64,
    /// Size of the CAR file.
    pub bytes: u64,
    pub records: u64,
    /// Records per collection NSID.
    pub collections: BTreeMap<String, u64>,
    /// The structure checked out: blocks match their CIDs, MST complete and canonical, every
    /// record present. Always true in a report (a failed check is an error).
    pub structure_verified: bool,
    /// verified, invalid or not checked.
    pub signature: &'static str,
    /// The did:key the signature was checked against.
    pub signature_key: Option<String>,
}

impl CarReportView {
    fn fields(&self) -> Vec<(&'static str, Cell)> {
        let signature = match self.signature {
            "verified" => Cell::new(
                format!(
                    "verified ({})",
                    self.signature_key.as_deref().unwrap_or_default()
                ),
                Tone::Good,
            ),
            "invalid" => Cell::new(
                format!(
                    "DOES NOT VERIFY against {}",
                    self.signature_key.as_deref().unwrap_or_default()
                ),
                Tone::Bad,
            ),
            _ => Cell::new("not checked (pass --key did:key:...)", Tone::Warn),
        };
        vec![
            ("DID", self.did.as_str().into()),
            ("Commit", self.commit.as_str().into()),
            ("Rev", self.rev.as_str().into()),
            ("Version", self.version.to_string().into()),
            ("MST root", self.data.as_str().into()),
            ("Blocks", self.blocks.to_string().into()),
            ("Size", human_bytes(self.bytes).into()),
            ("Records", self.records.to_string().into()),
            (
                "Structure",
                Cell::new(
                    "verified (CIDs, complete canonical MST, records present)",
                    Tone::Good,
                ),
            ),
            ("Signature", signature),
        ]
    }

    fn collections_block(&self) -> Block {
        Block::Table {
            headers: vec!["COLLECTION", "RECORDS"],
            rows: self
                .collections
                .iter()
                .map(|(c, n)| vec![c.as_str().into(), n.to_string().into()])
                .collect(),
        }
    }
}

/// `repo inspect`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RepoInspectView {
    pub file: String,
    #[serde(flatten)]
    pub report: CarReportView,
}

impl View for RepoInspectView {
    fn blocks(&self) -> Vec<Block> {
        let mut fields = vec![("File", self.file.as_str().into())];
        fields.extend(self.report.fields());
        let mut blocks = vec![Block::Fields(fields)];
        if !self.report.collections.is_empty() {
            blocks.push(self.report.collections_block());
        }
        blocks
    }
}

/// `repo export`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RepoExportView {
    pub file: String,
    #[serde(flatten)]
    pub report: CarReportView,
}

impl View for RepoExportView {
    fn blocks(&self) -> Vec<Block> {
        let mut fields = vec![("File", self.file.as_str().into())];
        fields.extend(self.report.fields());
        let mut blocks = vec![Block::Fields(fields)];
        if !self.report.collections.is_empty() {
            blocks.push(self.report.collections_block());
        }
        blocks
    }
}

/// `repo import`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RepoImportView {
    pub did: String,
    pub commit: String,
    pub rev: String,
    pub bytes_sent: u64,
    pub records: u64,
}

impl View for RepoImportView {
    fn blocks(&self) -> Vec<Block> {
        vec![Block::Fields(vec![
            ("DID", self.did.as_str().into()),
            ("Commit", self.commit.as_str().into()),
            ("Rev", self.rev.as_str().into()),
            ("Sent", human_bytes(self.bytes_sent).into()),
            ("Records", self.records.to_string().into()),
        ])]
    }
}

/// One blob of `blob export`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BlobFileView {
    pub cid: String,
    pub mime_type: String,
    pub size: u64,
    pub file: String,
    /// written, or skipped (already there with the right content).
    pub result: &'static str,
}

/// `blob export`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BlobExportView {
    pub account: String,
    pub directory: String,
    pub blobs: Vec<BlobFileView>,
    pub written: u64,
    pub skipped: u64,
    pub bytes: u64,
}

impl View for BlobExportView {
    fn blocks(&self) -> Vec<Block> {
        vec![Block::Table {
            headers: vec!["CID", "TYPE", "SIZE", "RESULT"],
            rows: self
                .blobs
                .iter()
                .map(|b| {
                    vec![
                        b.cid.as_str().into(),
                        b.mime_type.as_str().into(),
                        human_bytes(b.size).into(),
                        Cell::new(
                            b.result,
                            if b.result == "written" {
                                Tone::Good
                            } else {
                                Tone::Dim
                            },
                        ),
                    ]
                })
                .collect(),
        }]
    }

    fn empty_hint(&self) -> Option<String> {
        self.blobs
            .is_empty()
            .then(|| format!("{} has no blobs: nothing written", self.account))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::out::{Mode, render_blocks};

    /// A view as a terminal, a pipe and `--json` show it.
    fn all_modes<V: View>(view: &V) -> String {
        let shown = |mode| match view.empty_hint() {
            Some(hint) => format!("(stderr) {hint}\n"),
            None => render_blocks(&view.blocks(), mode, false),
        };
        format!(
            "--- table\n{}--- plain\n{}--- json\n{}\n",
            shown(Mode::Table),
            shown(Mode::Plain),
            serde_json::to_string_pretty(view).unwrap()
        )
    }

    fn account(n: u8, status: pb::AccountStatus) -> AccountView {
        AccountView::from(pb::Account {
            did: format!("did:plc:{}", (b'a' + n) as char).repeat(1) + "bcdefghijklmnopqrstuvwx",
            handle: format!("user{n}.pds.example.com"),
            email: Some(format!("user{n}@example.com")),
            email_confirmed_at: (n == 0).then(|| "2026-11-22T10:05:00.000Z".to_string()),
            created_at: "2026-11-22T10:00:00.000Z".into(),
            status: status.into(),
            deactivated_at: (status == pb::AccountStatus::Deactivated)
                .then(|| "2026-11-23T08:00:00.000Z".to_string()),
            delete_after: None,
            external_id: Some(format!("emp-{n}")),
            invites_disabled: false,
            invited_by: None,
            email_auth_factor: false,
        })
    }

    #[test]
    fn server_status_snapshot() {
        insta::assert_snapshot!(all_modes(&ServerStatusView::from(
            pb::GetServerStatusResponse {
                version: "0.1.0".into(),
                uptime_seconds: 93_784,
                account_count: 12,
                active_account_count: 11,
                repo_bytes: 5_400_000,
                blob_bytes: 123_456_789,
                firehose_last_seq: 4711,
                firehose_subscribers: 2,
                hostname: "pds.example.com".into(),
                service_did: "did:web:pds.example.com".into(),
                invite_required: true,
            }
        )));
    }

    #[test]
    fn account_list_snapshot() {
        insta::assert_snapshot!(all_modes(&AccountListView {
            accounts: vec![
                account(0, pb::AccountStatus::Active),
                account(1, pb::AccountStatus::Deactivated),
            ],
            cursor: None,
            filtered: false,
        }));
    }

    #[test]
    fn empty_account_list_is_a_hint_on_stderr_and_an_empty_array_in_json() {
        insta::assert_snapshot!(all_modes(&AccountListView {
            accounts: vec![],
            cursor: None,
            filtered: true,
        }));
    }

    #[test]
    fn account_show_snapshot() {
        insta::assert_snapshot!(all_modes(&AccountShowView {
            account: account(1, pb::AccountStatus::Deactivated),
            repo: Some(RepoSummaryView {
                commit: "bafyreib2rxk3rh6kzwq6ahcbw2hr5mtbnx2xdcbyn3jwcqpkrkrqgn6tlq".into(),
                rev: "3lbmbc2x7sk2a".into(),
                records: 42,
                blobs: 3,
                blob_bytes: 1_572_864,
            }),
        }));
    }

    #[test]
    fn invite_list_snapshot() {
        let code = |code: &str, available, disabled| {
            InviteView::from(pb::InviteCode {
                code: code.into(),
                available,
                disabled,
                for_account: "admin".into(),
                created_by: "admin".into(),
                created_at: "2026-11-22T10:00:00.000Z".into(),
                uses: if available == 0 {
                    vec![pb::InviteCodeUse {
                        used_by: "did:plc:abcdefghijklmnopqrstuvwx".into(),
                        used_at: "2026-11-22T11:00:00.000Z".into(),
                    }]
                } else {
                    vec![]
                },
                total_uses: 1,
            })
        };
        insta::assert_snapshot!(all_modes(&InviteListView {
            codes: vec![
                code("pds-example-com-aaaaa-bbbbb", 1, false),
                code("pds-example-com-ccccc-ddddd", 0, false),
                code("pds-example-com-eeeee-fffff", 1, true),
            ],
            cursor: None,
        }));
    }

    #[test]
    fn provision_report_snapshot() {
        let row = |line, id: &str, result, error: Option<ErrorView>| ProvisionRowView {
            line,
            external_id: Some(id.into()),
            handle: Some(format!("{id}.pds.example.com")),
            result,
            did: (result != "failed").then(|| "did:plc:abcdefghijklmnopqrstuvwx".to_string()),
            account_handle: (result != "failed").then(|| format!("{id}.pds.example.com")),
            error,
            password: None,
            reset_token: None,
        };
        insta::assert_snapshot!(all_modes(&ProvisionReportView {
            rows: vec![
                row(2, "emp-1", "created", None),
                row(3, "emp-2", "existing", None),
                row(
                    4,
                    "emp-3",
                    "failed",
                    Some(ErrorView {
                        error: "HandleNotAvailable".into(),
                        message: "Handle already taken".into(),
                    })
                ),
            ],
            show_secrets: false,
        }));
    }

    #[test]
    fn repo_inspect_snapshot() {
        insta::assert_snapshot!(all_modes(&RepoInspectView {
            file: "alice.car".into(),
            report: CarReportView {
                commit: "bafyreib2rxk3rh6kzwq6ahcbw2hr5mtbnx2xdcbyn3jwcqpkrkrqgn6tlq".into(),
                did: "did:plc:abcdefghijklmnopqrstuvwx".into(),
                rev: "3lbmbc2x7sk2a".into(),
                version: 3,
                data: "bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm".into(),
                blocks: 57,
                bytes: 23_456,
                records: 31,
                collections: [
                    ("app.bsky.feed.like".to_string(), 1),
                    ("app.bsky.feed.post".to_string(), 30),
                ]
                .into(),
                structure_verified: true,
                signature: "not checked",
                signature_key: None,
            },
        }));
    }

    #[test]
    fn key_generate_prints_every_form_or_one_bare_value() {
        let mut view = KeyView {
            key_type: "k256",
            private_key_hex: Some(
                "9085d2bef69286a6cbb51623c8fa258629945cd55ca705cc4e66700396894e0c".into(),
            ),
            private_key_multibase: Some("z3vLY4nbXy2rV4Qr65gUtfnSF3A8Be7gmYzUiCX6eo2PRoj2".into()),
            private_key_file: None,
            public_key_hex: "0339e8b1fd65e21cd1bcdae6dd47e9c0d4aa3b3d0ed2bee6e2e42e5d14d55ce5ba"
                .into(),
            public_key_multibase: "zQ3shqwJEJyMBsBXCWyCBpUBMqxcon9oHB7mCvx4sSpMdLJwc".into(),
            did_key: "did:key:zQ3shqwJEJyMBsBXCWyCBpUBMqxcon9oHB7mCvx4sSpMdLJwc".into(),
            only: None,
        };
        insta::assert_snapshot!(all_modes(&view));
        view.only = Some(KeyForm::PrivateHex);
        assert_eq!(
            render_blocks(&view.blocks(), Mode::Table, false),
            "9085d2bef69286a6cbb51623c8fa258629945cd55ca705cc4e66700396894e0c\n"
        );
    }
}
