//! The only place that reads flags, the environment and the TOML file; everything is validated
//! once into [`Config`].
//!
//! Precedence: command-line flag, then environment variable, then `--config` file, then the
//! default. Environment names are the reference PDS's (`PDS_HOSTNAME`, `PDS_PORT`, ...) so an
//! existing `pds.env` works. Secrets that are not configured (JWT secret, PLC rotation key,
//! admin password) are generated on first start and kept under `<data>/keys/`, mode 0600.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use atproto::crypto::{KeyType, SigningKey};
use atproto::syntax::Did;
use clap::Parser;
use serde::Deserialize;

/// Command-line flags. Each can also be given by its environment variable or in the TOML file
/// (same name in snake_case, without the `PDS_` prefix).
#[derive(Debug, Default, Parser)]
#[command(name = "pdsd", version, about = "AT Protocol Personal Data Server")]
pub struct Args {
    /// TOML configuration file.
    #[arg(long, env = "PDS_CONFIG")]
    pub config: Option<PathBuf>,
    /// Public hostname of the service (handles default to `.<hostname>`).
    #[arg(long, env = "PDS_HOSTNAME")]
    pub hostname: Option<String>,
    /// TCP port of the XRPC API (0 picks a free port).
    #[arg(long, env = "PDS_PORT")]
    pub port: Option<u16>,
    /// Address the XRPC API listens on.
    #[arg(long = "bind", env = "PDS_BIND_ADDRESS")]
    pub bind_address: Option<IpAddr>,
    /// Data directory: databases, actor stores, blobs, keys, admin socket.
    #[arg(long, env = "PDS_DATA_DIRECTORY")]
    pub data_directory: Option<PathBuf>,
    /// Path of the admin socket that `pdsctl` talks to (default `<data>/admin.sock`).
    #[arg(long, env = "PDS_ADMIN_SOCKET")]
    pub admin_socket: Option<PathBuf>,
    /// Group (name or numeric id) that may use the admin socket: mode 0660 and this group,
    /// instead of 0600 for the daemon's user alone.
    #[arg(long, env = "PDS_ADMIN_SOCKET_GROUP")]
    pub admin_socket_group: Option<String>,
    /// The service's DID (default `did:web:<hostname>`).
    #[arg(long, env = "PDS_SERVICE_DID")]
    pub service_did: Option<String>,
    /// Password for the admin XRPC API (HTTP basic, user `admin`); generated if unset.
    #[arg(long, env = "PDS_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,
    /// Secret for signing session tokens; generated if unset.
    #[arg(long, env = "PDS_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// The PLC rotation key (secp256k1, 32 bytes hex); generated if unset.
    #[arg(
        long = "plc-rotation-key",
        env = "PDS_PLC_ROTATION_KEY_K256_PRIVATE_KEY_HEX",
        hide_env_values = true
    )]
    pub plc_rotation_key_k256_private_key_hex: Option<String>,
    /// PLC directory URL; unset means pdsd serves its own at `<public url>/plc`.
    #[arg(long, env = "PDS_DID_PLC_URL")]
    pub did_plc_url: Option<String>,
    /// Handle domains, comma-separated, each starting with a dot.
    #[arg(long, env = "PDS_SERVICE_HANDLE_DOMAINS", value_delimiter = ',')]
    pub service_handle_domains: Option<Vec<String>>,
    /// Whether sign-up needs an invite code (default true, as the reference PDS).
    #[arg(long, env = "PDS_INVITE_REQUIRED")]
    pub invite_required: Option<bool>,
    /// SMTP URL for outgoing mail (`smtp://` or `smtps://user:pass@host:port`).
    #[arg(long, env = "PDS_EMAIL_SMTP_URL", hide_env_values = true)]
    pub email_smtp_url: Option<String>,
    /// From address of outgoing mail.
    #[arg(long, env = "PDS_EMAIL_FROM_ADDRESS")]
    pub email_from_address: Option<String>,
    /// Relays to notify of updates, comma-separated URLs.
    #[arg(long, env = "PDS_CRAWLERS", value_delimiter = ',')]
    pub crawlers: Option<Vec<String>>,
    /// Milliseconds between two requestCrawl notifications of the crawlers (default 20 minutes,
    /// as the reference PDS). Hidden: only tests need to change it.
    #[arg(long, env = "PDS_CRAWLERS_NOTIFY_THRESHOLD_MS", hide = true)]
    pub crawlers_notify_threshold_ms: Option<u64>,
    /// How far back the firehose can be replayed, in milliseconds; older events are deleted
    /// from the event log (default one day).
    #[arg(long, env = "PDS_REPO_BACKFILL_LIMIT_MS")]
    pub repo_backfill_limit_ms: Option<u64>,
    /// Milliseconds between runs of the job that trims the event log (default 10 minutes).
    /// Hidden: only tests need to change it.
    #[arg(long, env = "PDS_SEQUENCER_TRIM_INTERVAL_MS", hide = true)]
    pub sequencer_trim_interval_ms: Option<u64>,
    /// Events a firehose consumer may fall behind the newest before it is disconnected with
    /// `ConsumerTooSlow` (default 250000). Hidden: only tests need to change it.
    #[arg(long, env = "PDS_FIREHOSE_MAX_BEHIND", hide = true)]
    pub firehose_max_behind: Option<u64>,
    /// Milliseconds between pings on a firehose connection (default 30000). Hidden: only tests
    /// need to change it.
    #[arg(long, env = "PDS_FIREHOSE_KEEPALIVE_MS", hide = true)]
    pub firehose_keepalive_ms: Option<u64>,
    /// URL of the Bluesky AppView: unknown `app.bsky.*` methods are proxied to it.
    #[arg(long, env = "PDS_BSKY_APP_VIEW_URL")]
    pub bsky_app_view_url: Option<String>,
    /// Service DID of the AppView (set with its URL), e.g. `did:web:api.bsky.app`.
    #[arg(long, env = "PDS_BSKY_APP_VIEW_DID")]
    pub bsky_app_view_did: Option<String>,
    /// URL of the chat service for `chat.bsky.*` methods (default: the AppView).
    #[arg(long, env = "PDS_BSKY_CHAT_URL")]
    pub bsky_chat_url: Option<String>,
    /// Service DID of the chat service (set with its URL), e.g. `did:web:api.bsky.chat`.
    #[arg(long, env = "PDS_BSKY_CHAT_DID")]
    pub bsky_chat_did: Option<String>,
    /// Whether sign-up and login are rate-limited per client (default true).
    #[arg(long, env = "PDS_RATE_LIMITS_ENABLED")]
    pub rate_limits_enabled: Option<bool>,
    /// Let service proxying reach plain-http, loopback and private addresses (development only).
    #[arg(long, env = "PDS_DISABLE_SSRF_PROTECTION")]
    pub disable_ssrf_protection: Option<bool>,
    /// Directory for blobs (default `<data>/blobs`).
    #[arg(long, env = "PDS_BLOBSTORE_DISK_LOCATION")]
    pub blobstore_disk_location: Option<PathBuf>,
    /// Largest blob upload in bytes (default 5 MiB).
    #[arg(long, env = "PDS_BLOB_UPLOAD_LIMIT")]
    pub blob_upload_limit: Option<u64>,
    /// S3-compatible bucket for blobs, instead of the disk (then leave
    /// `PDS_BLOBSTORE_DISK_LOCATION` unset).
    #[arg(long, env = "PDS_BLOBSTORE_S3_BUCKET")]
    pub blobstore_s3_bucket: Option<String>,
    /// Region of the blob bucket (default `AWS_REGION`, else us-east-1).
    #[arg(long, env = "PDS_BLOBSTORE_S3_REGION")]
    pub blobstore_s3_region: Option<String>,
    /// Endpoint of an S3-compatible service (default AWS), e.g. `https://s3.example.com`.
    #[arg(long, env = "PDS_BLOBSTORE_S3_ENDPOINT")]
    pub blobstore_s3_endpoint: Option<String>,
    /// Path-style bucket requests (`<endpoint>/<bucket>/<key>`), which most S3-compatible
    /// services need (default false: `<bucket>.<endpoint host>`).
    #[arg(long, env = "PDS_BLOBSTORE_S3_FORCE_PATH_STYLE")]
    pub blobstore_s3_force_path_style: Option<bool>,
    /// Access key of the blob bucket (set with the secret; unset: the usual `AWS_*` variables).
    #[arg(long, env = "PDS_BLOBSTORE_S3_ACCESS_KEY_ID", hide_env_values = true)]
    pub blobstore_s3_access_key_id: Option<String>,
    /// Secret key of the blob bucket.
    #[arg(
        long,
        env = "PDS_BLOBSTORE_S3_SECRET_ACCESS_KEY",
        hide_env_values = true
    )]
    pub blobstore_s3_secret_access_key: Option<String>,
    /// Milliseconds an uploaded blob may stay unreferenced before it is deleted (default one
    /// hour). Hidden: only tests need to change it.
    #[arg(long, env = "PDS_BLOBSTORE_TEMP_GRACE_MS", hide = true)]
    pub blobstore_temp_grace_ms: Option<u64>,
    /// `normal` (default): SQLite WAL with synchronous=NORMAL, as the reference PDS; an
    /// acknowledged write survives a crash of pdsd, a power loss may undo the last ones.
    /// `power-safe`: synchronous=FULL everywhere, so acknowledged writes survive power loss
    /// too (one flush covers a batch of concurrent writes).
    #[arg(long, env = "PDSD_DURABILITY", value_enum)]
    pub durability: Option<crate::store::Durability>,
    /// Seconds between an account deletion and the purge of its data (default 0: at once).
    #[arg(long, env = "PDS_ACCOUNT_DELETE_GRACE_SECONDS")]
    pub account_delete_grace_seconds: Option<u64>,
    /// Milliseconds between runs of the job that purges deleted accounts (default 60000).
    /// Hidden: only tests need to change it.
    #[arg(long, env = "PDS_ACCOUNT_PURGE_INTERVAL_MS", hide = true)]
    pub account_purge_interval_ms: Option<u64>,
    /// Test only: resolve handles outside the service's domains over plain HTTP at
    /// `127.0.0.1:<port>` (the handle sent as `Host`) and skip DNS. Never set in production.
    #[arg(long, env = "PDS_DEV_HANDLE_RESOLVER_HTTP_PORT", hide = true)]
    pub dev_handle_resolver_http_port: Option<u16>,
}

/// The TOML file: the same settings as [`Args`], snake_case, without the `PDS_` prefix.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    hostname: Option<String>,
    port: Option<u16>,
    bind_address: Option<IpAddr>,
    data_directory: Option<PathBuf>,
    admin_socket: Option<PathBuf>,
    admin_socket_group: Option<String>,
    service_did: Option<String>,
    admin_password: Option<String>,
    jwt_secret: Option<String>,
    plc_rotation_key_k256_private_key_hex: Option<String>,
    did_plc_url: Option<String>,
    service_handle_domains: Option<Vec<String>>,
    invite_required: Option<bool>,
    email_smtp_url: Option<String>,
    email_from_address: Option<String>,
    crawlers: Option<Vec<String>>,
    repo_backfill_limit_ms: Option<u64>,
    bsky_app_view_url: Option<String>,
    bsky_app_view_did: Option<String>,
    bsky_chat_url: Option<String>,
    bsky_chat_did: Option<String>,
    rate_limits_enabled: Option<bool>,
    disable_ssrf_protection: Option<bool>,
    blobstore_disk_location: Option<PathBuf>,
    blob_upload_limit: Option<u64>,
    blobstore_s3_bucket: Option<String>,
    blobstore_s3_region: Option<String>,
    blobstore_s3_endpoint: Option<String>,
    blobstore_s3_force_path_style: Option<bool>,
    blobstore_s3_access_key_id: Option<String>,
    blobstore_s3_secret_access_key: Option<String>,
    account_delete_grace_seconds: Option<u64>,
    durability: Option<crate::store::Durability>,
}

/// Outgoing mail settings.
#[derive(Debug, Clone)]
pub struct EmailConfig {
    pub smtp_url: String,
    pub from_address: String,
}

/// The validated configuration the daemon runs with.
#[derive(Clone)]
pub struct Config {
    pub hostname: String,
    /// Where the XRPC API listens.
    pub listen: SocketAddr,
    /// `https://<hostname>`, or `http://localhost:<port>` for a local server.
    pub public_url: String,
    pub service_did: Did,
    pub data_directory: PathBuf,
    /// The admin socket's path.
    pub admin_socket: PathBuf,
    /// The group id given the admin socket (mode 0660), if any; else mode 0600.
    pub admin_socket_group: Option<u32>,
    pub blobstore_disk_location: PathBuf,
    pub admin_password: String,
    pub jwt_secret: Vec<u8>,
    pub plc_rotation_key: SigningKey,
    /// `None`: the embedded PLC directory.
    pub did_plc_url: Option<String>,
    pub service_handle_domains: Vec<String>,
    pub invite_required: bool,
    pub email: Option<EmailConfig>,
    pub crawlers: Vec<String>,
    /// The least time between two requestCrawl notifications of the crawlers.
    pub crawlers_notify_threshold: std::time::Duration,
    /// How long events stay in the event log (and can be replayed with a cursor).
    pub repo_backfill_limit: std::time::Duration,
    /// How often the event log is trimmed.
    pub sequencer_trim_interval: std::time::Duration,
    /// Events a firehose consumer may fall behind before it is disconnected.
    pub firehose_max_behind: i64,
    /// How often an idle firehose connection is pinged.
    pub firehose_keepalive: std::time::Duration,
    /// The Bluesky AppView that unknown `app.bsky.*` methods go to.
    pub bsky_app_view: Option<ProxyService>,
    /// The chat service that `chat.bsky.*` methods go to (the AppView when unset).
    pub bsky_chat: Option<ProxyService>,
    pub rate_limits_enabled: bool,
    /// Whether proxying may reach plain-http, loopback and private addresses.
    pub disable_ssrf_protection: bool,
    pub blob_upload_limit: u64,
    /// Blobs go to this bucket instead of `blobstore_disk_location` when set.
    pub blobstore_s3: Option<crate::store::blobstore::s3::S3Settings>,
    /// How long an uploaded blob may stay unreferenced before it is deleted.
    pub blobstore_temp_grace: std::time::Duration,
    pub account_delete_grace_seconds: u64,
    /// How hard the databases flush commits (see [`Args::durability`]).
    pub durability: crate::store::Durability,
    /// How often the purge job looks for deleted accounts whose grace period is over.
    pub account_purge_interval: std::time::Duration,
    /// Test only: see [`Args::dev_handle_resolver_http_port`].
    pub dev_handle_resolver_http_port: Option<u16>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Secrets stay out of logs.
        f.debug_struct("Config")
            .field("hostname", &self.hostname)
            .field("listen", &self.listen)
            .field("public_url", &self.public_url)
            .field("service_did", &self.service_did)
            .field("data_directory", &self.data_directory)
            .field("did_plc_url", &self.did_plc_url)
            .field("service_handle_domains", &self.service_handle_domains)
            .field("invite_required", &self.invite_required)
            .finish_non_exhaustive()
    }
}

/// A setting that cannot be used, named so the operator can fix it.
#[derive(Debug, thiserror::Error)]
#[error("invalid setting {name}: {reason}")]
pub struct ConfigError {
    pub name: &'static str,
    pub reason: String,
}

fn bad(name: &'static str, reason: impl std::fmt::Display) -> ConfigError {
    ConfigError {
        name,
        reason: reason.to_string(),
    }
}

impl Config {
    /// Validates flags, environment and file into a [`Config`], creating the data directory
    /// and any missing generated secrets.
    pub fn load(args: Args) -> Result<Self, ConfigError> {
        let file = match &args.config {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| bad("PDS_CONFIG", format!("{}: {e}", path.display())))?;
                toml::from_str::<FileConfig>(&text)
                    .map_err(|e| bad("PDS_CONFIG", format!("{}: {e}", path.display())))?
            }
            None => FileConfig::default(),
        };

        let hostname = args
            .hostname
            .or(file.hostname)
            .unwrap_or_else(|| "localhost".to_string());
        if hostname != "localhost" && atproto::syntax::Handle::new(&hostname).is_err() {
            return Err(bad(
                "PDS_HOSTNAME",
                format!("{hostname:?} is not a hostname"),
            ));
        }
        let port = args.port.or(file.port).unwrap_or(2583);
        let bind = args
            .bind_address
            .or(file.bind_address)
            .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
        let public_url = if hostname == "localhost" {
            format!("http://localhost:{port}")
        } else {
            format!("https://{hostname}")
        };
        let service_did = args
            .service_did
            .or(file.service_did)
            .unwrap_or_else(|| format!("did:web:{hostname}"));
        let service_did =
            Did::new(&service_did).map_err(|e| bad("PDS_SERVICE_DID", e.to_string()))?;

        let data_directory = args
            .data_directory
            .or(file.data_directory)
            .unwrap_or_else(|| PathBuf::from("data"));
        std::fs::create_dir_all(&data_directory).map_err(|e| {
            bad(
                "PDS_DATA_DIRECTORY",
                format!("{}: {e}", data_directory.display()),
            )
        })?;
        let keys = data_directory.join("keys");
        create_private_dir(&keys)
            .map_err(|e| bad("PDS_DATA_DIRECTORY", format!("{}: {e}", keys.display())))?;

        let admin_socket = args
            .admin_socket
            .or(file.admin_socket)
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or_else(|| data_directory.join(pds_proto::SOCKET_FILE_NAME));
        let admin_socket_group = match args
            .admin_socket_group
            .or(file.admin_socket_group)
            .filter(|g| !g.trim().is_empty())
        {
            Some(g) => Some(group_id(g.trim()).map_err(|e| bad("PDS_ADMIN_SOCKET_GROUP", e))?),
            None => None,
        };

        let blobstore_disk_location = args
            .blobstore_disk_location
            .or(file.blobstore_disk_location);
        let blobstore_s3 = blobstore_s3(
            &blobstore_disk_location,
            S3Args {
                bucket: args.blobstore_s3_bucket.or(file.blobstore_s3_bucket),
                region: args.blobstore_s3_region.or(file.blobstore_s3_region),
                endpoint: args.blobstore_s3_endpoint.or(file.blobstore_s3_endpoint),
                force_path_style: args
                    .blobstore_s3_force_path_style
                    .or(file.blobstore_s3_force_path_style),
                access_key_id: args
                    .blobstore_s3_access_key_id
                    .or(file.blobstore_s3_access_key_id),
                secret_access_key: args
                    .blobstore_s3_secret_access_key
                    .or(file.blobstore_s3_secret_access_key),
            },
        )?;
        let blobstore_disk_location =
            blobstore_disk_location.unwrap_or_else(|| data_directory.join("blobs"));

        let admin_password = match args.admin_password.or(file.admin_password) {
            Some(p) if p.is_empty() => return Err(bad("PDS_ADMIN_PASSWORD", "must not be empty")),
            Some(p) => p,
            None => stored_secret(&keys.join("admin_password"), || random_hex(16))
                .map_err(|e| bad("PDS_ADMIN_PASSWORD", e))?,
        };
        let jwt_secret = match args.jwt_secret.or(file.jwt_secret) {
            Some(s) if s.len() < 16 => {
                return Err(bad("PDS_JWT_SECRET", "must be at least 16 characters"));
            }
            Some(s) => s,
            None => stored_secret(&keys.join("jwt_secret"), || random_hex(32))
                .map_err(|e| bad("PDS_JWT_SECRET", e))?,
        }
        .into_bytes();
        let rotation_hex = match args
            .plc_rotation_key_k256_private_key_hex
            .or(file.plc_rotation_key_k256_private_key_hex)
        {
            Some(h) => h,
            None => stored_secret(&keys.join("plc_rotation_key.k256.hex"), || {
                SigningKey::generate(KeyType::K256).to_hex()
            })
            .map_err(|e| bad("PDS_PLC_ROTATION_KEY_K256_PRIVATE_KEY_HEX", e))?,
        };
        let plc_rotation_key = SigningKey::from_hex(KeyType::K256, rotation_hex.trim())
            .map_err(|e| bad("PDS_PLC_ROTATION_KEY_K256_PRIVATE_KEY_HEX", e))?;

        let did_plc_url = match args.did_plc_url.or(file.did_plc_url) {
            Some(u) if u.is_empty() => None,
            Some(u) => {
                if !(u.starts_with("http://") || u.starts_with("https://")) {
                    return Err(bad(
                        "PDS_DID_PLC_URL",
                        format!("{u:?} is not an http(s) URL"),
                    ));
                }
                Some(u.trim_end_matches('/').to_string())
            }
            None => None,
        };

        let service_handle_domains = match args
            .service_handle_domains
            .or(file.service_handle_domains)
            .filter(|d| !d.is_empty())
        {
            Some(d) => d,
            None if hostname == "localhost" => vec![".test".to_string()],
            None => vec![format!(".{hostname}")],
        };
        for d in &service_handle_domains {
            if d.len() < 2 || !d.starts_with('.') {
                return Err(bad(
                    "PDS_SERVICE_HANDLE_DOMAINS",
                    format!("{d:?} must start with a dot, like .example.com"),
                ));
            }
        }

        let email = match (
            args.email_smtp_url.or(file.email_smtp_url),
            args.email_from_address.or(file.email_from_address),
        ) {
            (None, None) => None,
            (Some(smtp_url), Some(from_address)) => {
                if !(smtp_url.starts_with("smtp://") || smtp_url.starts_with("smtps://")) {
                    return Err(bad(
                        "PDS_EMAIL_SMTP_URL",
                        "must start with smtp:// or smtps://",
                    ));
                }
                if !from_address.contains('@') {
                    return Err(bad("PDS_EMAIL_FROM_ADDRESS", "is not an email address"));
                }
                Some(EmailConfig {
                    smtp_url,
                    from_address,
                })
            }
            (Some(_), None) => {
                return Err(bad(
                    "PDS_EMAIL_FROM_ADDRESS",
                    "must be set with PDS_EMAIL_SMTP_URL",
                ));
            }
            (None, Some(_)) => {
                return Err(bad(
                    "PDS_EMAIL_SMTP_URL",
                    "must be set with PDS_EMAIL_FROM_ADDRESS",
                ));
            }
        };

        let crawlers = args.crawlers.or(file.crawlers).unwrap_or_default();
        for c in &crawlers {
            if !(c.starts_with("http://") || c.starts_with("https://")) {
                return Err(bad("PDS_CRAWLERS", format!("{c:?} is not an http(s) URL")));
            }
        }

        let bsky_app_view = proxy_service(
            (
                "PDS_BSKY_APP_VIEW_URL",
                args.bsky_app_view_url.or(file.bsky_app_view_url),
            ),
            (
                "PDS_BSKY_APP_VIEW_DID",
                args.bsky_app_view_did.or(file.bsky_app_view_did),
            ),
        )?;
        let bsky_chat = proxy_service(
            (
                "PDS_BSKY_CHAT_URL",
                args.bsky_chat_url.or(file.bsky_chat_url),
            ),
            (
                "PDS_BSKY_CHAT_DID",
                args.bsky_chat_did.or(file.bsky_chat_did),
            ),
        )?;

        Ok(Config {
            hostname,
            listen: SocketAddr::new(bind, port),
            public_url,
            service_did,
            data_directory,
            admin_socket,
            admin_socket_group,
            blobstore_disk_location,
            admin_password,
            jwt_secret,
            plc_rotation_key,
            did_plc_url,
            service_handle_domains,
            invite_required: args
                .invite_required
                .or(file.invite_required)
                .unwrap_or(true),
            email,
            crawlers,
            crawlers_notify_threshold: std::time::Duration::from_millis(
                args.crawlers_notify_threshold_ms.unwrap_or(20 * 60 * 1000),
            ),
            repo_backfill_limit: std::time::Duration::from_millis(
                args.repo_backfill_limit_ms
                    .or(file.repo_backfill_limit_ms)
                    .unwrap_or(24 * 60 * 60 * 1000),
            ),
            sequencer_trim_interval: std::time::Duration::from_millis(
                args.sequencer_trim_interval_ms
                    .unwrap_or(10 * 60 * 1000)
                    .max(10),
            ),
            firehose_max_behind: args
                .firehose_max_behind
                .unwrap_or(250_000)
                .clamp(1, i64::MAX as u64) as i64,
            firehose_keepalive: std::time::Duration::from_millis(
                args.firehose_keepalive_ms.unwrap_or(30_000).max(10),
            ),
            bsky_app_view,
            bsky_chat,
            rate_limits_enabled: args
                .rate_limits_enabled
                .or(file.rate_limits_enabled)
                .unwrap_or(true),
            disable_ssrf_protection: args
                .disable_ssrf_protection
                .or(file.disable_ssrf_protection)
                .unwrap_or(false),
            durability: args.durability.or(file.durability).unwrap_or_default(),
            blob_upload_limit: args
                .blob_upload_limit
                .or(file.blob_upload_limit)
                .unwrap_or(5 * 1024 * 1024),
            blobstore_s3,
            blobstore_temp_grace: std::time::Duration::from_millis(
                args.blobstore_temp_grace_ms
                    .unwrap_or(60 * 60 * 1000)
                    .max(1),
            ),
            account_delete_grace_seconds: args
                .account_delete_grace_seconds
                .or(file.account_delete_grace_seconds)
                .unwrap_or(0),
            account_purge_interval: std::time::Duration::from_millis(
                args.account_purge_interval_ms.unwrap_or(60_000).max(10),
            ),
            dev_handle_resolver_http_port: args.dev_handle_resolver_http_port,
        })
    }
}

/// A group's id: numeric as given, or a name looked up in `/etc/group` (groups known only to
/// NSS services such as LDAP must be given by number).
fn group_id(group: &str) -> Result<u32, String> {
    if let Ok(gid) = group.parse::<u32>() {
        return Ok(gid);
    }
    let groups = std::fs::read_to_string("/etc/group").map_err(|e| format!("/etc/group: {e}"))?;
    groups
        .lines()
        .filter_map(|line| {
            let mut fields = line.split(':');
            let name = fields.next()?;
            let gid = fields.nth(1)?;
            (name == group).then(|| gid.parse::<u32>().ok()).flatten()
        })
        .next()
        .ok_or_else(|| format!("no group named {group:?} in /etc/group; give its number"))
}

/// The `PDS_BLOBSTORE_S3_*` settings as given.
struct S3Args {
    bucket: Option<String>,
    region: Option<String>,
    endpoint: Option<String>,
    force_path_style: Option<bool>,
    access_key_id: Option<String>,
    secret_access_key: Option<String>,
}

/// The S3 blob store settings: none without a bucket, and never with a disk location.
fn blobstore_s3(
    disk_location: &Option<PathBuf>,
    a: S3Args,
) -> Result<Option<crate::store::blobstore::s3::S3Settings>, ConfigError> {
    let set = |v: Option<String>| v.filter(|s| !s.is_empty());
    let Some(bucket) = set(a.bucket) else {
        if a.region.is_some()
            || a.endpoint.is_some()
            || a.access_key_id.is_some()
            || a.secret_access_key.is_some()
        {
            return Err(bad(
                "PDS_BLOBSTORE_S3_BUCKET",
                "must be set with the other PDS_BLOBSTORE_S3_* settings",
            ));
        }
        return Ok(None);
    };
    if disk_location.is_some() {
        return Err(bad(
            "PDS_BLOBSTORE_DISK_LOCATION",
            "cannot be set with PDS_BLOBSTORE_S3_BUCKET: blobs go to one store",
        ));
    }
    let endpoint = set(a.endpoint);
    if let Some(e) = &endpoint
        && !(e.starts_with("http://") || e.starts_with("https://"))
    {
        return Err(bad(
            "PDS_BLOBSTORE_S3_ENDPOINT",
            format!("{e:?} is not an http(s) URL"),
        ));
    }
    let (access_key_id, secret_access_key) = match (set(a.access_key_id), set(a.secret_access_key))
    {
        (Some(id), Some(secret)) => (Some(id), Some(secret)),
        (None, None) => (None, None),
        (Some(_), None) => {
            return Err(bad(
                "PDS_BLOBSTORE_S3_SECRET_ACCESS_KEY",
                "must be set with PDS_BLOBSTORE_S3_ACCESS_KEY_ID",
            ));
        }
        (None, Some(_)) => {
            return Err(bad(
                "PDS_BLOBSTORE_S3_ACCESS_KEY_ID",
                "must be set with PDS_BLOBSTORE_S3_SECRET_ACCESS_KEY",
            ));
        }
    };
    Ok(Some(crate::store::blobstore::s3::S3Settings {
        bucket,
        region: set(a.region),
        endpoint,
        force_path_style: a.force_path_style.unwrap_or(false),
        access_key_id,
        secret_access_key,
    }))
}

/// A service requests are proxied to: its base URL (no trailing `/`) and service DID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyService {
    pub url: String,
    pub did: Did,
}

/// A URL and DID setting pair: both or neither.
fn proxy_service(
    (url_name, url): (&'static str, Option<String>),
    (did_name, did): (&'static str, Option<String>),
) -> Result<Option<ProxyService>, ConfigError> {
    match (url.filter(|u| !u.is_empty()), did.filter(|d| !d.is_empty())) {
        (None, None) => Ok(None),
        (Some(url), Some(did)) => {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(bad(url_name, format!("{url:?} is not an http(s) URL")));
            }
            let did = Did::new(&did).map_err(|e| bad(did_name, e.to_string()))?;
            Ok(Some(ProxyService {
                url: url.trim_end_matches('/').to_string(),
                did,
            }))
        }
        (Some(_), None) => Err(bad(did_name, format!("must be set with {url_name}"))),
        (None, Some(_)) => Err(bad(url_name, format!("must be set with {did_name}"))),
    }
}

fn create_private_dir(path: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// Reads a generated secret, or generates and writes it (mode 0600) on first start.
fn stored_secret(path: &Path, generate: impl FnOnce() -> String) -> Result<String, String> {
    match std::fs::read_to_string(path) {
        Ok(s) => return Ok(s.trim().to_string()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("{}: {e}", path.display())),
    }
    let value = generate();
    write_private(path, value.as_bytes()).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(value)
}

/// Writes a file readable only by its owner, atomically (temp file + rename).
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("tmp");
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).expect("the OS random number generator works");
    atproto::multibase::hex_encode(&buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args_in(dir: &Path) -> Args {
        Args {
            data_directory: Some(dir.to_path_buf()),
            ..Args::default()
        }
    }

    #[test]
    fn zero_configuration_generates_and_keeps_secrets() {
        let dir = tempfile::tempdir().unwrap();
        let a = Config::load(args_in(dir.path())).unwrap();
        let b = Config::load(args_in(dir.path())).unwrap();
        assert_eq!(a.jwt_secret, b.jwt_secret);
        assert_eq!(a.admin_password, b.admin_password);
        assert_eq!(a.plc_rotation_key.to_hex(), b.plc_rotation_key.to_hex());
        assert_eq!(a.service_handle_domains, vec![".test"]);
        assert!(a.invite_required);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("keys/jwt_secret"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn flags_override_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pdsd.toml");
        std::fs::write(&file, "hostname = \"pds.example.com\"\nport = 1234\n").unwrap();
        let mut args = args_in(dir.path());
        args.config = Some(file);
        args.port = Some(4321);
        let c = Config::load(args).unwrap();
        assert_eq!(c.hostname, "pds.example.com");
        assert_eq!(c.listen.port(), 4321);
        assert_eq!(c.public_url, "https://pds.example.com");
        assert_eq!(c.service_did.as_str(), "did:web:pds.example.com");
        assert_eq!(c.service_handle_domains, vec![".pds.example.com"]);
    }

    #[test]
    fn bad_settings_name_the_setting() {
        let dir = tempfile::tempdir().unwrap();
        let mut args = args_in(dir.path());
        args.service_handle_domains = Some(vec!["example.com".into()]);
        let e = Config::load(args).unwrap_err();
        assert_eq!(e.name, "PDS_SERVICE_HANDLE_DOMAINS");

        let mut args = args_in(dir.path());
        args.plc_rotation_key_k256_private_key_hex = Some("zz".into());
        assert_eq!(
            Config::load(args).unwrap_err().name,
            "PDS_PLC_ROTATION_KEY_K256_PRIVATE_KEY_HEX"
        );

        let mut args = args_in(dir.path());
        args.email_smtp_url = Some("smtp://localhost:25".into());
        assert_eq!(
            Config::load(args).unwrap_err().name,
            "PDS_EMAIL_FROM_ADDRESS"
        );

        let file = dir.path().join("bad.toml");
        std::fs::write(&file, "no_such_setting = 1\n").unwrap();
        let mut args = args_in(dir.path());
        args.config = Some(file);
        assert_eq!(Config::load(args).unwrap_err().name, "PDS_CONFIG");
    }

    #[test]
    fn the_admin_socket_defaults_to_the_data_directory_and_takes_a_group() {
        let dir = tempfile::tempdir().unwrap();
        let c = Config::load(args_in(dir.path())).unwrap();
        assert_eq!(c.admin_socket, dir.path().join("admin.sock"));
        assert_eq!(c.admin_socket_group, None);

        let file = dir.path().join("pdsd.toml");
        std::fs::write(
            &file,
            "admin_socket = \"/run/pdsd/admin.sock\"\nadmin_socket_group = \"0\"\n",
        )
        .unwrap();
        let mut args = args_in(dir.path());
        args.config = Some(file);
        let c = Config::load(args).unwrap();
        assert_eq!(c.admin_socket, PathBuf::from("/run/pdsd/admin.sock"));
        assert_eq!(c.admin_socket_group, Some(0));

        // Names come from /etc/group, which names gid 0 on every Linux system.
        let root = std::fs::read_to_string("/etc/group").ok().and_then(|g| {
            g.lines()
                .find(|l| l.split(':').nth(2) == Some("0"))
                .and_then(|l| l.split(':').next().map(str::to_string))
        });
        if let Some(name) = root {
            assert_eq!(group_id(&name), Ok(0));
        }
        let mut args = args_in(dir.path());
        args.admin_socket_group = Some("no-such-group-here".into());
        assert_eq!(
            Config::load(args).unwrap_err().name,
            "PDS_ADMIN_SOCKET_GROUP"
        );
    }

    #[test]
    fn firehose_settings_default_to_the_reference_values_and_the_window_comes_from_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let c = Config::load(args_in(dir.path())).unwrap();
        assert_eq!(
            c.repo_backfill_limit,
            std::time::Duration::from_secs(86_400)
        );
        assert_eq!(
            c.crawlers_notify_threshold,
            std::time::Duration::from_secs(20 * 60)
        );
        assert_eq!(c.firehose_keepalive, std::time::Duration::from_secs(30));
        assert_eq!(c.firehose_max_behind, 250_000);

        let file = dir.path().join("pdsd.toml");
        std::fs::write(&file, "repo_backfill_limit_ms = 60000\n").unwrap();
        let mut args = args_in(dir.path());
        args.config = Some(file);
        let c = Config::load(args).unwrap();
        assert_eq!(c.repo_backfill_limit, std::time::Duration::from_secs(60));
    }

    #[test]
    fn blobs_go_to_one_store_and_s3_keys_come_in_pairs() {
        let dir = tempfile::tempdir().unwrap();
        let c = Config::load(args_in(dir.path())).unwrap();
        assert!(c.blobstore_s3.is_none());
        assert_eq!(c.blobstore_disk_location, dir.path().join("blobs"));

        let s3_args = || {
            let mut args = args_in(dir.path());
            args.blobstore_s3_bucket = Some("blobs".into());
            args.blobstore_s3_endpoint = Some("http://127.0.0.1:9000".into());
            args.blobstore_s3_force_path_style = Some(true);
            args
        };
        let s3 = Config::load(s3_args()).unwrap().blobstore_s3.unwrap();
        assert_eq!(s3.bucket, "blobs");
        assert!(s3.force_path_style);

        let mut args = s3_args();
        args.blobstore_disk_location = Some(dir.path().join("elsewhere"));
        assert_eq!(
            Config::load(args).unwrap_err().name,
            "PDS_BLOBSTORE_DISK_LOCATION"
        );
        let mut args = s3_args();
        args.blobstore_s3_access_key_id = Some("id".into());
        assert_eq!(
            Config::load(args).unwrap_err().name,
            "PDS_BLOBSTORE_S3_SECRET_ACCESS_KEY"
        );
        let mut args = s3_args();
        args.blobstore_s3_endpoint = Some("s3.example.com".into());
        assert_eq!(
            Config::load(args).unwrap_err().name,
            "PDS_BLOBSTORE_S3_ENDPOINT"
        );
        let mut args = args_in(dir.path());
        args.blobstore_s3_region = Some("eu-west-1".into());
        assert_eq!(
            Config::load(args).unwrap_err().name,
            "PDS_BLOBSTORE_S3_BUCKET"
        );
    }
}
