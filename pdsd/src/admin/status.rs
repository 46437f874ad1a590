//! `ServiceError` -> gRPC `Status`, through `ServiceError::grpc_code()`.

use tonic::{Code, Status};

use crate::service::{GrpcCode, ServiceError};

/// Metadata key carrying the atproto error name (`HandleNotAvailable`, `NotFound`, ...).
pub const ERROR_NAME_KEY: &str = pds_proto::ERROR_NAME_METADATA_KEY;

fn code(e: &ServiceError) -> Code {
    // Named "...NotFound" errors (RepoNotFound, BlobNotFound) are 400s in XRPC, as the
    // lexicons say, but a missing thing all the same for an operator's tool.
    if e.xrpc_name().ends_with("NotFound") {
        return Code::NotFound;
    }
    match e.grpc_code() {
        GrpcCode::InvalidArgument => Code::InvalidArgument,
        GrpcCode::NotFound => Code::NotFound,
        GrpcCode::AlreadyExists => Code::AlreadyExists,
        GrpcCode::PermissionDenied => Code::PermissionDenied,
        GrpcCode::Unauthenticated => Code::Unauthenticated,
        GrpcCode::FailedPrecondition => Code::FailedPrecondition,
        GrpcCode::ResourceExhausted => Code::ResourceExhausted,
        GrpcCode::Unavailable => Code::Unavailable,
        GrpcCode::Internal => Code::Internal,
    }
}

/// The status an RPC answers for `e`. Internal errors are logged here, once, and reach the
/// client as a generic message.
pub fn to_status(e: ServiceError) -> Status {
    if let ServiceError::Internal(source) = &e {
        tracing::error!(error = %format!("{source:#}"), "internal error");
    }
    let mut status = Status::new(code(&e), e.to_string());
    if let Ok(v) = e.xrpc_name().parse() {
        status.metadata_mut().insert(ERROR_NAME_KEY, v);
    }
    status
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_keep_their_code_and_name() {
        let s = to_status(ServiceError::named("HandleNotAvailable", "taken"));
        assert_eq!(s.code(), Code::InvalidArgument);
        assert_eq!(s.message(), "taken");
        assert_eq!(
            s.metadata().get(ERROR_NAME_KEY).unwrap(),
            "HandleNotAvailable"
        );
        assert_eq!(
            to_status(ServiceError::NotFound("x".into())).code(),
            Code::NotFound
        );
        assert_eq!(
            to_status(ServiceError::named("RepoNotFound", "x")).code(),
            Code::NotFound
        );
        assert_eq!(
            to_status(ServiceError::NotConfigured("x".into())).code(),
            Code::FailedPrecondition
        );
        let internal = to_status(ServiceError::internal(anyhow::anyhow!("secret path")));
        assert_eq!(internal.code(), Code::Internal);
        assert_eq!(internal.message(), "internal error");
    }
}
