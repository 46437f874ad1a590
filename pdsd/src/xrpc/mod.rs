//! The public XRPC API: one route table, grouped by auth level.

use axum::{Json, Router, routing::get};
use serde_json::json;

/// Builds the XRPC router.
pub fn router() -> Router {
    Router::new().route("/xrpc/_health", get(health))
}

async fn health() -> Json<serde_json::Value> {
    Json(json!({ "version": crate::VERSION }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt;

    #[tokio::test]
    async fn health_answers_the_version() {
        let resp = router()
            .oneshot(Request::get("/xrpc/_health").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        let body = axum::body::to_bytes(resp.into_body(), 1 << 16)
            .await
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["version"], crate::VERSION);
    }
}
