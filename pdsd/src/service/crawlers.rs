//! Telling relays (`PDS_CRAWLERS`) that this PDS has new events, so they subscribe to its
//! firehose: `POST <crawler>/xrpc/com.atproto.sync.requestCrawl` with `{"hostname"}`.
//!
//! As in the reference PDS, a sequenced event triggers a notification at most once per
//! threshold (20 minutes): a relay that is already subscribed needs no reminder, and one that
//! dropped the subscription hears again at the next event after the threshold. Requests run
//! in the background; a failure is logged and never touches the write that triggered it.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokio::sync::broadcast::error::RecvError;

use super::{Service, ServiceError};

/// How long one requestCrawl may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The relays to notify and when they were last notified.
pub struct Crawlers {
    hostname: String,
    /// Base URLs, without a trailing `/`.
    urls: Vec<String>,
    threshold: Duration,
    last_notified: Mutex<Option<Instant>>,
    http: reqwest::Client,
}

impl Crawlers {
    pub fn new(
        hostname: &str,
        urls: &[String],
        threshold: Duration,
    ) -> Result<Crawlers, ServiceError> {
        crate::plc::install_crypto_provider();
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("pdsd/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(ServiceError::internal)?;
        Ok(Crawlers {
            hostname: hostname.to_string(),
            urls: urls
                .iter()
                .map(|u| u.trim_end_matches('/').to_string())
                .collect(),
            threshold,
            last_notified: Mutex::new(None),
            http,
        })
    }

    /// Asks every crawler to crawl this host, unless that was done less than the threshold
    /// ago. Returns at once (the requests run on the runtime); call within a tokio runtime.
    pub fn notify_of_update(&self) {
        {
            let mut last = self.last_notified.lock().unwrap_or_else(|e| e.into_inner());
            let now = Instant::now();
            if last.is_some_and(|t| now.duration_since(t) < self.threshold) {
                return;
            }
            *last = Some(now);
        }
        for url in &self.urls {
            let request = self
                .http
                .post(format!("{url}/xrpc/com.atproto.sync.requestCrawl"))
                .json(&serde_json::json!({ "hostname": self.hostname }));
            let crawler = url.clone();
            tokio::spawn(async move {
                match request.send().await {
                    Ok(resp) if resp.status().is_success() => {
                        tracing::debug!(crawler = %crawler, "requested a crawl");
                    }
                    Ok(resp) => {
                        let status = resp.status().as_u16();
                        let body = resp.text().await.unwrap_or_default();
                        let body: String = body.chars().take(200).collect();
                        tracing::warn!(crawler = %crawler, status, body = %body, "failed to request crawl");
                    }
                    Err(e) => {
                        tracing::warn!(crawler = %crawler, error = %e, "failed to request crawl");
                    }
                }
            });
        }
    }
}

/// Starts the task that notifies the configured crawlers after new events; nothing when none
/// is configured. It follows the sequencer's live channel, so every way an event is sequenced
/// (commits, identity and account events) counts, and it ends with the sequencer.
pub(super) fn spawn_notifier(service: &Service) -> Result<(), ServiceError> {
    let config = &service.config;
    if config.crawlers.is_empty() {
        return Ok(());
    }
    let crawlers = Crawlers::new(
        &config.hostname,
        &config.crawlers,
        config.crawlers_notify_threshold,
    )?;
    let mut events = service.sequencer.subscribe();
    tokio::spawn(async move {
        // Lagging only means there were many events: still an update. The channel closes
        // with the sequencer.
        while let Ok(_) | Err(RecvError::Lagged(_)) = events.recv().await {
            crawlers.notify_of_update();
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use axum::routing::post;

    use super::*;

    /// A relay on loopback that counts requestCrawl calls and records the hostnames.
    async fn fake_relay(status: u16) -> (String, Arc<AtomicUsize>, Arc<Mutex<Vec<String>>>) {
        let calls = Arc::new(AtomicUsize::new(0));
        let hosts = Arc::new(Mutex::new(Vec::new()));
        let (c, h) = (calls.clone(), hosts.clone());
        let app = axum::Router::new().route(
            "/xrpc/com.atproto.sync.requestCrawl",
            post(
                move |axum::Json(body): axum::Json<serde_json::Value>| async move {
                    h.lock()
                        .unwrap()
                        .push(body["hostname"].as_str().unwrap_or("").to_string());
                    c.fetch_add(1, Ordering::SeqCst);
                    axum::http::StatusCode::from_u16(status).unwrap()
                },
            ),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        (format!("http://{addr}/"), calls, hosts)
    }

    async fn wait_for(calls: &AtomicUsize, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while calls.load(Ordering::SeqCst) < n {
            assert!(Instant::now() < deadline, "expected {n} requestCrawl calls");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    #[tokio::test]
    async fn notifications_are_throttled_to_one_per_threshold_per_crawler() {
        let (a, a_calls, a_hosts) = fake_relay(200).await;
        let (b, b_calls, _) = fake_relay(500).await;
        let crawlers =
            Crawlers::new("pds.example.com", &[a, b], Duration::from_millis(300)).unwrap();
        crawlers.notify_of_update();
        crawlers.notify_of_update();
        crawlers.notify_of_update();
        wait_for(&a_calls, 1).await;
        wait_for(&b_calls, 1).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(a_calls.load(Ordering::SeqCst), 1);
        assert_eq!(b_calls.load(Ordering::SeqCst), 1);
        assert_eq!(*a_hosts.lock().unwrap(), vec!["pds.example.com"]);

        tokio::time::sleep(Duration::from_millis(300)).await;
        crawlers.notify_of_update();
        wait_for(&a_calls, 2).await;
        wait_for(&b_calls, 2).await;
    }
}
