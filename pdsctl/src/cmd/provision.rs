//! `pdsctl account provision --from FILE`: bulk, idempotent account creation keyed by the
//! operator's external ids (CreateAccount's `external_id`).

use std::io::Read;
use std::path::PathBuf;

use anyhow::{Context, bail};
use futures_util::{StreamExt, stream};
use pds_proto::admin::v1 as pb;
use serde::Deserialize;

use super::Ctx;
use crate::cli::{Credentials, ProvisionFormat};
use crate::client::{Client, RpcResult};
use crate::error::{RpcError, Unreachable, usage};
use crate::out::views::{ErrorView, ProvisionReportView, ProvisionRowView};
use crate::out::{Mode, Out};
use crate::secrets::SecretsFile;

pub struct Options {
    pub from: PathBuf,
    pub format: ProvisionFormat,
    pub credentials: Credentials,
    pub secrets_out: Option<PathBuf>,
    pub show_secrets: bool,
    pub jobs: usize,
    pub reason: Option<String>,
}

/// One input row, or why it cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Line in the input (for CSV, the header is line 1).
    pub line: u64,
    pub external_id: Option<String>,
    pub handle: Option<String>,
    pub email: Option<String>,
    pub problem: Option<String>,
}

/// A JSON Lines row; the keys pdsctl's own `--json` output and the proto use are accepted.
#[derive(Deserialize)]
struct JsonRow {
    #[serde(alias = "external_id", alias = "externalID", alias = "id")]
    #[serde(rename = "externalId")]
    external_id: Option<serde_json::Value>,
    handle: Option<String>,
    email: Option<String>,
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

fn finish(mut row: Row) -> Row {
    if row.problem.is_none() {
        if row.external_id.is_none() {
            row.problem = Some("no external id".into());
        } else if row.handle.is_none() {
            row.problem = Some("no handle".into());
        }
    }
    row
}

/// Parses CSV with a header row. The columns are found by name (case and `-`/`_`/space
/// insensitive): `external_id` (or `id`), `handle` and optionally `email`; others are ignored.
pub fn parse_csv(input: &[u8]) -> anyhow::Result<Vec<Row>> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(input);
    let headers = reader
        .headers()
        .context("cannot read the CSV header")?
        .clone();
    let norm = |h: &str| {
        h.trim_start_matches('\u{feff}')
            .to_ascii_lowercase()
            .replace(['-', ' ', '_'], "")
    };
    let find = |names: &[&str]| {
        headers
            .iter()
            .position(|h| names.contains(&norm(h).as_str()))
    };
    let Some(id_col) = find(&["externalid", "id"]) else {
        return Err(usage(format!(
            "the CSV header has no external_id column (it has: {})",
            headers.iter().collect::<Vec<_>>().join(", ")
        )));
    };
    let Some(handle_col) = find(&["handle"]) else {
        return Err(usage("the CSV header has no handle column"));
    };
    let email_col = find(&["email", "emailaddress"]);
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                rows.push(Row {
                    line,
                    external_id: None,
                    handle: None,
                    email: None,
                    problem: Some(format!("unreadable CSV: {e}")),
                });
                continue;
            }
        };
        let field = |i: usize| non_empty(record.get(i).map(str::to_string));
        rows.push(finish(Row {
            line: record.position().map_or(0, |p| p.line()),
            external_id: field(id_col),
            handle: field(handle_col),
            email: email_col.and_then(field),
            problem: None,
        }));
    }
    Ok(rows)
}

/// Parses JSON Lines: one object per non-empty line.
pub fn parse_jsonl(input: &[u8]) -> anyhow::Result<Vec<Row>> {
    let text = std::str::from_utf8(input).map_err(|_| usage("the input is not UTF-8"))?;
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = i as u64 + 1;
        if line.trim().is_empty() {
            continue;
        }
        let row = match serde_json::from_str::<JsonRow>(line) {
            Ok(r) => finish(Row {
                line: line_no,
                external_id: match r.external_id {
                    Some(serde_json::Value::String(s)) => non_empty(Some(s)),
                    Some(serde_json::Value::Number(n)) => Some(n.to_string()),
                    _ => None,
                },
                handle: non_empty(r.handle),
                email: non_empty(r.email),
                problem: None,
            }),
            Err(e) => Row {
                line: line_no,
                external_id: None,
                handle: None,
                email: None,
                problem: Some(format!("not a JSON object with handle and externalId: {e}")),
            },
        };
        rows.push(row);
    }
    Ok(rows)
}

/// Reads and parses the input file (`-` is stdin).
fn read_rows(from: &std::path::Path, format: ProvisionFormat) -> anyhow::Result<Vec<Row>> {
    let mut input = Vec::new();
    if from.as_os_str() == "-" {
        std::io::stdin()
            .read_to_end(&mut input)
            .context("cannot read stdin")?;
    } else {
        input = std::fs::read(from)
            .map_err(|e| usage(format!("cannot read {}: {e}", from.display())))?;
    }
    let format = match format {
        ProvisionFormat::Auto => {
            let ext = from
                .extension()
                .and_then(|e| e.to_str())
                .map(str::to_ascii_lowercase);
            match ext.as_deref() {
                Some("csv") => ProvisionFormat::Csv,
                Some("jsonl" | "ndjson" | "json") => ProvisionFormat::Jsonl,
                _ if input.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') => {
                    ProvisionFormat::Jsonl
                }
                _ => ProvisionFormat::Csv,
            }
        }
        f => f,
    };
    let mut rows = match format {
        ProvisionFormat::Jsonl => parse_jsonl(&input)?,
        _ => parse_csv(&input)?,
    };
    mark_duplicates(&mut rows);
    Ok(rows)
}

/// A second row with the same external id is a mistake in the input (and the two would race
/// in parallel CreateAccount calls): it fails, the first goes ahead.
pub fn mark_duplicates(rows: &mut [Row]) {
    let mut first_line = std::collections::HashMap::new();
    for row in rows.iter_mut() {
        let Some(id) = row.external_id.clone() else {
            continue;
        };
        if let Some(line) = first_line.get(&id) {
            if row.problem.is_none() {
                row.problem = Some(format!("duplicate external id {id} (first on line {line})"));
            }
        } else {
            first_line.insert(id, row.line);
        }
    }
}

/// What one row came to.
struct Outcome {
    row: Row,
    did: Option<String>,
    account_handle: Option<String>,
    created: bool,
    secret: Option<(&'static str, String)>,
    error: Option<ErrorView>,
}

fn error_view(e: &anyhow::Error) -> ErrorView {
    let name = e
        .chain()
        .find_map(|c| c.downcast_ref::<RpcError>())
        .map(|r| r.name.clone().unwrap_or_else(|| format!("{:?}", r.code)));
    ErrorView {
        error: name.unwrap_or_else(|| "Failed".into()),
        message: format!("{e:#}"),
    }
}

/// Creates one row's account and its credentials. Err only when pdsd became unreachable
/// (the run stops); every other failure is the row's.
async fn provision_row(
    client: &Client,
    row: Row,
    credentials: Credentials,
    reason: Option<String>,
) -> Result<Outcome, anyhow::Error> {
    let mut outcome = Outcome {
        row,
        did: None,
        account_handle: None,
        created: false,
        secret: None,
        error: None,
    };
    if let Some(problem) = &outcome.row.problem {
        outcome.error = Some(ErrorView {
            error: "InvalidRow".into(),
            message: problem.clone(),
        });
        return Ok(outcome);
    }
    if credentials == Credentials::Email && outcome.row.email.is_none() {
        outcome.error = Some(ErrorView {
            error: "InvalidRow".into(),
            message: "--credentials email needs an email address".into(),
        });
        return Ok(outcome);
    }
    let created = client
        .accounts()
        .create_account(pb::CreateAccountRequest {
            handle: outcome.row.handle.clone().unwrap_or_default(),
            email: outcome.row.email.clone(),
            password: None,
            external_id: outcome.row.external_id.clone(),
            recovery_key: None,
            reason: reason.clone(),
        })
        .await
        .rpc(client);
    let created = match created {
        Ok(c) => c,
        Err(e) if e.downcast_ref::<Unreachable>().is_some() => return Err(e),
        Err(e) => {
            outcome.error = Some(error_view(&e));
            return Ok(outcome);
        }
    };
    let account = created.account.unwrap_or_default();
    outcome.did = Some(account.did.clone());
    outcome.account_handle = Some(account.handle.clone());
    outcome.created = created.created;
    if !created.created {
        return Ok(outcome);
    }
    let method = match credentials {
        Credentials::Password => {
            outcome.secret = created.password.map(|p| ("password", p));
            return Ok(outcome);
        }
        Credentials::ResetToken => pb::ResetPasswordMethod::Token,
        Credentials::Email => pb::ResetPasswordMethod::Email,
    };
    let reset = client
        .accounts()
        .reset_password(pb::ResetPasswordRequest {
            account: account.did.clone(),
            password: None,
            method: method.into(),
            reason,
        })
        .await
        .rpc(client);
    match reset {
        Ok(r) => outcome.secret = r.reset_token.map(|t| ("reset_token", t)),
        Err(e) if e.downcast_ref::<Unreachable>().is_some() => return Err(e),
        Err(e) => {
            let mut view = error_view(&e);
            view.message = format!(
                "account created, but issuing its reset code failed ({}): run `pdsctl account \
                 reset-password {} --method {}`",
                view.message,
                account.did,
                if method == pb::ResetPasswordMethod::Email {
                    "email"
                } else {
                    "token"
                }
            );
            outcome.error = Some(view);
        }
    }
    Ok(outcome)
}

pub async fn run(ctx: &Ctx, out: &mut Out, opts: Options) -> anyhow::Result<()> {
    if opts.credentials != Credentials::Email && opts.secrets_out.is_none() && !opts.show_secrets {
        return Err(usage(
            "new accounts get secrets that are shown only once: pass --secrets-out FILE (or \
             --show-secrets to print them)",
        ));
    }
    let rows = read_rows(&opts.from, opts.format)
        .with_context(|| format!("cannot read the accounts in {}", opts.from.display()))?;
    let mut secrets = opts
        .secrets_out
        .as_deref()
        .map(SecretsFile::open)
        .transpose()?;
    let client = ctx.client().await?;
    let total = rows.len();
    let bar = out.progress(Some(total as u64), false, "provisioning");
    let mut report = ProvisionReportView {
        rows: Vec::with_capacity(total),
        show_secrets: opts.show_secrets,
    };
    let (mut created, mut existing, mut failed) = (0usize, 0usize, 0usize);
    let mut header_done = false;
    let mut results = stream::iter(rows)
        .map(|row| provision_row(&client, row, opts.credentials, opts.reason.clone()))
        .buffered(opts.jobs);
    while let Some(outcome) = results.next().await {
        let mut outcome = match outcome {
            Ok(o) => o,
            Err(e) => {
                bar.abandon();
                return Err(e.context(format!(
                    "account provision stopped after {} of {total} rows",
                    report.rows.len()
                )));
            }
        };
        bar.inc(1);
        // The secret is made durable before the row is reported: it exists nowhere else.
        if let (Some((kind, secret)), Some(file)) = (&outcome.secret, secrets.as_mut())
            && let Err(e) = file.write(
                outcome.row.external_id.as_deref(),
                outcome.did.as_deref().unwrap_or_default(),
                outcome.account_handle.as_deref().unwrap_or_default(),
                kind,
                secret,
            )
        {
            bar.abandon();
            return Err(e.context(format!(
                "account provision stopped at line {}: the account {} was created but its \
                 secret could not be saved; reset its password",
                outcome.row.line,
                outcome.did.as_deref().unwrap_or_default()
            )));
        }
        if !opts.show_secrets {
            outcome.secret = None;
        }
        let result = match (&outcome.error, outcome.created) {
            (Some(_), _) => {
                failed += 1;
                "failed"
            }
            (None, true) => {
                created += 1;
                "created"
            }
            (None, false) => {
                existing += 1;
                "existing"
            }
        };
        let (password, reset_token) = match outcome.secret {
            Some(("password", s)) => (Some(s), None),
            Some((_, s)) => (None, Some(s)),
            None => (None, None),
        };
        let view = ProvisionRowView {
            line: outcome.row.line,
            external_id: outcome.row.external_id,
            handle: outcome.row.handle,
            result,
            did: outcome.did,
            account_handle: outcome.account_handle,
            error: outcome.error,
            password,
            reset_token,
        };
        match out.mode() {
            Mode::Json => out.emit_line(&view)?,
            // Piped: one line per row as it completes, under one header line.
            Mode::Plain => {
                let mut headers = ProvisionRowView::HEADERS.to_vec();
                if opts.show_secrets {
                    headers.push("SECRET");
                }
                out.emit_row(&headers, view.row(opts.show_secrets), !header_done)?;
                header_done = true;
            }
            Mode::Table => report.rows.push(view),
        }
    }
    bar.finish_and_clear();
    if out.mode() == Mode::Table {
        out.emit(&report)?;
    }
    let mut summary =
        format!("{total} rows: {created} created, {existing} existing, {failed} failed");
    if let Some(file) = &secrets
        && created > 0
    {
        summary.push_str(&format!("; secrets appended to {}", file.path().display()));
    }
    out.hint(&summary);
    if failed > 0 {
        bail!(
            "account provision: {failed} of {total} rows failed (fix them and run it again: rows done are skipped)"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_columns_are_found_by_name_and_bad_rows_are_kept_with_their_problem() {
        let rows = parse_csv(
            b"Email,Handle,External-ID,dept\n\
              a@example.com,alice,e1,x\n\
              ,bob,e2,y\n\
              c@example.com,,e3,z\n",
        )
        .unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(
            rows[0],
            Row {
                line: 2,
                external_id: Some("e1".into()),
                handle: Some("alice".into()),
                email: Some("a@example.com".into()),
                problem: None,
            }
        );
        assert_eq!(rows[1].email, None);
        assert_eq!(rows[2].problem.as_deref(), Some("no handle"));
    }

    #[test]
    fn a_csv_without_the_needed_columns_is_a_usage_error() {
        let err = parse_csv(b"name,mail\nx,y\n").unwrap_err();
        assert!(
            err.downcast_ref::<crate::error::Usage>().is_some(),
            "{err:#}"
        );
    }

    #[test]
    fn a_repeated_external_id_fails_after_its_first_row() {
        let mut rows = parse_csv(b"id,handle\ne1,a\ne2,b\ne1,c\n").unwrap();
        mark_duplicates(&mut rows);
        assert_eq!(rows[0].problem, None);
        assert_eq!(rows[1].problem, None);
        assert_eq!(
            rows[2].problem.as_deref(),
            Some("duplicate external id e1 (first on line 2)")
        );
    }

    #[test]
    fn json_lines_accept_both_spellings_and_report_bad_lines() {
        let rows = parse_jsonl(
            b"{\"externalId\": \"e1\", \"handle\": \"alice\"}\n\
              \n\
              {\"external_id\": 7, \"handle\": \"bob\", \"email\": \"b@example.com\"}\n\
              not json\n",
        )
        .unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].external_id.as_deref(), Some("e1"));
        assert_eq!(rows[1].line, 3);
        assert_eq!(rows[1].external_id.as_deref(), Some("7"));
        assert!(rows[2].problem.is_some());
    }
}
