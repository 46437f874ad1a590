//! XRPC error bodies (`{"error", "message"}`) and request extractors that turn bad input into
//! 400 `InvalidRequest` instead of axum's default plain-text rejections.

use axum::Json;
use axum::extract::{FromRequest, Request, rejection::JsonRejection};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::service::ServiceError;

/// A `ServiceError` on its way out as an XRPC error response.
#[derive(Debug)]
pub struct XrpcError(pub ServiceError);

impl From<ServiceError> for XrpcError {
    fn from(e: ServiceError) -> Self {
        XrpcError(e)
    }
}

impl IntoResponse for XrpcError {
    fn into_response(self) -> Response {
        let e = self.0;
        if let ServiceError::Internal(source) = &e {
            // Logged once, here at the edge; the client only sees a generic message.
            tracing::error!(error = %format!("{source:#}"), "internal error");
        }
        let status =
            StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let message = match &e {
            ServiceError::Internal(_) => "Internal Server Error".to_string(),
            other => other.to_string(),
        };
        let mut resp = (
            status,
            Json(json!({ "error": e.xrpc_name(), "message": message })),
        )
            .into_response();
        if let ServiceError::RateLimited {
            retry_after_secs, ..
        } = e
            && let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string())
        {
            resp.headers_mut().insert("retry-after", v);
        }
        resp
    }
}

/// Result type of XRPC handlers.
pub type XrpcResult<T> = Result<T, XrpcError>;

/// A JSON body; malformed JSON, a wrong content type, missing fields and wrong types are all
/// 400 `InvalidRequest` with a message saying what was wrong.
pub struct XrpcJson<T>(pub T);

impl<S, T> FromRequest<S> for XrpcJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = XrpcError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(XrpcJson(v)),
            Err(rejection) => {
                let msg = match &rejection {
                    JsonRejection::MissingJsonContentType(_) => {
                        "Request body must be JSON (Content-Type: application/json)".to_string()
                    }
                    JsonRejection::JsonSyntaxError(e) => format!("Invalid JSON: {}", e.body_text()),
                    JsonRejection::JsonDataError(e) => {
                        format!("Invalid input: {}", e.body_text())
                    }
                    other => other.body_text(),
                };
                Err(XrpcError(ServiceError::InvalidRequest(msg)))
            }
        }
    }
}

/// A JSON body that may be absent (procedures whose input is all optional): an empty body is
/// `T::default()`.
pub struct XrpcOptionalJson<T>(pub T);

impl<S, T> FromRequest<S> for XrpcOptionalJson<T>
where
    T: DeserializeOwned + Default,
    S: Send + Sync,
{
    type Rejection = XrpcError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| XrpcError(ServiceError::InvalidRequest(e.body_text())))?;
        let trimmed = bytes.trim_ascii();
        if trimmed.is_empty() || trimmed == b"null" {
            return Ok(XrpcOptionalJson(T::default()));
        }
        serde_json::from_slice(&bytes)
            .map(XrpcOptionalJson)
            .map_err(|e| XrpcError(ServiceError::InvalidRequest(format!("Invalid input: {e}"))))
    }
}

/// Query parameters; a missing or malformed parameter is 400 `InvalidRequest`.
pub struct XrpcQuery<T>(pub T);

impl<S, T> axum::extract::FromRequestParts<S> for XrpcQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = XrpcError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| XrpcQuery(q.0))
            .map_err(|e| XrpcError(ServiceError::InvalidRequest(e.body_text())))
    }
}
