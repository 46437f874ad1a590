//! The pdsd admin API: generated protobuf messages and tonic client/server code.

/// Version 1 of the admin API (`package admin.v1`).
pub mod admin {
    pub mod v1 {
        #![allow(clippy::all, missing_docs)]
        tonic::include_proto!("admin.v1");
    }
}
