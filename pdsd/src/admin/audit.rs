//! `admin.v1.AuditService`.

use pds_proto::admin::v1 as pb;
use tonic::{Request, Response, Status};

use super::{AdminApi, non_empty};
use crate::service::audit::{AuditEntry, AuditFilter};

fn entry(e: AuditEntry) -> pb::AuditEntry {
    pb::AuditEntry {
        seq: e.seq.max(0) as u64,
        time: e.time,
        actor: e.actor,
        action: e.action,
        subject: e.subject,
        reason: e.reason,
        details_json: e.details_json,
        hash: e.hash,
    }
}

#[tonic::async_trait]
impl pb::audit_service_server::AuditService for AdminApi {
    async fn list_audit_entries(
        &self,
        request: Request<pb::ListAuditEntriesRequest>,
    ) -> Result<Response<pb::ListAuditEntriesResponse>, Status> {
        self.call("ListAuditEntries", request, |service, _, r| async move {
            let entries = service
                .audit_entries(AuditFilter {
                    limit: r.limit as usize,
                    before_seq: r.before_seq.map(|s| i64::try_from(s).unwrap_or(i64::MAX)),
                    subject: r.subject.and_then(non_empty),
                    actor: r.actor.and_then(non_empty),
                    action: r.action.and_then(non_empty),
                })
                .await?;
            Ok(pb::ListAuditEntriesResponse {
                entries: entries.into_iter().map(entry).collect(),
            })
        })
        .await
    }

    async fn verify_audit_log(
        &self,
        request: Request<pb::VerifyAuditLogRequest>,
    ) -> Result<Response<pb::VerifyAuditLogResponse>, Status> {
        self.call("VerifyAuditLog", request, |service, _, _| async move {
            let v = service.verify_audit_log().await?;
            Ok(pb::VerifyAuditLogResponse {
                valid: v.valid,
                entry_count: v.entry_count,
                head_hash: v.head_hash,
                first_invalid_seq: v.first_invalid_seq.map(|s| s.max(0) as u64),
                problem: v.problem,
            })
        })
        .await
    }
}
