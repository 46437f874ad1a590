//! Outgoing mail (SMTP via lettre) and the one-time codes it carries.
//!
//! A code lives in `email_token`: one per (purpose, account), replaced when a new one is
//! requested, valid for 15 minutes as in the reference PDS, and deleted once used.

use std::time::Duration;

use atproto::syntax::{Datetime, Did};
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use rusqlite::{Connection, ErrorCode, OptionalExtension, params};

use super::{Service, ServiceError};
use crate::config::{ConfigError, EmailConfig};

/// How long an email code stays valid after it was sent.
pub const EMAIL_TOKEN_LIFETIME: Duration = Duration::from_secs(15 * 60);

/// What an email code is for; each purpose has its own code and its own mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailPurpose {
    ConfirmEmail,
    UpdateEmail,
    ResetPassword,
    DeleteAccount,
    /// `com.atproto.identity.requestPlcOperationSignature`.
    PlcOperation,
    /// The email second factor of `createSession`.
    SignIn,
}

impl EmailPurpose {
    /// The `email_token.purpose` value (the reference PDS's names).
    pub fn as_str(self) -> &'static str {
        match self {
            EmailPurpose::ConfirmEmail => "confirm_email",
            EmailPurpose::UpdateEmail => "update_email",
            EmailPurpose::ResetPassword => "reset_password",
            EmailPurpose::DeleteAccount => "delete_account",
            EmailPurpose::PlcOperation => "plc_operation",
            EmailPurpose::SignIn => "2fa",
        }
    }

    /// Subject and plain-text body of the mail that carries `token`.
    fn mail(self, hostname: &str, handle: Option<&str>, token: &str) -> (&'static str, String) {
        let greeting = match handle {
            Some(h) => format!("Hi {h},\n\n"),
            None => "Hi,\n\n".to_string(),
        };
        let (subject, what) = match self {
            EmailPurpose::ConfirmEmail => (
                "Email Confirmation",
                "Enter this code to confirm your email address",
            ),
            EmailPurpose::UpdateEmail => (
                "Email Update Requested",
                "Enter this code to change the email address of your account",
            ),
            EmailPurpose::ResetPassword => (
                "Password Reset Requested",
                "Enter this code to choose a new password",
            ),
            EmailPurpose::DeleteAccount => (
                "Account Deletion Requested",
                "Enter this code, with your password, to delete your account for good",
            ),
            EmailPurpose::PlcOperation => (
                "PLC Update Operation Requested",
                "Enter this code to sign a change of your account's identity (DID) document",
            ),
            EmailPurpose::SignIn => ("Sign-in Code", "Enter this code to finish signing in"),
        };
        let minutes = EMAIL_TOKEN_LIFETIME.as_secs() / 60;
        let body = format!(
            "{greeting}{what} on {hostname}:\n\n    {token}\n\n\
             The code expires in {minutes} minutes.\n\
             If you did not ask for it, ignore this mail; nothing changes without the code.\n"
        );
        (subject, body)
    }
}

/// The SMTP client the server sends its mail with.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The transport holds the SMTP credentials.
        f.debug_struct("Mailer")
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

impl Mailer {
    /// Builds the client from `smtp_url`. `smtps://` is TLS from the start and
    /// `smtp://...?tls=required` demands STARTTLS. A plain `smtp://` URL upgrades with STARTTLS
    /// when the server offers it (as the reference PDS's nodemailer does), except to a
    /// loopback host, where it stays plain. No connection is made here.
    pub fn new(config: &EmailConfig) -> Result<Mailer, ConfigError> {
        let bad = |name: &'static str, reason: String| ConfigError { name, reason };
        let from: Mailbox = config
            .from_address
            .parse()
            .map_err(|e| bad("PDS_EMAIL_FROM_ADDRESS", format!("{e}")))?;
        let url = &config.smtp_url;
        let plain_smtp = url.starts_with("smtp://") && !url.contains("tls=");
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| bad("PDS_EMAIL_SMTP_URL", format!("{e}")))?;
        if plain_smtp {
            let host = smtp_url_host(url);
            if !is_loopback(host) {
                let tls = TlsParameters::new(host.to_string())
                    .map_err(|e| bad("PDS_EMAIL_SMTP_URL", format!("{e}")))?;
                builder = builder.tls(Tls::Opportunistic(tls));
            }
        }
        let transport: AsyncSmtpTransport<Tokio1Executor> =
            builder.timeout(Some(Duration::from_secs(30))).build();
        Ok(Mailer { transport, from })
    }

    /// Sends one plain-text mail.
    pub async fn send(&self, to: &str, subject: &str, body: String) -> Result<(), ServiceError> {
        let to: Mailbox = to.parse().map_err(|e| {
            ServiceError::internal(anyhow::anyhow!("cannot mail the account's address: {e}"))
        })?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| ServiceError::internal(anyhow::anyhow!("cannot build mail: {e}")))?;
        self.transport
            .send(message)
            .await
            .map_err(|e| ServiceError::internal(anyhow::anyhow!("SMTP delivery failed: {e}")))?;
        Ok(())
    }
}

/// The host part of an `smtp://[user[:pass]@]host[:port][/ehlo][?query]` URL.
fn smtp_url_host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if let Some(v6) = host_port.strip_prefix('[') {
        return v6.split(']').next().unwrap_or("");
    }
    host_port.split(':').next().unwrap_or("")
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Creates (or replaces) the account's code for `purpose` and returns it.
pub fn create_email_token(
    conn: &Connection,
    did: &Did,
    purpose: EmailPurpose,
) -> Result<String, ServiceError> {
    let now = Datetime::now().to_string();
    // Codes are unique per purpose; a collision of 40 random bits is rare, so retry a little.
    let mut last = None;
    for _ in 0..4 {
        let token = crate::auth::generate_email_token();
        match conn.execute(
            "INSERT INTO email_token (purpose, did, token, requested_at) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (purpose, did) DO UPDATE SET token = ?3, requested_at = ?4",
            params![purpose.as_str(), did.as_str(), token, now],
        ) {
            Ok(_) => return Ok(token),
            Err(e) if e.sqlite_error_code() == Some(ErrorCode::ConstraintViolation) => {
                last = Some(e);
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(last.map_or_else(
        || ServiceError::internal(anyhow::anyhow!("no email token")),
        Into::into,
    ))
}

fn normalize_token(token: &str) -> String {
    token.trim().to_ascii_uppercase()
}

fn check_fresh(requested_at: &str) -> Result<(), ServiceError> {
    let requested_ms = Datetime::new(requested_at)
        .ok()
        .and_then(|d| d.timestamp_micros())
        .map_or(0, |us| us / 1000);
    let lifetime_ms = i64::try_from(EMAIL_TOKEN_LIFETIME.as_millis()).unwrap_or(i64::MAX);
    if now_millis() - requested_ms >= lifetime_ms {
        return Err(ServiceError::named("ExpiredToken", "Token is expired"));
    }
    Ok(())
}

fn invalid_token() -> ServiceError {
    // The Bluesky app looks for this message to say "Invalid 2FA confirmation code".
    ServiceError::named("InvalidToken", "Token is invalid")
}

/// Checks the account's code for `purpose`: 400 `InvalidToken` or `ExpiredToken`, as the
/// lexicons name them. The code stays; delete it when the action succeeds.
pub fn check_email_token(
    conn: &Connection,
    did: &Did,
    purpose: EmailPurpose,
    token: &str,
) -> Result<(), ServiceError> {
    let requested_at: Option<String> = conn
        .query_row(
            "SELECT requested_at FROM email_token WHERE purpose = ?1 AND did = ?2 AND token = ?3",
            params![purpose.as_str(), did.as_str(), normalize_token(token)],
            |r| r.get(0),
        )
        .optional()?;
    check_fresh(&requested_at.ok_or_else(invalid_token)?)
}

/// Finds the account a code for `purpose` was sent to (password reset knows no account).
pub fn did_for_email_token(
    conn: &Connection,
    purpose: EmailPurpose,
    token: &str,
) -> Result<Did, ServiceError> {
    let row: Option<(String, String)> = conn
        .query_row(
            "SELECT did, requested_at FROM email_token WHERE purpose = ?1 AND token = ?2",
            params![purpose.as_str(), normalize_token(token)],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let (did, requested_at) = row.ok_or_else(invalid_token)?;
    check_fresh(&requested_at)?;
    Did::new(&did).map_err(ServiceError::internal)
}

/// Deletes the account's code for `purpose`.
pub fn delete_email_token(
    conn: &Connection,
    did: &Did,
    purpose: EmailPurpose,
) -> Result<(), ServiceError> {
    conn.execute(
        "DELETE FROM email_token WHERE purpose = ?1 AND did = ?2",
        params![purpose.as_str(), did.as_str()],
    )?;
    Ok(())
}

/// Deletes every code of the account (its address changed, or it is being deleted).
pub fn delete_all_email_tokens(conn: &Connection, did: &Did) -> Result<(), ServiceError> {
    conn.execute("DELETE FROM email_token WHERE did = ?1", [did.as_str()])?;
    Ok(())
}

impl Service {
    /// The mailer, or the error every mail-sending method answers without SMTP configured.
    pub fn mailer(&self) -> Result<&Mailer, ServiceError> {
        self.mailer.as_ref().ok_or_else(|| {
            ServiceError::NotConfigured(
                "This server is not configured to send email; ask its operator".into(),
            )
        })
    }

    /// Creates a fresh code for `purpose` and mails it to `to`. Fails before touching the
    /// database when the server sends no mail. For other flows that need an emailed code
    /// (e.g. `requestPlcOperationSignature` with [`EmailPurpose::PlcOperation`]); check it
    /// later with [`check_email_token`].
    pub async fn send_email_token(
        &self,
        did: &Did,
        to: &str,
        handle: Option<&str>,
        purpose: EmailPurpose,
    ) -> Result<(), ServiceError> {
        let mailer = self.mailer()?.clone();
        let token = {
            let did = did.clone();
            self.blocking(move |s| s.db.write(|c| create_email_token(c, &did, purpose)))
                .await?
        };
        let (subject, body) = purpose.mail(&self.config.hostname, handle, &token);
        mailer.send(to, subject, body).await?;
        tracing::debug!(did = %did, purpose = purpose.as_str(), "email code sent");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::test_util::TestPds;

    #[test]
    fn smtp_url_host_finds_the_host() {
        assert_eq!(smtp_url_host("smtp://127.0.0.1:2525"), "127.0.0.1");
        assert_eq!(
            smtp_url_host("smtp://user:p%40ss@mail.example.com:587/ehlo?x=1"),
            "mail.example.com"
        );
        assert_eq!(smtp_url_host("smtp://[::1]:25"), "::1");
        assert_eq!(smtp_url_host("smtp://localhost"), "localhost");
        assert!(is_loopback("::1") && is_loopback("127.0.0.1") && is_loopback("LocalHost"));
        assert!(!is_loopback("mail.example.com"));
    }

    #[tokio::test]
    async fn mailers_build_from_smtp_and_smtps_urls() {
        let cfg = |url: &str| EmailConfig {
            smtp_url: url.into(),
            from_address: "noreply@example.com".into(),
        };
        for url in [
            "smtp://127.0.0.1:2525",
            "smtp://user:pass@mail.example.com:587",
            "smtp://mail.example.com?tls=required",
            "smtps://user:pass@mail.example.com",
        ] {
            Mailer::new(&cfg(url)).unwrap_or_else(|e| panic!("{url}: {e}"));
        }
        let e = Mailer::new(&cfg("smtp://mail.example.com?tls=bogus")).unwrap_err();
        assert_eq!(e.name, "PDS_EMAIL_SMTP_URL");
        let mut bad_from = cfg("smtp://127.0.0.1:25");
        bad_from.from_address = "not an address@".into();
        assert_eq!(
            Mailer::new(&bad_from).unwrap_err().name,
            "PDS_EMAIL_FROM_ADDRESS"
        );
    }

    fn account(pds: &TestPds, did: &str) -> Did {
        let did = Did::new(did).unwrap();
        pds.service
            .db
            .write(|c| {
                c.execute(
                    "INSERT INTO account (did, handle, email, password_hash, created_at) \
                     VALUES (?1, ?2, ?3, 'x', ?4)",
                    params![
                        did.as_str(),
                        format!("{}.test", &did.as_str()[8..]),
                        format!("{}@example.com", &did.as_str()[8..]),
                        Datetime::now().to_string()
                    ],
                )
            })
            .unwrap();
        did
    }

    #[tokio::test]
    async fn email_tokens_are_per_purpose_case_insensitive_and_replaced() {
        let pds = TestPds::new().await;
        let did = account(&pds, "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa");
        pds.service.db.write(|c| {
            let first = create_email_token(c, &did, EmailPurpose::ConfirmEmail).unwrap();
            let second = create_email_token(c, &did, EmailPurpose::ConfirmEmail).unwrap();
            assert_eq!(second.len(), 11);
            let e = check_email_token(c, &did, EmailPurpose::ConfirmEmail, &first).unwrap_err();
            assert_eq!((e.xrpc_name(), e.http_status()), ("InvalidToken", 400));
            check_email_token(
                c,
                &did,
                EmailPurpose::ConfirmEmail,
                &format!(" {} ", second.to_ascii_lowercase()),
            )
            .unwrap();
            let e = check_email_token(c, &did, EmailPurpose::UpdateEmail, &second).unwrap_err();
            assert_eq!(e.xrpc_name(), "InvalidToken");
            assert_eq!(
                did_for_email_token(c, EmailPurpose::ConfirmEmail, &second).unwrap(),
                did
            );
            delete_email_token(c, &did, EmailPurpose::ConfirmEmail).unwrap();
            assert!(check_email_token(c, &did, EmailPurpose::ConfirmEmail, &second).is_err());
        });
    }

    #[tokio::test]
    async fn email_tokens_expire_after_fifteen_minutes() {
        let pds = TestPds::new().await;
        let did = account(&pds, "did:plc:bbbbbbbbbbbbbbbbbbbbbbbb");
        pds.service.db.write(|c| {
            let token = create_email_token(c, &did, EmailPurpose::ResetPassword).unwrap();
            let old = Datetime::from_unix_millis(now_millis() - 16 * 60 * 1000).to_string();
            c.execute("UPDATE email_token SET requested_at = ?1", [old])
                .unwrap();
            let e = check_email_token(c, &did, EmailPurpose::ResetPassword, &token).unwrap_err();
            assert_eq!((e.xrpc_name(), e.http_status()), ("ExpiredToken", 400));
            let e = did_for_email_token(c, EmailPurpose::ResetPassword, &token).unwrap_err();
            assert_eq!(e.xrpc_name(), "ExpiredToken");
        });
    }

    #[tokio::test]
    async fn without_smtp_sending_a_code_fails_and_stores_nothing() {
        let pds = TestPds::new().await;
        let did = account(&pds, "did:plc:cccccccccccccccccccccccc");
        let e = pds
            .service
            .send_email_token(&did, "x@example.com", None, EmailPurpose::ConfirmEmail)
            .await
            .unwrap_err();
        assert!(matches!(e, ServiceError::NotConfigured(_)));
        let n: i64 = pds.service.db.read(|c| {
            c.query_row("SELECT count(*) FROM email_token", [], |r| r.get(0))
                .unwrap()
        });
        assert_eq!(n, 0);
    }

    #[test]
    fn mails_carry_the_code_and_the_host() {
        let (subject, body) =
            EmailPurpose::ResetPassword.mail("pds.example.com", Some("al.test"), "ABCDE-FGHIJ");
        assert_eq!(subject, "Password Reset Requested");
        assert!(body.contains("ABCDE-FGHIJ") && body.contains("pds.example.com"));
        assert!(body.starts_with("Hi al.test,"));
    }
}
