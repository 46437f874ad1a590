//! The pdsd admin API: generated protobuf messages and tonic client/server code.

/// File name of the admin socket in pdsd's data directory (unless `PDS_ADMIN_SOCKET` moves it).
pub const SOCKET_FILE_NAME: &str = "admin.sock";

/// Metadata key of an error status carrying the atproto error name (`HandleNotAvailable`,
/// `NotFound`, ...), for telling named errors apart without parsing messages.
pub const ERROR_NAME_METADATA_KEY: &str = "x-error-name";

/// Version 1 of the admin API (`package admin.v1`).
pub mod admin {
    pub mod v1 {
        #![allow(clippy::all, missing_docs)]
        tonic::include_proto!("admin.v1");
    }
}
