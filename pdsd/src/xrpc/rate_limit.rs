//! Per-client rate limits on sign-up and login, with the reference PDS's limits and headers.
//!
//! Each rule counts requests per key in a fixed window that starts at the key's first request
//! (as the reference's `rate-limiter-flexible` memory store does). Every answer of a limited
//! method carries `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` (Unix seconds)
//! and `RateLimit-Policy` (`<limit>;w=<window seconds>`) for its tightest rule; a refused
//! request gets 429 `RateLimitExceeded` with `Retry-After`. Counters live in memory, so a
//! restart resets them; the number of keys is bounded.
//!
//! The client is the TCP peer, or behind a proxy on a loopback, link-local or private address
//! (the reference's `trust proxy` list) the nearest untrusted address in `X-Forwarded-For`.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;

use super::error::XrpcError;
use crate::service::{Service, ServiceError};

/// One limit: at most `points` requests per key in `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub name: &'static str,
    pub window: Duration,
    pub points: u32,
}

/// What a request is counted under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyBy {
    /// The client address.
    Ip,
    /// The JSON body's `identifier` and the client address (`createSession`): one client
    /// guessing one account's password is slowed without locking the owner out elsewhere.
    IdentifierAndIp,
}

/// The rules of one method.
#[derive(Debug)]
pub struct Policy {
    pub rules: &'static [Rule],
    pub key: KeyBy,
}

const DAY: Duration = Duration::from_secs(24 * 60 * 60);

/// `com.atproto.server.createAccount`: 100 per 5 minutes per client.
pub const CREATE_ACCOUNT: Policy = Policy {
    rules: &[Rule {
        name: "createAccount",
        window: Duration::from_secs(5 * 60),
        points: 100,
    }],
    key: KeyBy::Ip,
};

/// `com.atproto.server.createSession`: 30 per 5 minutes and 300 per day per identifier and
/// client.
pub const CREATE_SESSION: Policy = Policy {
    rules: &[
        Rule {
            name: "createSession-day",
            window: DAY,
            points: 300,
        },
        Rule {
            name: "createSession-5m",
            window: Duration::from_secs(5 * 60),
            points: 30,
        },
    ],
    key: KeyBy::IdentifierAndIp,
};

/// `com.atproto.server.requestPasswordReset`: 15 per hour and 50 per day per client.
pub const REQUEST_PASSWORD_RESET: Policy = Policy {
    rules: &[
        Rule {
            name: "requestPasswordReset-day",
            window: DAY,
            points: 50,
        },
        Rule {
            name: "requestPasswordReset-hour",
            window: Duration::from_secs(60 * 60),
            points: 15,
        },
    ],
    key: KeyBy::Ip,
};

/// `com.atproto.server.resetPassword`: 50 per 5 minutes per client.
pub const RESET_PASSWORD: Policy = Policy {
    rules: &[Rule {
        name: "resetPassword",
        window: Duration::from_secs(5 * 60),
        points: 50,
    }],
    key: KeyBy::Ip,
};

/// Largest body read to find a `createSession` identifier.
const MAX_KEY_BODY: usize = 64 * 1024;
/// Keys kept per limiter before old windows are evicted.
const MAX_KEYS: usize = 100_000;

/// Where one rule stands for one key after a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    pub limit: u32,
    pub window: Duration,
    pub remaining: u32,
    /// Until the window ends.
    pub reset_in: Duration,
    pub exceeded: bool,
}

impl Status {
    fn write_headers(&self, headers: &mut HeaderMap) {
        let reset_at = SystemTime::now()
            .checked_add(self.reset_in)
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_secs());
        let values = [
            ("ratelimit-limit", self.limit.to_string()),
            ("ratelimit-remaining", self.remaining.to_string()),
            ("ratelimit-reset", reset_at.to_string()),
            (
                "ratelimit-policy",
                format!("{};w={}", self.limit, self.window.as_secs()),
            ),
        ];
        for (name, value) in values {
            if let Ok(v) = HeaderValue::from_str(&value) {
                headers.insert(name, v);
            }
        }
        headers.append(
            "access-control-expose-headers",
            HeaderValue::from_static(
                "RateLimit-Limit, RateLimit-Reset, RateLimit-Remaining, RateLimit-Policy, Retry-After",
            ),
        );
    }
}

struct Window {
    ends: Instant,
    consumed: u32,
}

/// Fixed-window counters for any number of rules.
pub struct RateLimiter {
    windows: Mutex<HashMap<(&'static str, String), Window>>,
    max_keys: usize,
}

impl Default for RateLimiter {
    fn default() -> Self {
        RateLimiter::with_capacity(MAX_KEYS)
    }
}

impl RateLimiter {
    /// A limiter keeping at most about `max_keys` keys.
    pub fn with_capacity(max_keys: usize) -> Self {
        RateLimiter {
            windows: Mutex::new(HashMap::new()),
            max_keys: max_keys.max(1),
        }
    }

    /// Counts one request under `key` for every rule, and returns the tightest result: an
    /// exceeded rule if any (the one that frees up last), else the one with the fewest
    /// requests left.
    pub fn consume(&self, rules: &[Rule], key: &str, now: Instant) -> Option<Status> {
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let mut tightest: Option<Status> = None;
        for rule in rules {
            let map_key = (rule.name, key.to_owned());
            if !windows.contains_key(&map_key) && windows.len() >= self.max_keys {
                evict(&mut windows, now, self.max_keys);
            }
            let w = windows.entry(map_key).or_insert(Window {
                ends: now + rule.window,
                consumed: 0,
            });
            if w.ends <= now {
                *w = Window {
                    ends: now + rule.window,
                    consumed: 0,
                };
            }
            w.consumed = w.consumed.saturating_add(1);
            let status = Status {
                limit: rule.points,
                window: rule.window,
                remaining: rule.points.saturating_sub(w.consumed),
                reset_in: w.ends - now,
                exceeded: w.consumed > rule.points,
            };
            tightest = Some(match tightest {
                None => status,
                Some(t) if status.exceeded && (!t.exceeded || status.reset_in > t.reset_in) => {
                    status
                }
                Some(t) if !t.exceeded && !status.exceeded && status.remaining < t.remaining => {
                    status
                }
                Some(t) => t,
            });
        }
        tightest
    }
}

/// Drops ended windows; if that is not enough, the half closest to ending.
fn evict(windows: &mut HashMap<(&'static str, String), Window>, now: Instant, max: usize) {
    windows.retain(|_, w| w.ends > now);
    if windows.len() >= max {
        let mut ends: Vec<Instant> = windows.values().map(|w| w.ends).collect();
        let mid = ends.len() / 2;
        let (_, cutoff, _) = ends.select_nth_unstable(mid);
        let cutoff = *cutoff;
        windows.retain(|_, w| w.ends > cutoff);
    }
}

/// The rate limits of one router: disabled, or one shared limiter.
#[derive(Clone)]
pub struct RateLimits(Option<Arc<RateLimiter>>);

impl RateLimits {
    pub fn new(enabled: bool) -> Self {
        RateLimits(enabled.then(|| Arc::new(RateLimiter::default())))
    }

    /// `route` with `policy` enforced in front of it (unchanged when limits are disabled).
    pub fn apply(
        &self,
        policy: &'static Policy,
        route: MethodRouter<Service>,
    ) -> MethodRouter<Service> {
        match &self.0 {
            None => route,
            Some(limiter) => route.layer(axum::middleware::from_fn_with_state(
                (limiter.clone(), policy),
                enforce,
            )),
        }
    }
}

async fn enforce(
    State((limiter, policy)): State<(Arc<RateLimiter>, &'static Policy)>,
    req: Request,
    next: Next,
) -> Response {
    let ip = client_ip(&req).map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
    let (key, req) = match policy.key {
        KeyBy::Ip => (Some(ip), req),
        KeyBy::IdentifierAndIp => {
            let (parts, body) = req.into_parts();
            let Ok(bytes) = axum::body::to_bytes(body, MAX_KEY_BODY).await else {
                return XrpcError(ServiceError::invalid("Request body is too large"))
                    .into_response();
            };
            let identifier = serde_json::from_slice::<serde_json::Value>(&bytes)
                .ok()
                .and_then(|v| v.get("identifier")?.as_str().map(identifier_key));
            let req = Request::from_parts(parts, Body::from(bytes));
            // No identifier: the method refuses the body anyway.
            (identifier.map(|id| format!("{id}-{ip}")), req)
        }
    };
    let Some(status) = key.and_then(|k| limiter.consume(policy.rules, &k, Instant::now())) else {
        return next.run(req).await;
    };
    if status.exceeded {
        let mut resp = XrpcError(ServiceError::RateLimited {
            message: "Rate Limit Exceeded".into(),
            retry_after_secs: status.reset_in.as_secs_f64().ceil() as u64,
        })
        .into_response();
        status.write_headers(resp.headers_mut());
        return resp;
    }
    let mut resp = next.run(req).await;
    status.write_headers(resp.headers_mut());
    resp
}

/// Handles are case-insensitive, so `Alice.test` and `alice.test` share a counter; hashed so a
/// long identifier costs no more memory than a short one.
fn identifier_key(identifier: &str) -> String {
    let normalized = identifier.trim().to_lowercase();
    atproto::multibase::hex_encode(&atproto::cid::sha256(normalized.as_bytes())[..16])
}

/// The client address: the TCP peer, or if that is a trusted proxy, the nearest untrusted
/// address in `X-Forwarded-For` (read right to left). `None` without connection info (tests
/// that call the router directly).
pub fn client_ip(req: &Request) -> Option<IpAddr> {
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>()?.0.ip();
    let mut ip = canonical(peer);
    if !is_trusted_proxy(ip) {
        return Some(ip);
    }
    let hops = req
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect::<Vec<_>>();
    for hop in hops.into_iter().rev() {
        let Ok(hop) = hop.trim().parse::<IpAddr>() else {
            break;
        };
        ip = canonical(hop);
        if !is_trusted_proxy(ip) {
            break;
        }
    }
    Some(ip)
}

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Loopback, link-local and unique-local/private addresses: where a reverse proxy sits.
fn is_trusted_proxy(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback() || v4.is_link_local() || v4.is_private(),
        IpAddr::V6(v6) => {
            v6.is_loopback()
                || (v6.segments()[0] & 0xffc0) == 0xfe80
                || (v6.segments()[0] & 0xfe00) == 0xfc00
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::test_util::TestPds;
    use axum::http::StatusCode;
    use tower::ServiceExt;

    const TINY: &[Rule] = &[
        Rule {
            name: "long",
            window: Duration::from_secs(100),
            points: 5,
        },
        Rule {
            name: "short",
            window: Duration::from_secs(10),
            points: 2,
        },
    ];

    #[test]
    fn the_tightest_rule_is_reported_and_windows_restart_when_they_end() {
        let l = RateLimiter::default();
        let t0 = Instant::now();
        let s = l.consume(TINY, "k", t0).unwrap();
        assert_eq!((s.limit, s.remaining, s.exceeded), (2, 1, false));
        let s = l.consume(TINY, "k", t0).unwrap();
        assert_eq!((s.limit, s.remaining, s.exceeded), (2, 0, false));
        let s = l.consume(TINY, "k", t0 + Duration::from_secs(1)).unwrap();
        assert!(s.exceeded);
        assert_eq!(s.limit, 2);
        assert_eq!(s.reset_in, Duration::from_secs(9));
        // Another key is counted apart.
        assert!(!l.consume(TINY, "other", t0).unwrap().exceeded);
        // The short window ends; the long one still counts (4 of 5 used after this).
        let s = l.consume(TINY, "k", t0 + Duration::from_secs(10)).unwrap();
        assert!(!s.exceeded);
        assert_eq!((s.limit, s.remaining), (5, 1));
        let s = l.consume(TINY, "k", t0 + Duration::from_secs(11)).unwrap();
        assert_eq!((s.limit, s.remaining, s.exceeded), (5, 0, false));
        let s = l.consume(TINY, "k", t0 + Duration::from_secs(12)).unwrap();
        assert!(s.exceeded);
        assert_eq!(s.limit, 5, "the rule that frees up last is reported");
    }

    #[test]
    fn memory_stays_bounded_under_many_keys() {
        let l = RateLimiter::with_capacity(100);
        let t0 = Instant::now();
        for i in 0..1000 {
            l.consume(&TINY[..1], &i.to_string(), t0 + Duration::from_millis(i))
                .unwrap();
        }
        assert!(l.windows.lock().unwrap().len() <= 100);
    }

    fn with_peer(req: axum::http::request::Builder, peer: &str) -> Request {
        let mut req = req.body(Body::empty()).unwrap();
        req.extensions_mut()
            .insert(ConnectInfo::<SocketAddr>(peer.parse().unwrap()));
        req
    }

    #[test]
    fn the_client_address_is_read_through_trusted_proxies_only() {
        let ip = |peer: &str, xff: Option<&str>| {
            let mut b = axum::http::Request::get("/");
            if let Some(x) = xff {
                b = b.header("x-forwarded-for", x);
            }
            client_ip(&with_peer(b, peer)).unwrap().to_string()
        };
        assert_eq!(ip("203.0.113.9:1234", Some("1.2.3.4")), "203.0.113.9");
        assert_eq!(ip("127.0.0.1:1234", None), "127.0.0.1");
        assert_eq!(ip("127.0.0.1:1234", Some("6.6.6.6, 1.2.3.4")), "1.2.3.4");
        assert_eq!(ip("10.0.0.2:1234", Some("1.2.3.4, 10.0.0.1")), "1.2.3.4");
        assert_eq!(
            ip("[::ffff:127.0.0.1]:1", Some("garbage, 1.2.3.4")),
            "1.2.3.4"
        );
        assert_eq!(ip("127.0.0.1:1", Some("garbage")), "127.0.0.1");
        assert_eq!(client_ip(&axum::http::Request::new(Body::empty())), None);
    }

    async fn post(router: axum::Router, nsid: &str, body: &str, peer: &str) -> Response {
        let req = with_peer(
            axum::http::Request::post(format!("/xrpc/{nsid}"))
                .header("content-type", "application/json"),
            peer,
        );
        let (parts, _) = req.into_parts();
        let req = Request::from_parts(parts, Body::from(body.to_owned()));
        router.oneshot(req).await.unwrap()
    }

    fn header(resp: &Response, name: &str) -> String {
        resp.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    }

    #[tokio::test]
    async fn create_account_is_limited_per_client_address() {
        let pds = TestPds::new().await;
        let router = crate::xrpc::router(pds.service.clone());
        for i in 0..100 {
            let resp = post(
                router.clone(),
                "com.atproto.server.createAccount",
                "{}",
                "203.0.113.1:5",
            )
            .await;
            assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "request {i}");
        }
        let resp = post(
            router.clone(),
            "com.atproto.server.createAccount",
            "{}",
            "203.0.113.1:5",
        )
        .await;
        assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(header(&resp, "ratelimit-limit"), "100");
        assert_eq!(header(&resp, "ratelimit-remaining"), "0");
        assert_eq!(header(&resp, "ratelimit-policy"), "100;w=300");
        let retry: u64 = header(&resp, "retry-after").parse().unwrap();
        assert!((1..=300).contains(&retry), "{retry}");
        let body = axum::body::to_bytes(resp.into_body(), 1 << 16)
            .await
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["error"], "RateLimitExceeded");

        let resp = post(
            router,
            "com.atproto.server.createAccount",
            "{}",
            "203.0.113.2:5",
        )
        .await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
        assert_eq!(header(&resp, "ratelimit-remaining"), "99");
    }

    #[tokio::test]
    async fn create_session_is_limited_per_identifier_and_the_setting_turns_limits_off() {
        let pds = TestPds::new().await;
        let router = crate::xrpc::router(pds.service.clone());
        let login = |id: &str| format!(r#"{{"identifier": "{id}", "password": "wrong"}}"#);
        for _ in 0..30 {
            let resp = post(
                router.clone(),
                "com.atproto.server.createSession",
                &login("alice.test"),
                "203.0.113.1:5",
            )
            .await;
            assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
        }
        let resp = post(
            router.clone(),
            "com.atproto.server.createSession",
            &login("Alice.test"),
            "203.0.113.1:5",
        )
        .await;
        assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(header(&resp, "ratelimit-policy"), "30;w=300");
        let resp = post(
            router,
            "com.atproto.server.createSession",
            &login("bob.test"),
            "203.0.113.1:5",
        )
        .await;
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(header(&resp, "ratelimit-remaining"), "29");

        let pds = TestPds::with(|a| a.rate_limits_enabled = Some(false)).await;
        let router = crate::xrpc::router(pds.service.clone());
        for _ in 0..31 {
            let resp = post(
                router.clone(),
                "com.atproto.server.createSession",
                &login("alice.test"),
                "203.0.113.1:5",
            )
            .await;
            assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
            assert!(resp.headers().get("ratelimit-limit").is_none());
        }
    }
}
