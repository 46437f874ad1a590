//! The errors pdsctl tells apart, because they get different exit codes (see `main.rs`). They
//! travel inside `anyhow::Error` with a context saying what failed; `main` finds them in the
//! chain.

use std::fmt;
use std::path::PathBuf;

/// A status pdsd answered with: its message (for people), code and atproto error name.
#[derive(Debug)]
pub struct RpcError {
    pub code: tonic::Code,
    pub message: String,
    /// The `x-error-name` metadata (`HandleNotAvailable`, `NotFound`, ...), when present.
    pub name: Option<String>,
}

impl RpcError {
    pub fn from_status(status: &tonic::Status) -> RpcError {
        RpcError {
            code: status.code(),
            message: status.message().to_string(),
            name: status
                .metadata()
                .get(pds_proto::ERROR_NAME_METADATA_KEY)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
        }
    }
}

impl fmt::Display for RpcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.message.is_empty() {
            write!(f, "{:?}", self.code)
        } else {
            f.write_str(&self.message)
        }
    }
}

impl std::error::Error for RpcError {}

/// pdsd's admin socket cannot be used: missing, nothing listening, no permission, or the
/// connection broke.
#[derive(Debug)]
pub struct Unreachable {
    pub socket: PathBuf,
    pub reason: String,
}

impl fmt::Display for Unreachable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot reach pdsd at {}: {}",
            self.socket.display(),
            self.reason
        )
    }
}

impl std::error::Error for Unreachable {}

/// A mistake in the command line or its input, found before anything changed (exit 2).
#[derive(Debug)]
pub struct Usage(pub String);

impl fmt::Display for Usage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Usage {}

/// A destructive command that was not confirmed (exit 2).
#[derive(Debug)]
pub struct Refused(pub String);

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

/// The user pressed Ctrl-C (exit 130).
#[derive(Debug)]
pub struct Interrupted;

impl fmt::Display for Interrupted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("interrupted")
    }
}

impl std::error::Error for Interrupted {}

/// Shorthand for a usage error.
pub fn usage(msg: impl Into<String>) -> anyhow::Error {
    Usage(msg.into()).into()
}
