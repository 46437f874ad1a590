//! Handle rules for accounts on this service's own domains.

use std::collections::HashSet;
use std::sync::LazyLock;

use atproto::syntax::Handle;

use super::ServiceError;

static RESERVED: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../../data/reserved_handles.txt")
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
});

/// Parses and lower-cases a handle; `InvalidHandle` if it is not one.
pub fn normalize(handle: &str) -> Result<Handle, ServiceError> {
    Handle::new(handle).map_err(|e| ServiceError::named("InvalidHandle", e.to_string()))
}

/// True when the handle ends with one of the service's handle domains.
pub fn is_service_domain(handle: &Handle, domains: &[String]) -> bool {
    domains
        .iter()
        .any(|d| handle.as_str().ends_with(d.as_str()))
}

/// The rules for a handle under a service domain: one label of 3 to 18 characters in front of
/// the domain, and not a reserved name (unless `allow_reserved`, for operators).
pub fn check_service_handle(
    handle: &Handle,
    domains: &[String],
    allow_reserved: bool,
) -> Result<(), ServiceError> {
    let domain = domains
        .iter()
        .find(|d| handle.as_str().ends_with(d.as_str()))
        .map(String::as_str)
        .unwrap_or("");
    let front = &handle.as_str()[..handle.as_str().len() - domain.len()];
    if front.contains('.') {
        return Err(ServiceError::named(
            "InvalidHandle",
            "Invalid characters in handle",
        ));
    }
    if front.len() < 3 {
        return Err(ServiceError::named("InvalidHandle", "Handle too short"));
    }
    if front.len() > 18 {
        return Err(ServiceError::named("InvalidHandle", "Handle too long"));
    }
    if !allow_reserved && RESERVED.contains(front) {
        return Err(ServiceError::named("HandleNotAvailable", "Reserved handle"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(h: &str) -> Result<(), &'static str> {
        let domains = vec![".test".to_string()];
        let handle = normalize(h).map_err(|e| e.xrpc_name())?;
        check_service_handle(&handle, &domains, false).map_err(|e| e.xrpc_name())
    }

    #[test]
    fn service_handles_follow_the_reference_rules() {
        assert_eq!(check("Alice.TEST"), Ok(()));
        assert_eq!(check("al.test"), Err("InvalidHandle"));
        assert_eq!(check("a.b.test"), Err("InvalidHandle"));
        assert_eq!(check("abcdefghijklmnopqrs.test"), Err("InvalidHandle"));
        assert_eq!(check("admin.test"), Err("HandleNotAvailable"));
        assert_eq!(check("bsky.test"), Err("HandleNotAvailable"));
        assert_eq!(check("not a handle"), Err("InvalidHandle"));
        assert!(RESERVED.len() > 1000);
    }
}
