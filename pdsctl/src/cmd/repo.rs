//! `pdsctl repo ...`: CAR export (streamed, verified before it is kept), import (streamed)
//! and offline inspection.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::{Context, bail};
use pds_proto::admin::v1 as pb;
use tokio::io::AsyncReadExt;

use super::Ctx;
use crate::car;
use crate::cli::RepoCommand;
use crate::client::RpcResult;
use crate::error::usage;
use crate::out::Out;
use crate::out::views::{RepoExportView, RepoImportView, RepoInspectView};

/// Bytes per ImportRepo message (well under tonic's 4 MiB message limit).
const CHUNK: usize = 64 * 1024;

/// A file being written next to its destination; removed unless [`Partial::keep`] moves it
/// into place (so an interrupted or failed export leaves nothing that looks complete).
pub struct Partial {
    path: PathBuf,
    file: Option<BufWriter<File>>,
}

impl Partial {
    pub fn create(dest: &Path) -> anyhow::Result<Partial> {
        let name = dest
            .file_name()
            .with_context(|| format!("{} is not a file name", dest.display()))?;
        let path = dest.with_file_name(format!(".{}.partial", name.to_string_lossy()));
        let file =
            File::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
        Ok(Partial {
            path,
            file: Some(BufWriter::new(file)),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn write(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
        if let Some(f) = self.file.as_mut() {
            f.write_all(bytes)
                .with_context(|| format!("cannot write {}", self.path.display()))?;
        }
        Ok(())
    }

    /// Flushes and syncs the file; it stays at [`Partial::path`].
    pub fn close(&mut self) -> anyhow::Result<()> {
        if let Some(f) = self.file.take() {
            let file = f.into_inner().map_err(|e| e.into_error())?;
            file.sync_all()
                .with_context(|| format!("cannot write {}", self.path.display()))?;
        }
        Ok(())
    }

    /// Moves the finished file to `dest`.
    pub fn keep(mut self, dest: &Path) -> anyhow::Result<()> {
        self.close()?;
        std::fs::rename(&self.path, dest)
            .with_context(|| format!("cannot move the file into place at {}", dest.display()))?;
        self.path = PathBuf::new();
        Ok(())
    }
}

impl Drop for Partial {
    fn drop(&mut self) {
        if !self.path.as_os_str().is_empty() {
            self.file = None;
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

pub async fn run(ctx: &Ctx, out: &mut Out, command: RepoCommand) -> anyhow::Result<()> {
    match command {
        RepoCommand::Export {
            account,
            output,
            key,
            force,
        } => export(ctx, out, &account, &output, key.as_deref(), force).await,
        RepoCommand::Import {
            account,
            file,
            reason,
        } => import(ctx, out, &account, &file, reason).await,
        RepoCommand::Inspect { file, key } => {
            let key = key.as_deref().map(car::parse_key).transpose()?;
            let input = File::open(&file)
                .map_err(|e| usage(format!("cannot open {}: {e}", file.display())))?;
            let report = car::inspect(BufReader::new(input), key.as_ref())
                .with_context(|| format!("{} is not a valid repository", file.display()))?;
            let invalid = report.signature == "invalid";
            out.emit(&RepoInspectView {
                file: file.display().to_string(),
                report,
            })?;
            if invalid {
                bail!(
                    "{}: the commit signature does not verify against the given key",
                    file.display()
                );
            }
            Ok(())
        }
    }
}

async fn export(
    ctx: &Ctx,
    out: &mut Out,
    account: &str,
    output: &Path,
    key: Option<&str>,
    force: bool,
) -> anyhow::Result<()> {
    let key = key.map(car::parse_key).transpose()?;
    if output.exists() && !force {
        return Err(usage(format!(
            "{} exists (add --force to replace it)",
            output.display()
        )));
    }
    let client = ctx.client().await?;
    let what = || format!("cannot export the repository of {account}");
    let mut stream = client
        .repo()
        .export_repo(pb::ExportRepoRequest {
            account: account.to_string(),
        })
        .await
        .rpc(&client)
        .with_context(what)?;
    let head = stream
        .message()
        .await
        .map_err(|s| client.error(s))
        .with_context(what)?
        .context("pdsd sent an empty export")?;
    let bar = out.progress(head.estimated_bytes, true, "exporting");
    let mut partial = Partial::create(output)?;
    partial.write(&head.chunk)?;
    bar.inc(head.chunk.len() as u64);
    while let Some(m) = stream
        .message()
        .await
        .map_err(|s| client.error(s))
        .with_context(what)?
    {
        partial.write(&m.chunk)?;
        bar.inc(m.chunk.len() as u64);
    }
    partial.close()?;
    bar.finish_and_clear();
    let file = File::open(partial.path())?;
    let report = car::inspect(BufReader::new(file), key.as_ref())
        .context("the exported CAR does not verify; nothing was kept")?;
    if let Some(did) = head.did.as_deref()
        && report.did != did
    {
        bail!(
            "the exported CAR is for {}, not {did}; nothing was kept",
            report.did
        );
    }
    if let Some(commit) = head.commit.as_deref()
        && report.commit != commit
    {
        bail!(
            "the exported CAR's root is {}, pdsd announced {commit}; nothing was kept",
            report.commit
        );
    }
    if report.signature == "invalid" {
        bail!(
            "the exported commit's signature does not verify against the given key; nothing was kept"
        );
    }
    partial.keep(output)?;
    out.emit(&RepoExportView {
        file: output.display().to_string(),
        report,
    })?;
    Ok(())
}

async fn import(
    ctx: &Ctx,
    out: &mut Out,
    account: &str,
    path: &Path,
    reason: Option<String>,
) -> anyhow::Result<()> {
    let len = std::fs::metadata(path)
        .map_err(|e| usage(format!("cannot read {}: {e}", path.display())))?
        .len();
    if len == 0 {
        return Err(usage(format!("{} is empty", path.display())));
    }
    out.confirm(
        &format!(
            "replace the repository of {account} with {}",
            path.display()
        ),
        Some("Its current records are replaced by the file's (blobs are not touched)."),
    )?;
    let client = ctx.client().await?;
    let file = tokio::fs::File::open(path)
        .await
        .with_context(|| format!("cannot open {}", path.display()))?;
    let bar = out.progress(Some(len), true, "importing");
    // A read error cannot travel through the request stream: it ends the stream and is
    // reported from here afterwards.
    let read_error: Arc<Mutex<Option<std::io::Error>>> = Arc::default();
    let state = (file, true, bar.clone(), read_error.clone());
    let account_name = account.to_string();
    let messages = futures_util::stream::unfold(state, move |(mut file, first, bar, err)| {
        let account = account_name.clone();
        let reason = reason.clone();
        async move {
            let mut buf = vec![0u8; CHUNK];
            let n = match file.read(&mut buf).await {
                Ok(0) => return None,
                Ok(n) => n,
                Err(e) => {
                    if let Ok(mut slot) = err.lock() {
                        *slot = Some(e);
                    }
                    return None;
                }
            };
            buf.truncate(n);
            bar.inc(n as u64);
            let msg = pb::ImportRepoRequest {
                account: if first { account } else { String::new() },
                chunk: buf,
                reason: if first { reason } else { None },
            };
            Some((msg, (file, false, bar, err)))
        }
    });
    let result = client.repo().import_repo(messages).await.rpc(&client);
    bar.finish_and_clear();
    if let Some(e) = read_error.lock().ok().and_then(|mut s| s.take()) {
        return Err(anyhow::Error::new(e).context(format!("cannot read {}", path.display())));
    }
    let done =
        result.with_context(|| format!("cannot import {} into {account}", path.display()))?;
    out.emit(&RepoImportView {
        did: done.did,
        commit: done.commit,
        rev: done.rev,
        bytes_sent: done.bytes_received,
        records: done.record_count,
    })?;
    Ok(())
}
