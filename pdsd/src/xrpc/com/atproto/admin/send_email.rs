//! `com.atproto.admin.sendEmail`: mails `content` to the account. Without a configured mailer
//! the answer is 501 `MethodNotImplemented`. `comment` is recorded as the reason.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};

use super::{ADMIN_PASSWORD, did_field};
use crate::service::Service;
use crate::xrpc::auth::AdminAuth;
use crate::xrpc::error::{XrpcJson, XrpcResult};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Input {
    recipient_did: String,
    content: String,
    subject: Option<String>,
    sender_did: String,
    comment: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Output {
    sent: bool,
}

pub async fn send_email(
    State(service): State<Service>,
    _admin: AdminAuth,
    XrpcJson(input): XrpcJson<Input>,
) -> XrpcResult<Json<Output>> {
    let recipient = did_field("recipientDid", &input.recipient_did)?;
    let sender = did_field("senderDid", &input.sender_did)?;
    service
        .admin_send_email(
            &ADMIN_PASSWORD,
            recipient.as_str(),
            input.subject,
            input.content,
            sender.as_str(),
            input.comment.as_deref(),
        )
        .await?;
    Ok(Json(Output { sent: true }))
}
