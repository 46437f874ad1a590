//! Identity: resolving handles and DIDs, changing an account's handle, and the PLC operation
//! flow clients use to move an account (`com.atproto.identity.*`).
//!
//! Handles on this service's own domains resolve from the account table; did:plc through the
//! configured PLC directory; anything else over the network ([`resolver`]), cached briefly.

mod dns;
pub mod resolver;

use std::collections::BTreeMap;

use atproto::plc::{self, PlcOperation, SignedOp, UnsignedOp};
use atproto::syntax::{Did, Handle};
use rusqlite::{ErrorCode, OptionalExtension, params};
use serde::Serialize;
use serde_json::{Value as Json, json};

use super::email::{self, EmailPurpose};
use super::{Service, ServiceError, ServiceInner, account, handle};
use crate::store::actor::ActorStore;
pub use resolver::{DidLookup, IdentityResolver, document_handle};

/// `com.atproto.identity.defs#identityInfo`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentityInfo {
    pub did: String,
    /// The bidirectionally verified handle, or `handle.invalid`.
    pub handle: String,
    pub did_doc: Json,
}

/// What `getRecommendedDidCredentials` answers: the DID document state that makes this
/// service the account's PDS.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecommendedDidCredentials {
    pub rotation_keys: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub also_known_as: Option<Vec<String>>,
    pub verification_methods: BTreeMap<String, String>,
    pub services: BTreeMap<String, plc::Service>,
}

/// The changes `signPlcOperation` makes to the DID's current state; `None` keeps a field.
#[derive(Debug, Clone, Default)]
pub struct PlcOperationChanges {
    pub token: Option<String>,
    pub rotation_keys: Option<Vec<String>>,
    pub also_known_as: Option<Vec<String>>,
    /// `{id: did:key}`, as the client sent it (checked here).
    pub verification_methods: Option<Json>,
    /// `{id: {type, endpoint}}`, as the client sent it (checked here).
    pub services: Option<Json>,
}

fn handle_not_found() -> ServiceError {
    ServiceError::named("HandleNotFound", "Unable to resolve handle")
}

/// True when `handle` is under one of `domains` or is one of them (without its dot), as the
/// reference decides whether it alone is authoritative for a handle.
fn is_local_domain(handle: &str, domains: &[String]) -> bool {
    domains
        .iter()
        .any(|d| handle.ends_with(d.as_str()) || d.strip_prefix('.') == Some(handle))
}

/// The DID of the active account whose handle is `handle`.
fn local_handle_did(s: &ServiceInner, handle: &str) -> Result<Option<Did>, ServiceError> {
    let found = s.db.read(|c| account::account_by_identifier(c, handle))?;
    Ok(found.filter(account::Account::active).map(|a| a.did))
}

/// The first `at://` alias replaced by `at://<handle>` (or put first when there is none), as
/// the PLC library's handle update does.
fn with_handle(also_known_as: &[String], handle: &Handle) -> Vec<String> {
    let aka = format!("at://{handle}");
    let mut out = also_known_as.to_vec();
    match out.iter().position(|a| a.starts_with("at://")) {
        Some(i) => out[i] = aka,
        None => out.insert(0, aka),
    }
    out
}

impl Service {
    /// The DID a handle belongs to, or `None`. Handles on this service's domains are answered
    /// from the account table alone; others by DNS or HTTPS, even when an account here has them (one direction only: see
    /// [`Service::resolve_identity`] for the verified answer). `refresh` skips the cache.
    pub async fn handle_to_did(
        &self,
        handle: &Handle,
        refresh: bool,
    ) -> Result<Option<Did>, ServiceError> {
        if is_local_domain(handle.as_str(), &self.config.service_handle_domains) {
            let h = handle.to_string();
            return self.blocking(move |s| local_handle_did(s, &h)).await;
        }
        // Even for an account here: the domain's owner decides, and may have moved it.
        Ok(self.external_handle_did(handle, refresh).await)
    }

    /// What DNS or HTTPS say `handle` belongs to, through the outbound client (public
    /// addresses only, unless `PDS_DISABLE_SSRF_PROTECTION` is set).
    async fn external_handle_did(&self, handle: &Handle, refresh: bool) -> Option<Did> {
        self.identity
            .resolve_handle(self.outbound_client(false), handle, refresh)
            .await
    }

    /// The current DID document of `did`: from the PLC directory for did:plc, over HTTPS for
    /// did:web. `DidNotFound` or `DidDeactivated` as the lexicons name them; another method
    /// is `InvalidRequest`. `refresh` skips the cache.
    pub async fn did_document(&self, did: &Did, refresh: bool) -> Result<Json, ServiceError> {
        let lookup = if did.is_plc() {
            self.plc_document(did, refresh).await?
        } else if did.is_web() {
            self.identity
                .resolve_did_web(
                    self.outbound_client(false),
                    !self.config.disable_ssrf_protection,
                    did,
                    refresh,
                )
                .await
        } else {
            return Err(ServiceError::invalid(format!(
                "Unsupported DID method: did:{}",
                did.method()
            )));
        };
        match lookup {
            DidLookup::Found(doc) => Ok(doc),
            DidLookup::NotFound(why) => Err(ServiceError::named("DidNotFound", why)),
            DidLookup::Deactivated => Err(ServiceError::named(
                "DidDeactivated",
                format!("DID has been deactivated: {did}"),
            )),
        }
    }

    async fn plc_document(&self, did: &Did, refresh: bool) -> Result<DidLookup, ServiceError> {
        // The embedded directory is a local read: always current, never cached.
        let embedded = self.plc_directory.is_some();
        if !embedded
            && !refresh
            && let Some(doc) = self.identity.cached_document(did)
        {
            return Ok(DidLookup::Found(doc));
        }
        if let Some(data) = self.plc.document_data(did).await? {
            let doc = plc::to_did_document(&data);
            if !embedded {
                self.identity.cache_document(did, doc.clone());
            }
            return Ok(DidLookup::Found(doc));
        }
        Ok(match self.plc.last_op(did).await? {
            Some(op) if op.is_tombstone() => DidLookup::Deactivated,
            _ => DidLookup::NotFound(format!("DID not registered: {did}")),
        })
    }

    /// `com.atproto.identity.resolveHandle`: `HandleNotFound` when no DID is found.
    pub async fn resolve_handle(&self, handle: &str) -> Result<Did, ServiceError> {
        let handle = Handle::new(handle)
            .map_err(|e| ServiceError::invalid(format!("Invalid handle: {e}")))?;
        self.handle_to_did(&handle, false)
            .await?
            .ok_or_else(handle_not_found)
    }

    /// `com.atproto.identity.resolveDid`.
    pub async fn resolve_did(&self, did: &str) -> Result<Json, ServiceError> {
        let did = Did::new(did).map_err(|e| ServiceError::invalid(format!("Invalid DID: {e}")))?;
        self.did_document(&did, false).await
    }

    /// `com.atproto.identity.resolveIdentity` (and, with `refresh`, `refreshIdentity`): the DID,
    /// its document and the handle, checked both ways. From a DID, a handle that does not
    /// resolve back is answered as `handle.invalid`; from a handle whose DID document does not
    /// claim it, the answer is `HandleNotFound`.
    pub async fn resolve_identity(
        &self,
        identifier: &str,
        refresh: bool,
    ) -> Result<IdentityInfo, ServiceError> {
        if identifier.starts_with("did:") {
            let did = Did::new(identifier)
                .map_err(|e| ServiceError::invalid(format!("Invalid DID: {e}")))?;
            let doc = self.did_document(&did, refresh).await?;
            let handle = match document_handle(&doc) {
                Some(h) if self.handle_to_did(&h, refresh).await?.as_ref() == Some(&did) => {
                    h.into_string()
                }
                _ => Handle::INVALID.to_string(),
            };
            return Ok(IdentityInfo {
                did: did.into_string(),
                handle,
                did_doc: doc,
            });
        }
        let handle = Handle::new(identifier)
            .map_err(|e| ServiceError::invalid(format!("Invalid identifier: {e}")))?;
        let did = self
            .handle_to_did(&handle, refresh)
            .await?
            .ok_or_else(handle_not_found)?;
        let doc = self.did_document(&did, refresh).await?;
        if document_handle(&doc).as_ref() != Some(&handle) {
            return Err(ServiceError::named(
                "HandleNotFound",
                "Handle does not match the DID document",
            ));
        }
        Ok(IdentityInfo {
            did: did.into_string(),
            handle: handle.into_string(),
            did_doc: doc,
        })
    }

    /// `com.atproto.identity.updateHandle`. A handle on this service's domains follows the
    /// sign-up rules; any other must already resolve to the account's DID. For did:plc the
    /// new handle goes into the DID document with an operation signed by the service's
    /// rotation key; a did:web document must already name it.
    pub async fn update_handle(&self, did: &Did, new_handle: &str) -> Result<(), ServiceError> {
        let handle = handle::normalize(new_handle)?;
        if handle.has_disallowed_tld() {
            return Err(ServiceError::named(
                "InvalidHandle",
                "Handle TLD is invalid or disallowed",
            ));
        }
        let account = {
            let did = did.clone();
            self.blocking(move |s| s.db.read(|c| account::account_by_did(c, did.as_str())))
                .await?
                .ok_or_else(|| ServiceError::invalid("Account not found"))?
        };
        if account.taken_down {
            return Err(ServiceError::named_auth(
                "AccountTakedown",
                "Account has been taken down",
            ));
        }
        let domains = &self.config.service_handle_domains;
        if handle::is_service_domain(&handle, domains) {
            handle::check_service_handle(&handle, domains, false)?;
        } else if self.external_handle_did(&handle, true).await.as_ref() != Some(did) {
            return Err(ServiceError::invalid(
                "External handle did not resolve to DID",
            ));
        }
        // Checked before the DID document changes, and again by the UNIQUE constraint.
        {
            let h = handle.to_string();
            let owner: Option<String> = self
                .blocking(move |s| {
                    Ok(s.db.read(|c| {
                        c.query_row("SELECT did FROM account WHERE handle = ?1", [&h], |r| {
                            r.get(0)
                        })
                        .optional()
                    })?)
                })
                .await?;
            if owner.is_some_and(|o| o != did.as_str()) {
                return Err(handle_taken(&handle));
            }
        }

        if did.is_plc() {
            self.put_handle_in_plc_document(did, &handle).await?;
        } else {
            let doc = self.did_document(did, true).await?;
            if document_handle(&doc).as_ref() != Some(&handle) {
                return Err(ServiceError::invalid(
                    "DID is not properly configured for handle",
                ));
            }
        }

        let (d, h) = (did.clone(), handle.clone());
        self.blocking(move |s| {
            s.db.write(|c| {
                match c.execute(
                    "UPDATE account SET handle = ?1 WHERE did = ?2",
                    params![h.as_str(), d.as_str()],
                ) {
                    Ok(_) => Ok(()),
                    Err(e) if e.sqlite_error_code() == Some(ErrorCode::ConstraintViolation) => {
                        Err(handle_taken(&h))
                    }
                    Err(e) => Err(e.into()),
                }
            })
        })
        .await?;
        if let Some(old) = &account.handle {
            self.identity.forget_handle(old);
        }
        self.identity.forget_handle(handle.as_str());
        self.identity.forget_did(did);
        tracing::info!(did = %did, handle = %handle, "handle updated");
        self.sequence_identity(did, Some(&handle)).await;
        Ok(())
    }

    /// Submits an operation that sets the DID document's handle, unless it already has it.
    async fn put_handle_in_plc_document(
        &self,
        did: &Did,
        handle: &Handle,
    ) -> Result<(), ServiceError> {
        let (last, current) = self.current_plc_state(did).await?;
        let also_known_as = with_handle(&current.also_known_as, handle);
        if also_known_as == current.also_known_as {
            return Ok(());
        }
        let mut op = current;
        op.also_known_as = also_known_as;
        op.prev = Some(last.cid());
        let signed = UnsignedOp::from(op).sign(&self.config.plc_rotation_key);
        self.plc.submit(did, &signed).await
    }

    /// The DID's latest operation and its state as an operation (legacy creates converted).
    async fn current_plc_state(&self, did: &Did) -> Result<(SignedOp, PlcOperation), ServiceError> {
        let last = self
            .plc
            .last_op(did)
            .await?
            .ok_or_else(|| ServiceError::invalid(format!("DID not registered: {did}")))?;
        let current = last
            .normalize()
            .ok_or_else(|| ServiceError::invalid("Did is tombstoned"))?;
        Ok((last, current))
    }

    /// The account's repository signing key, as a `did:key`.
    async fn signing_did_key(&self, did: &Did) -> Result<String, ServiceError> {
        let did = did.clone();
        self.blocking(move |s| {
            let key = ActorStore::signing_key(&s.config.data_directory, &did)?;
            Ok(key.public_key().to_did_key())
        })
        .await
    }

    /// `com.atproto.identity.getRecommendedDidCredentials`.
    pub async fn recommended_did_credentials(
        &self,
        did: &Did,
    ) -> Result<RecommendedDidCredentials, ServiceError> {
        let signing_key = self.signing_did_key(did).await?;
        let account = {
            let did = did.clone();
            self.blocking(move |s| s.db.read(|c| account::account_by_did(c, did.as_str())))
                .await?
        };
        Ok(RecommendedDidCredentials {
            rotation_keys: vec![self.config.plc_rotation_key.public_key().to_did_key()],
            also_known_as: account
                .and_then(|a| a.handle)
                .map(|h| vec![format!("at://{h}")]),
            verification_methods: BTreeMap::from([("atproto".to_owned(), signing_key)]),
            services: BTreeMap::from([(
                "atproto_pds".to_owned(),
                plc::Service::new("AtprotoPersonalDataServer", &self.config.public_url),
            )]),
        })
    }

    /// `com.atproto.identity.requestPlcOperationSignature`: mails the account a code that
    /// `signPlcOperation` requires.
    pub async fn request_plc_operation_signature(&self, did: &Did) -> Result<(), ServiceError> {
        let account = {
            let did = did.clone();
            self.blocking(move |s| s.db.read(|c| account::account_by_did(c, did.as_str())))
                .await?
                .ok_or_else(|| ServiceError::invalid("account not found"))?
        };
        let email = account
            .email
            .as_deref()
            .ok_or_else(|| ServiceError::invalid("account does not have an email address"))?;
        self.send_email_token(
            did,
            email,
            account.handle.as_deref(),
            EmailPurpose::PlcOperation,
        )
        .await
    }

    /// `com.atproto.identity.signPlcOperation`: the DID's current state with `changes`
    /// applied, signed by this service's rotation key and returned (not submitted). Needs the
    /// code from `requestPlcOperationSignature`, which it uses up.
    pub async fn sign_plc_operation(
        &self,
        did: &Did,
        changes: PlcOperationChanges,
    ) -> Result<Json, ServiceError> {
        let token = changes
            .token
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| {
                ServiceError::invalid("email confirmation token required to sign PLC operations")
            })?;
        let verification_methods = changes
            .verification_methods
            .map(|v| {
                serde_json::from_value::<BTreeMap<String, String>>(v)
                    .map_err(|e| ServiceError::invalid(format!("Invalid verificationMethods: {e}")))
            })
            .transpose()?;
        let services = changes
            .services
            .map(|v| {
                serde_json::from_value::<BTreeMap<String, plc::Service>>(v)
                    .map_err(|e| ServiceError::invalid(format!("Invalid services: {e}")))
            })
            .transpose()?;
        {
            let did = did.clone();
            self.blocking(move |s| {
                s.db.read(|c| email::check_email_token(c, &did, EmailPurpose::PlcOperation, &token))
            })
            .await?;
        }
        let (last, mut op) = self.current_plc_state(did).await?;
        op.prev = Some(last.cid());
        if let Some(v) = changes.rotation_keys {
            op.rotation_keys = v;
        }
        if let Some(v) = changes.also_known_as {
            op.also_known_as = v;
        }
        if let Some(v) = verification_methods {
            op.verification_methods = v;
        }
        if let Some(v) = services {
            op.services = v;
        }
        let signed = UnsignedOp::from(op).sign(&self.config.plc_rotation_key);
        // Refuse what the directory would refuse, before the code is spent.
        plc::check_op_constraints(&signed)
            .map_err(|e| ServiceError::invalid(format!("Invalid operation: {e}")))?;
        {
            let did = did.clone();
            self.blocking(move |s| {
                s.db.write(|c| email::delete_email_token(c, &did, EmailPurpose::PlcOperation))
            })
            .await?;
        }
        Ok(signed.to_json())
    }

    /// `com.atproto.identity.submitPlcOperation`: sends a signed operation for the caller's
    /// DID to the PLC directory, provided it keeps this service as the account's PDS: its
    /// rotation key, its endpoint, the account's signing key and current handle.
    pub async fn submit_plc_operation(
        &self,
        did: &Did,
        operation: Json,
    ) -> Result<(), ServiceError> {
        let signed = SignedOp::from_json(&operation)
            .map_err(|e| ServiceError::invalid(format!("Invalid operation: {e}")))?;
        let UnsignedOp::Operation(op) = &signed.op else {
            return Err(ServiceError::invalid("Invalid operation"));
        };
        let rotation_key = self.config.plc_rotation_key.public_key().to_did_key();
        if !op.rotation_keys.contains(&rotation_key) {
            return Err(ServiceError::invalid(
                "Rotation keys do not include server's rotation key",
            ));
        }
        let pds = op.services.get("atproto_pds");
        if pds.is_none_or(|s| s.r#type != "AtprotoPersonalDataServer") {
            return Err(ServiceError::invalid(
                "Incorrect type on atproto_pds service",
            ));
        }
        if pds.is_none_or(|s| s.endpoint != self.config.public_url) {
            return Err(ServiceError::invalid(
                "Incorrect endpoint on atproto_pds service",
            ));
        }
        let signing_key = self.signing_did_key(did).await?;
        if op.verification_methods.get("atproto") != Some(&signing_key) {
            return Err(ServiceError::invalid("Incorrect signing key"));
        }
        let account = {
            let did = did.clone();
            self.blocking(move |s| s.db.read(|c| account::account_by_did(c, did.as_str())))
                .await?
        };
        let account_handle = account.and_then(|a| a.handle);
        if let Some(h) = &account_handle
            && op.also_known_as.first() != Some(&format!("at://{h}"))
        {
            return Err(ServiceError::invalid("Incorrect handle in alsoKnownAs"));
        }
        self.plc.submit(did, &signed).await?;
        self.identity.forget_did(did);
        tracing::info!(did = %did, "PLC operation submitted");
        let handle = account_handle.and_then(|h| Handle::new(&h).ok());
        self.sequence_identity(did, handle.as_ref()).await;
        Ok(())
    }

    /// Puts an `#identity` event for `did` on the firehose, telling relays and app views to
    /// re-resolve it (`handle` is a hint they verify). The change it announces is already
    /// made, so a failure here is logged rather than returned, as the reference does; the
    /// account can repeat the update to announce it again.
    pub async fn sequence_identity(&self, did: &Did, handle: Option<&Handle>) {
        let mut body = atproto::cbor::Map::new();
        body.insert("did".into(), atproto::cbor::Value::String(did.to_string()));
        if let Some(h) = handle {
            body.insert("handle".into(), atproto::cbor::Value::String(h.to_string()));
        }
        let event = crate::sequencer::PendingEvent {
            did: did.to_string(),
            kind: crate::sequencer::EventKind::Identity,
            rev: None,
            body,
        };
        let sequencer = self.sequencer.clone();
        let result = tokio::task::spawn_blocking(move || sequencer.append(vec![event])).await;
        match result {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::error!(did = %did, error = %e, "cannot sequence identity event"),
            Err(e) => tracing::error!(did = %did, error = %e, "cannot sequence identity event"),
        }
    }

    /// The DID of the account whose handle is `host` (the `Host` of a
    /// `/.well-known/atproto-did` request), when `host` is on this service's domains.
    pub async fn well_known_atproto_did(&self, host: &str) -> Result<Option<Did>, ServiceError> {
        let host = host.to_ascii_lowercase();
        if !is_local_domain(&host, &self.config.service_handle_domains) {
            return Ok(None);
        }
        self.blocking(move |s| local_handle_did(s, &host)).await
    }

    /// The service's own did:web document (`/.well-known/did.json`), when its DID is
    /// `did:web:<hostname>`.
    pub fn service_did_document(&self) -> Option<Json> {
        let did = self.config.service_did.as_str();
        if did != format!("did:web:{}", self.config.hostname) {
            return None;
        }
        Some(json!({
            "@context": ["https://www.w3.org/ns/did/v1"],
            "id": did,
            "service": [{
                "id": "#atproto_pds",
                "type": "AtprotoPersonalDataServer",
                "serviceEndpoint": self.config.public_url,
            }],
        }))
    }
}

fn handle_taken(handle: &Handle) -> ServiceError {
    ServiceError::named(
        "HandleNotAvailable",
        format!("Handle already taken: {handle}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::account::CreateAccountInput;
    use crate::service::test_util::TestPds;
    use axum::Router;
    use axum::http::{HeaderMap, StatusCode};
    use axum::routing::get;

    async fn pds() -> TestPds {
        TestPds::with(|a| {
            a.invite_required = Some(false);
            // Nothing listens there: external handles fail fast instead of touching the network.
            a.dev_handle_resolver_http_port = Some(closed_port());
        })
        .await
    }

    fn closed_port() -> u16 {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    }

    /// A handle host on loopback: answers `/.well-known/atproto-did` with `did` for `host`.
    async fn handle_host(host: &'static str, did: String) -> u16 {
        let app = Router::new().route(
            "/.well-known/atproto-did",
            get(move |headers: HeaderMap| {
                let did = did.clone();
                async move {
                    if headers.get("host").and_then(|h| h.to_str().ok()) == Some(host) {
                        (StatusCode::OK, did)
                    } else {
                        (StatusCode::NOT_FOUND, String::new())
                    }
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        port
    }

    async fn create(pds: &TestPds, name: &str) -> Did {
        let out = pds
            .service
            .create_account(CreateAccountInput {
                handle: format!("{name}.test"),
                email: Some(format!("{name}@example.com")),
                password: Some("hunter22".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        Did::new(&out.did).unwrap()
    }

    fn name(e: ServiceError) -> &'static str {
        e.xrpc_name()
    }

    async fn plc_handle(pds: &TestPds, did: &Did) -> Option<String> {
        let data = pds.service.plc.document_data(did).await.unwrap().unwrap();
        data.handle().map(str::to_owned)
    }

    #[tokio::test]
    async fn update_handle_changes_the_account_and_the_plc_document() {
        let pds = pds().await;
        let s = &pds.service;
        let did = create(&pds, "alice").await;
        s.update_handle(&did, "Alicia.test").await.unwrap();
        assert_eq!(plc_handle(&pds, &did).await.as_deref(), Some("alicia.test"));
        assert_eq!(s.resolve_handle("alicia.test").await.unwrap(), did);
        assert_eq!(
            name(s.resolve_handle("alice.test").await.unwrap_err()),
            "HandleNotFound"
        );
        assert_eq!(
            s.get_session(did.clone()).await.unwrap().handle,
            "alicia.test"
        );

        // Setting the same handle again needs no new operation, but is announced again.
        let ops = s.plc.audit_log(&did).await.unwrap().len();
        s.update_handle(&did, "alicia.test").await.unwrap();
        assert_eq!(s.plc.audit_log(&did).await.unwrap().len(), ops);
        // (Sign-up announces the identity too; the last two events are the updates.)
        let events = identity_events(&pds, &did);
        assert_eq!(
            events[events.len().saturating_sub(2)..],
            vec![Some("alicia.test".to_string()); 2]
        );
    }

    /// The `handle` of each `#identity` event for `did` on the firehose.
    fn identity_events(pds: &TestPds, did: &Did) -> Vec<Option<String>> {
        let events = pds.service.sequencer.events_after(0, 1000).unwrap();
        events
            .iter()
            .filter(|e| e.kind == crate::sequencer::EventKind::Identity && &*e.did == did.as_str())
            .map(|e| {
                let (header, body) = crate::sequencer::frame::parse_frame(&e.frame).unwrap();
                let header = atproto::json::to_json(&header);
                let body = atproto::json::to_json(&body);
                assert_eq!(header["t"], "#identity");
                assert_eq!(body["did"], did.as_str());
                body["handle"].as_str().map(str::to_owned)
            })
            .collect()
    }

    #[tokio::test]
    async fn update_handle_refuses_a_taken_handle() {
        let pds = pds().await;
        let alice = create(&pds, "alice").await;
        create(&pds, "bob").await;
        let e = pds
            .service
            .update_handle(&alice, "bob.test")
            .await
            .unwrap_err();
        assert_eq!(name(e), "HandleNotAvailable");
        assert_eq!(
            plc_handle(&pds, &alice).await.as_deref(),
            Some("alice.test")
        );
    }

    #[tokio::test]
    async fn update_handle_applies_the_sign_up_rules_on_service_domains() {
        let pds = pds().await;
        let did = create(&pds, "alice").await;
        let s = &pds.service;
        for (handle, error) in [
            ("not a handle", "InvalidHandle"),
            ("al.test", "InvalidHandle"),
            ("a.b.test", "InvalidHandle"),
            ("alice.example", "InvalidHandle"),
            ("admin.test", "HandleNotAvailable"),
        ] {
            let e = s.update_handle(&did, handle).await.unwrap_err();
            assert_eq!(name(e), error, "{handle}");
        }
    }

    #[tokio::test]
    async fn update_handle_to_an_outside_domain_needs_it_to_name_the_account() {
        let port = handle_host(
            "alice.example.com",
            "did:plc:someoneelse234567abcdefg".into(),
        )
        .await;
        let pds = TestPds::with(|a| {
            a.invite_required = Some(false);
            a.dev_handle_resolver_http_port = Some(port);
        })
        .await;
        let did = create(&pds, "alice").await;
        for handle in ["alice.example.com", "nobody.example.com"] {
            let e = pds.service.update_handle(&did, handle).await.unwrap_err();
            assert!(
                matches!(&e, ServiceError::InvalidRequest(m) if m.contains("did not resolve")),
                "{e:?}"
            );
        }
        assert_eq!(plc_handle(&pds, &did).await.as_deref(), Some("alice.test"));
    }

    #[tokio::test]
    async fn an_outside_handle_that_resolves_to_the_account_is_accepted() {
        // Serve whatever DID the account ends up with: the host reads it from a shared cell.
        let cell = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let c = cell.clone();
        let app = Router::new().route(
            "/.well-known/atproto-did",
            get(move || {
                let c = c.clone();
                async move { c.lock().unwrap().clone() }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let pds = TestPds::with(|a| {
            a.invite_required = Some(false);
            a.dev_handle_resolver_http_port = Some(port);
        })
        .await;
        let s = &pds.service;
        let did = create(&pds, "alice").await;
        *cell.lock().unwrap() = did.to_string();
        s.update_handle(&did, "alice.example.com").await.unwrap();
        assert_eq!(
            plc_handle(&pds, &did).await.as_deref(),
            Some("alice.example.com")
        );
        let info = s
            .resolve_identity("alice.example.com", false)
            .await
            .unwrap();
        assert_eq!(
            (info.did.as_str(), info.handle.as_str()),
            (did.as_str(), "alice.example.com")
        );
        let info = s.resolve_identity(did.as_str(), false).await.unwrap();
        assert_eq!(info.handle, "alice.example.com");

        // The domain moves elsewhere: cached for a while, seen at once with refresh.
        *cell.lock().unwrap() = "did:plc:someoneelse234567abcdefg".into();
        assert_eq!(
            s.resolve_identity(did.as_str(), false)
                .await
                .unwrap()
                .handle,
            "alice.example.com"
        );
        assert_eq!(
            s.resolve_identity(did.as_str(), true).await.unwrap().handle,
            "handle.invalid"
        );
        // The handle now names a DID no directory knows.
        let e = s
            .resolve_identity("alice.example.com", true)
            .await
            .unwrap_err();
        assert_eq!(name(e), "DidNotFound");
    }

    #[tokio::test]
    async fn resolve_handle_answers_local_handles_and_handle_not_found() {
        let pds = pds().await;
        let s = &pds.service;
        let did = create(&pds, "alice").await;
        assert_eq!(s.resolve_handle("ALICE.test").await.unwrap(), did);
        assert_eq!(
            name(s.resolve_handle("nobody.test").await.unwrap_err()),
            "HandleNotFound"
        );
        assert_eq!(
            name(s.resolve_handle("nobody.example.com").await.unwrap_err()),
            "HandleNotFound"
        );
        assert_eq!(
            name(s.resolve_handle("not a handle").await.unwrap_err()),
            "InvalidRequest"
        );
    }

    #[tokio::test]
    async fn resolve_did_answers_did_not_found_and_did_deactivated() {
        let pds = pds().await;
        let s = &pds.service;
        let did = create(&pds, "alice").await;
        let doc = s.resolve_did(did.as_str()).await.unwrap();
        assert_eq!(doc["id"], did.as_str());
        assert_eq!(doc["alsoKnownAs"][0], "at://alice.test");

        let e = s
            .resolve_did("did:plc:aaaaaaaaaaaaaaaaaaaaaaaa")
            .await
            .unwrap_err();
        assert_eq!((e.xrpc_name(), e.http_status()), ("DidNotFound", 400));
        assert_eq!(
            name(s.resolve_did("did:key:zabc").await.unwrap_err()),
            "InvalidRequest"
        );
        assert_eq!(
            name(s.resolve_did("nope").await.unwrap_err()),
            "InvalidRequest"
        );

        let last = s.plc.last_op(&did).await.unwrap().unwrap();
        let tombstone = UnsignedOp::tombstone(last.cid()).sign(&s.config.plc_rotation_key);
        s.plc.submit(&did, &tombstone).await.unwrap();
        assert_eq!(
            name(s.resolve_did(did.as_str()).await.unwrap_err()),
            "DidDeactivated"
        );
        let e = s.resolve_identity("alice.test", false).await.unwrap_err();
        assert_eq!(name(e), "DidDeactivated");
    }

    #[tokio::test]
    async fn did_web_on_loopback_resolves_only_without_ssrf_protection() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let did = format!("did:web:localhost%3A{port}");
        let doc = json!({"id": did, "alsoKnownAs": ["at://web.example.com"]});
        let served = did.clone();
        // One loopback server is both the did:web host and (through the test-only port) the
        // handle's host.
        let app = Router::new()
            .route(
                "/.well-known/did.json",
                get(move || async move { axum::Json(doc) }),
            )
            .route(
                "/.well-known/atproto-did",
                get(move || async move { served }),
            );
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

        let guarded = TestPds::with(|a| a.dev_handle_resolver_http_port = Some(port)).await;
        let e = guarded.service.resolve_did(&did).await.unwrap_err();
        assert_eq!(name(e), "DidNotFound");

        let open = TestPds::with(|a| {
            a.dev_handle_resolver_http_port = Some(port);
            a.disable_ssrf_protection = Some(true);
        })
        .await;
        let s = &open.service;
        assert_eq!(s.resolve_did(&did).await.unwrap()["id"], did.as_str());
        let info = s.resolve_identity(&did, false).await.unwrap();
        assert_eq!(info.handle, "web.example.com");
        let info = s.resolve_identity("web.example.com", false).await.unwrap();
        assert_eq!(info.did, did);
    }

    #[tokio::test]
    async fn resolve_identity_checks_both_directions() {
        let pds = pds().await;
        let s = &pds.service;
        let did = create(&pds, "alice").await;
        for id in ["alice.test", did.as_str()] {
            let info = s.resolve_identity(id, false).await.unwrap();
            assert_eq!(info.did, did.as_str());
            assert_eq!(info.handle, "alice.test");
            assert_eq!(info.did_doc["id"], did.as_str());
        }
        assert_eq!(
            name(s.resolve_identity("bob.test", false).await.unwrap_err()),
            "HandleNotFound"
        );
        let e = s
            .resolve_identity("did:plc:aaaaaaaaaaaaaaaaaaaaaaaa", false)
            .await
            .unwrap_err();
        assert_eq!(name(e), "DidNotFound");

        // The document claims a handle that does not point back.
        let (last, mut op) = s.current_plc_state(&did).await.unwrap();
        op.prev = Some(last.cid());
        op.also_known_as = vec!["at://elsewhere.example.com".into()];
        let signed = UnsignedOp::from(op).sign(&s.config.plc_rotation_key);
        s.plc.submit(&did, &signed).await.unwrap();
        let info = s.resolve_identity(did.as_str(), false).await.unwrap();
        assert_eq!(info.handle, "handle.invalid");
        // And the account's handle is no longer claimed by its document.
        assert_eq!(
            name(s.resolve_identity("alice.test", false).await.unwrap_err()),
            "HandleNotFound"
        );
    }

    #[tokio::test]
    async fn recommended_credentials_name_this_service_and_the_account_key() {
        let pds = pds().await;
        let s = &pds.service;
        let did = create(&pds, "alice").await;
        let c = s.recommended_did_credentials(&did).await.unwrap();
        let data = s.plc.document_data(&did).await.unwrap().unwrap();
        assert_eq!(
            c.rotation_keys,
            vec![s.config.plc_rotation_key.public_key().to_did_key()]
        );
        assert_eq!(c.also_known_as, Some(vec!["at://alice.test".to_string()]));
        assert_eq!(c.verification_methods, data.verification_methods);
        assert_eq!(c.services, data.services);
        let v = serde_json::to_value(&c).unwrap();
        assert_eq!(
            v["services"]["atproto_pds"]["type"],
            "AtprotoPersonalDataServer"
        );
    }

    async fn plc_token(pds: &TestPds, did: &Did) -> String {
        let did = did.clone();
        pds.service
            .db
            .write(|c| email::create_email_token(c, &did, EmailPurpose::PlcOperation))
            .unwrap()
    }

    #[tokio::test]
    async fn request_plc_operation_signature_needs_a_mailer() {
        let pds = pds().await;
        let did = create(&pds, "alice").await;
        let e = pds
            .service
            .request_plc_operation_signature(&did)
            .await
            .unwrap_err();
        assert!(matches!(e, ServiceError::NotConfigured(_)), "{e:?}");
    }

    #[tokio::test]
    async fn sign_plc_operation_needs_the_emailed_code_and_uses_it_up() {
        let pds = pds().await;
        let s = &pds.service;
        let did = create(&pds, "alice").await;
        let e = s
            .sign_plc_operation(&did, PlcOperationChanges::default())
            .await
            .unwrap_err();
        assert!(matches!(&e, ServiceError::InvalidRequest(m) if m.contains("token required")));
        let token = plc_token(&pds, &did).await;
        let wrong = PlcOperationChanges {
            token: Some("WRONG-TOKEN".into()),
            ..Default::default()
        };
        assert_eq!(
            name(s.sign_plc_operation(&did, wrong).await.unwrap_err()),
            "InvalidToken"
        );

        let extra = atproto::crypto::SigningKey::generate(atproto::crypto::KeyType::P256)
            .public_key()
            .to_did_key();
        let mine = s.config.plc_rotation_key.public_key().to_did_key();
        let op = s
            .sign_plc_operation(
                &did,
                PlcOperationChanges {
                    token: Some(token.to_ascii_lowercase()),
                    rotation_keys: Some(vec![extra.clone(), mine.clone()]),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let signed = SignedOp::from_json(&op).unwrap();
        assert_eq!(signed.verify_sig(&[mine.as_str()]).unwrap(), 0);
        let last = s.plc.last_op(&did).await.unwrap().unwrap();
        assert_eq!(signed.prev(), Some(&last.cid()));
        let body = signed.normalize().unwrap();
        assert_eq!(body.rotation_keys, vec![extra, mine]);
        assert_eq!(body.also_known_as, vec!["at://alice.test".to_string()]);
        // Signed, not submitted; and the code is spent.
        assert_eq!(s.plc.last_op(&did).await.unwrap().unwrap(), last);
        let again = PlcOperationChanges {
            token: Some(token),
            ..Default::default()
        };
        assert_eq!(
            name(s.sign_plc_operation(&did, again).await.unwrap_err()),
            "InvalidToken"
        );

        s.submit_plc_operation(&did, op).await.unwrap();
        assert_eq!(s.plc.last_op(&did).await.unwrap().unwrap(), signed);
    }

    #[tokio::test]
    async fn sign_plc_operation_refuses_malformed_changes() {
        let pds = pds().await;
        let s = &pds.service;
        let did = create(&pds, "alice").await;
        let token = plc_token(&pds, &did).await;
        let changes = |v: Json, services: bool| PlcOperationChanges {
            token: Some(token.clone()),
            verification_methods: (!services).then(|| v.clone()),
            services: services.then_some(v),
            ..Default::default()
        };
        let e = s
            .sign_plc_operation(&did, changes(json!({"atproto": 5}), false))
            .await;
        assert_eq!(name(e.unwrap_err()), "InvalidRequest");
        let e = s
            .sign_plc_operation(&did, changes(json!({"x": {"type": "t"}}), true))
            .await;
        assert_eq!(name(e.unwrap_err()), "InvalidRequest");
        // A rotation key that is not a key breaks the log rules: refused before the code is
        // spent.
        let bad_key = PlcOperationChanges {
            token: Some(token.clone()),
            rotation_keys: Some(vec!["did:key:nope".into()]),
            ..Default::default()
        };
        assert_eq!(
            name(s.sign_plc_operation(&did, bad_key).await.unwrap_err()),
            "InvalidRequest"
        );
        s.sign_plc_operation(&did, changes(json!({}), true))
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn submit_plc_operation_keeps_this_service_in_charge() {
        let pds = pds().await;
        let s = &pds.service;
        let did = create(&pds, "alice").await;
        let (last, base) = s.current_plc_state(&did).await.unwrap();
        let submit = |change: &dyn Fn(&mut PlcOperation)| {
            let mut op = base.clone();
            op.prev = Some(last.cid());
            change(&mut op);
            UnsignedOp::from(op)
                .sign(&s.config.plc_rotation_key)
                .to_json()
        };
        let other_key = atproto::crypto::SigningKey::generate(atproto::crypto::KeyType::K256)
            .public_key()
            .to_did_key();
        let cases: Vec<(Json, &str)> = vec![
            (
                submit(&|op| op.rotation_keys = vec![other_key.clone()]),
                "rotation key",
            ),
            (
                submit(&|op| {
                    op.services.get_mut("atproto_pds").unwrap().r#type = "Other".into();
                }),
                "Incorrect type",
            ),
            (
                submit(&|op| {
                    op.services.get_mut("atproto_pds").unwrap().endpoint =
                        "https://elsewhere.example.com".into();
                }),
                "Incorrect endpoint",
            ),
            (
                submit(&|op| {
                    op.verification_methods
                        .insert("atproto".into(), other_key.clone());
                }),
                "Incorrect signing key",
            ),
            (
                submit(&|op| op.also_known_as = vec!["at://bob.test".into()]),
                "Incorrect handle",
            ),
            (
                json!({"type": "plc_tombstone", "prev": last.cid().to_string(), "sig": "x"}),
                "Invalid operation",
            ),
            (json!({"nonsense": true}), "Invalid operation"),
        ];
        for (op, message) in cases {
            match s.submit_plc_operation(&did, op).await {
                Err(ServiceError::InvalidRequest(m)) => assert!(m.contains(message), "{m}"),
                other => panic!("{message}: {other:?}"),
            }
        }
        // Signed by a key the DID does not list: the directory refuses it.
        let mut op = base.clone();
        op.prev = Some(last.cid());
        let forged = UnsignedOp::from(op).sign(&atproto::crypto::SigningKey::generate(
            atproto::crypto::KeyType::K256,
        ));
        let e = s
            .submit_plc_operation(&did, forged.to_json())
            .await
            .unwrap_err();
        assert!(
            matches!(&e, ServiceError::InvalidRequest(m) if m.contains("PLC directory")),
            "{e:?}"
        );
        assert_eq!(s.plc.last_op(&did).await.unwrap().unwrap(), last);
    }

    #[tokio::test]
    async fn well_known_answers_only_active_local_handles() {
        let pds = pds().await;
        let s = &pds.service;
        let did = create(&pds, "alice").await;
        assert_eq!(
            s.well_known_atproto_did("Alice.Test").await.unwrap(),
            Some(did)
        );
        assert_eq!(s.well_known_atproto_did("bob.test").await.unwrap(), None);
        assert_eq!(
            s.well_known_atproto_did("alice.example.com").await.unwrap(),
            None
        );
        assert_eq!(s.well_known_atproto_did("localhost").await.unwrap(), None);
    }

    #[tokio::test]
    async fn the_service_did_document_is_served_only_for_its_own_did_web() {
        let pds = pds().await;
        let doc = pds.service.service_did_document().unwrap();
        assert_eq!(doc["id"], "did:web:localhost");
        assert_eq!(doc["service"][0]["id"], "#atproto_pds");
        assert_eq!(
            doc["service"][0]["serviceEndpoint"],
            pds.service.config.public_url
        );
        let other =
            TestPds::with(|a| a.service_did = Some("did:plc:aaaaaaaaaaaaaaaaaaaaaaaa".into()))
                .await;
        assert_eq!(other.service.service_did_document(), None);
    }

    #[test]
    fn the_new_handle_replaces_the_first_at_alias() {
        let h = Handle::new("new.test").unwrap();
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            with_handle(
                &v(&["https://x.com", "at://old.test", "at://other.test"]),
                &h
            ),
            v(&["https://x.com", "at://new.test", "at://other.test"])
        );
        assert_eq!(
            with_handle(&v(&["https://x.com"]), &h),
            v(&["at://new.test", "https://x.com"])
        );
    }
}
