//! `pdsctl blob export`: every blob of an account into a directory, one file per CID, each
//! checked against its CID.

use std::io::Read;
use std::path::Path;

use anyhow::{Context, bail};
use atproto::Cid;
use pds_proto::admin::v1 as pb;
use sha2::{Digest, Sha256};

use super::Ctx;
use super::repo::Partial;
use crate::cli::BlobCommand;
use crate::client::RpcResult;
use crate::out::Out;
use crate::out::views::{BlobExportView, BlobFileView};

/// Multihash code of sha2-256, the only hash atproto blob CIDs use.
const SHA2_256: u64 = 0x12;

/// Whether `path` holds exactly the bytes `cid` names.
fn file_matches(path: &Path, cid: &Cid) -> std::io::Result<bool> {
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e),
    };
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher.finalize().as_slice() == cid.digest())
}

pub async fn run(ctx: &Ctx, out: &mut Out, command: BlobCommand) -> anyhow::Result<()> {
    let BlobCommand::Export { account, output } = command;
    let client = ctx.client().await?;
    let what = || format!("cannot export the blobs of {account}");
    let mut blobs = Vec::new();
    let mut cursor = None;
    loop {
        let page = client
            .repo()
            .list_blobs(pb::ListBlobsRequest {
                account: account.clone(),
                limit: 1000,
                cursor: cursor.take(),
            })
            .await
            .rpc(&client)
            .with_context(what)?;
        blobs.extend(page.blobs);
        cursor = page.cursor;
        if cursor.is_none() {
            break;
        }
    }
    std::fs::create_dir_all(&output)
        .with_context(|| format!("cannot create {}", output.display()))?;
    let total: u64 = blobs.iter().map(|b| b.size).sum();
    let bar = out.progress(Some(total), true, "downloading blobs");
    let mut view = BlobExportView {
        account: account.clone(),
        directory: output.display().to_string(),
        blobs: Vec::with_capacity(blobs.len()),
        written: 0,
        skipped: 0,
        bytes: 0,
    };
    for blob in blobs {
        let cid: Cid = blob
            .cid
            .parse()
            .with_context(|| format!("pdsd listed an invalid CID {:?}", blob.cid))?;
        if cid.hash_code() != SHA2_256 {
            bail!("blob {cid} does not use sha2-256: cannot check it");
        }
        // The CID is the file name: it names the content and is safe as a path segment.
        let dest = output.join(cid.to_string());
        let result = if file_matches(&dest, &cid)
            .with_context(|| format!("cannot read {}", dest.display()))?
        {
            bar.inc(blob.size);
            view.skipped += 1;
            "skipped"
        } else {
            let mut partial = Partial::create(&dest)?;
            let mut hasher = Sha256::new();
            let mut stream = client
                .repo()
                .get_blob(pb::GetBlobRequest {
                    account: account.clone(),
                    cid: blob.cid.clone(),
                })
                .await
                .rpc(&client)
                .with_context(|| format!("cannot download blob {cid}"))?;
            while let Some(m) = stream
                .message()
                .await
                .map_err(|s| client.error(s))
                .with_context(|| format!("cannot download blob {cid}"))?
            {
                hasher.update(&m.chunk);
                partial.write(&m.chunk)?;
                bar.inc(m.chunk.len() as u64);
            }
            if hasher.finalize().as_slice() != cid.digest() {
                bail!("blob {cid} as downloaded does not match its CID; nothing was kept");
            }
            partial.keep(&dest)?;
            view.written += 1;
            view.bytes += blob.size;
            "written"
        };
        view.blobs.push(BlobFileView {
            cid: blob.cid,
            mime_type: blob.mime_type,
            size: blob.size,
            file: dest.display().to_string(),
            result,
        });
    }
    bar.finish_and_clear();
    out.emit(&view)?;
    Ok(())
}
