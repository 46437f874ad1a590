//! Server-wide information: `com.atproto.server.describeServer` and the health check.

use serde::Serialize;

use super::Service;

/// What `describeServer` answers (lexicon com.atproto.server.describeServer#output).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ServerDescription {
    pub did: String,
    pub available_user_domains: Vec<String>,
    pub invite_code_required: bool,
    pub phone_verification_required: bool,
    pub links: serde_json::Map<String, serde_json::Value>,
}

impl Service {
    pub fn describe_server(&self) -> ServerDescription {
        ServerDescription {
            did: self.config.service_did.to_string(),
            available_user_domains: self.config.service_handle_domains.clone(),
            invite_code_required: self.config.invite_required,
            phone_verification_required: false,
            links: serde_json::Map::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::service::test_util::TestPds;

    #[tokio::test]
    async fn describe_server_reports_domains_and_invite_policy() {
        let pds = TestPds::with(|a| {
            a.hostname = Some("pds.example.com".into());
            a.invite_required = Some(false);
        })
        .await;
        let d = pds.service.describe_server();
        assert_eq!(d.did, "did:web:pds.example.com");
        assert_eq!(d.available_user_domains, vec![".pds.example.com"]);
        assert!(!d.invite_code_required);
    }
}
