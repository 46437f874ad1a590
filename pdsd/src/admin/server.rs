//! `admin.v1.ServerService`.

use pds_proto::admin::v1 as pb;
use tonic::{Request, Response, Status};

use super::AdminApi;

#[tonic::async_trait]
impl pb::server_service_server::ServerService for AdminApi {
    async fn get_server_status(
        &self,
        request: Request<pb::GetServerStatusRequest>,
    ) -> Result<Response<pb::GetServerStatusResponse>, Status> {
        self.call("GetServerStatus", request, |service, _, _| async move {
            let s = service.server_status().await?;
            Ok(pb::GetServerStatusResponse {
                version: s.version,
                uptime_seconds: s.uptime_seconds,
                account_count: s.account_count,
                active_account_count: s.active_account_count,
                repo_bytes: s.repo_bytes,
                blob_bytes: s.blob_bytes,
                firehose_last_seq: s.firehose_last_seq,
                firehose_subscribers: s.firehose_subscribers,
                hostname: s.hostname,
                service_did: s.service_did,
                invite_required: s.invite_required,
            })
        })
        .await
    }
}
