//! `admin.v1.RepoService`: CAR export and import, blob listing and download, all streamed.

use std::pin::Pin;

use futures_util::{Stream, StreamExt, stream};
use pds_proto::admin::v1 as pb;
use tonic::{Request, Response, Status, Streaming};

use super::{AdminApi, account_field, status};
use crate::service::ServiceError;
use crate::service::repo::import::MAX_IMPORT_BYTES;

/// Largest chunk sent in one message (well under tonic's 4 MiB default decoding limit).
const MAX_CHUNK: usize = 64 * 1024;

type ResponseStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

/// Splits `bytes` into chunks of at most [`MAX_CHUNK`].
fn rechunk(mut bytes: bytes::Bytes) -> Vec<bytes::Bytes> {
    let mut out = Vec::with_capacity(bytes.len() / MAX_CHUNK + 1);
    while bytes.len() > MAX_CHUNK {
        out.push(bytes.split_to(MAX_CHUNK));
    }
    if !bytes.is_empty() {
        out.push(bytes);
    }
    out
}

fn io_status(e: std::io::Error) -> Status {
    status::to_status(ServiceError::internal(e))
}

#[tonic::async_trait]
impl pb::repo_service_server::RepoService for AdminApi {
    type ExportRepoStream = ResponseStream<pb::ExportRepoResponse>;
    type GetBlobStream = ResponseStream<pb::GetBlobResponse>;

    async fn export_repo(
        &self,
        request: Request<pb::ExportRepoRequest>,
    ) -> Result<Response<Self::ExportRepoStream>, Status> {
        self.call("ExportRepo", request, |service, actor, r| async move {
            let export = service
                .admin_export_repo(&actor, account_field(&r.account)?)
                .await?;
            // The first message names what follows; the CAR's bytes come after it.
            let head = pb::ExportRepoResponse {
                chunk: Vec::new(),
                did: Some(export.did.to_string()),
                commit: Some(export.commit.to_string()),
                rev: Some(export.rev),
                estimated_bytes: Some(export.estimated_bytes),
            };
            let chunks = tokio_stream::wrappers::ReceiverStream::new(export.chunks).map(|c| {
                c.map(|chunk| pb::ExportRepoResponse {
                    chunk: chunk.to_vec(),
                    ..Default::default()
                })
                .map_err(io_status)
            });
            let s: Self::ExportRepoStream =
                Box::pin(stream::once(async { Ok(head) }).chain(chunks));
            Ok(s)
        })
        .await
    }

    async fn import_repo(
        &self,
        request: Request<Streaming<pb::ImportRepoRequest>>,
    ) -> Result<Response<pb::ImportRepoResponse>, Status> {
        self.call(
            "ImportRepo",
            request,
            |service, actor, mut messages| async move {
                let mut account = None;
                let mut reason = None;
                let mut car = Vec::new();
                while let Some(m) = messages.next().await {
                    let m = m.map_err(|e| ServiceError::invalid(format!("import stream: {e}")))?;
                    if account.is_none() {
                        account = Some(m.account);
                        reason = m.reason;
                    }
                    if car.len() + m.chunk.len() > MAX_IMPORT_BYTES {
                        return Err(ServiceError::invalid(format!(
                            "Repository is too large (at most {MAX_IMPORT_BYTES} bytes)"
                        )));
                    }
                    car.extend_from_slice(&m.chunk);
                }
                let account =
                    account.ok_or_else(|| ServiceError::invalid("empty import stream"))?;
                let out = service
                    .admin_import_repo(
                        &actor,
                        account_field(&account)?,
                        car.into(),
                        reason.as_deref(),
                    )
                    .await?;
                Ok(pb::ImportRepoResponse {
                    did: out.did.to_string(),
                    commit: out.commit,
                    rev: out.rev,
                    bytes_received: out.bytes,
                    record_count: out.record_count,
                })
            },
        )
        .await
    }

    async fn list_blobs(
        &self,
        request: Request<pb::ListBlobsRequest>,
    ) -> Result<Response<pb::ListBlobsResponse>, Status> {
        self.call("ListBlobs", request, |service, _, r| async move {
            let (blobs, cursor) = service
                .admin_list_blobs(account_field(&r.account)?, r.limit as usize, r.cursor)
                .await?;
            Ok(pb::ListBlobsResponse {
                blobs: blobs
                    .into_iter()
                    .map(|b| pb::BlobInfo {
                        cid: b.cid,
                        mime_type: b.mime_type,
                        size: b.size,
                    })
                    .collect(),
                cursor,
            })
        })
        .await
    }

    async fn get_blob(
        &self,
        request: Request<pb::GetBlobRequest>,
    ) -> Result<Response<Self::GetBlobStream>, Status> {
        self.call("GetBlob", request, |service, _, r| async move {
            let blob = service
                .admin_get_blob(account_field(&r.account)?, &r.cid)
                .await?;
            let head = pb::GetBlobResponse {
                chunk: Vec::new(),
                mime_type: Some(blob.mime_type),
                size: Some(blob.size),
            };
            let chunks = blob.stream.flat_map(|c| {
                let items: Vec<Result<pb::GetBlobResponse, Status>> = match c {
                    Ok(bytes) => rechunk(bytes)
                        .into_iter()
                        .map(|chunk| {
                            Ok(pb::GetBlobResponse {
                                chunk: chunk.to_vec(),
                                ..Default::default()
                            })
                        })
                        .collect(),
                    Err(e) => vec![Err(io_status(e))],
                };
                stream::iter(items)
            });
            let s: Self::GetBlobStream = Box::pin(stream::once(async { Ok(head) }).chain(chunks));
            Ok(s)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rechunk_splits_large_buffers() {
        let b = bytes::Bytes::from(vec![7u8; MAX_CHUNK * 2 + 5]);
        let parts = rechunk(b);
        assert_eq!(
            parts.iter().map(bytes::Bytes::len).collect::<Vec<_>>(),
            vec![MAX_CHUNK, MAX_CHUNK, 5]
        );
        assert!(rechunk(bytes::Bytes::new()).is_empty());
    }
}
