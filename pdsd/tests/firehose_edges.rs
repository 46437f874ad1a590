//! The edges of `com.atproto.sync.subscribeRepos` and the event log, against the real pdsd
//! binary: consumers too slow to keep up, malformed cursors and handshakes, keepalive pings,
//! trimming the log to the backfill window, and notifying relays (`PDS_CRAWLERS`).

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use atproto::cbor::{Map, Value};
use common::{Firehose, Pdsd, Xrpc, next_frame, subscribe_repos};
use futures_util::StreamExt;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

const WAIT: Duration = Duration::from_secs(10);

async fn start(extra: &[&str]) -> (tempfile::TempDir, Pdsd, Xrpc) {
    let dir = tempfile::tempdir().unwrap();
    let mut flags = vec!["--invite-required", "false"];
    flags.extend_from_slice(extra);
    let pds = Pdsd::start(dir.path(), &flags);
    let c = Xrpc::new(&pds);
    (dir, pds, c)
}

/// A frame as (`op`, `t`, body).
#[derive(Debug, Clone)]
struct Frame {
    op: i64,
    t: Option<String>,
    body: Map,
}

impl Frame {
    fn seq(&self) -> i64 {
        self.body["seq"].as_integer().expect("seq is an integer")
    }

    fn str(&self, field: &str) -> Option<&str> {
        self.body.get(field).and_then(Value::as_str)
    }
}

/// The next frame, or `None` when the stream ends or nothing arrives within `timeout`.
async fn next(ws: &mut Firehose, timeout: Duration) -> Option<Frame> {
    let (header, body) = next_frame(ws, timeout).await?;
    let header = header.as_map().unwrap();
    Some(Frame {
        op: header["op"].as_integer().unwrap(),
        t: header.get("t").and_then(Value::as_str).map(str::to_string),
        body: body.as_map().unwrap().clone(),
    })
}

#[track_caller]
fn assert_consecutive(frames: &[Frame]) {
    for pair in frames.windows(2) {
        assert_eq!(
            pair[1].seq(),
            pair[0].seq() + 1,
            "sequence numbers have a gap or a duplicate"
        );
    }
}

/// Reads message frames until a `#commit` with `rev`; returns them all.
async fn read_until_rev(ws: &mut Firehose, rev: &str) -> Vec<Frame> {
    let mut out = Vec::new();
    loop {
        let f = next(ws, WAIT).await.expect("a frame arrives");
        assert_eq!(f.op, 1, "error frame: {f:?}");
        let done = f.t.as_deref() == Some("#commit") && f.str("rev") == Some(rev);
        out.push(f);
        if done {
            return out;
        }
    }
}

/// One raw HTTP/1.1 exchange: sends `request` as is and reads the response (headers and a
/// `Content-Length` body); the status and body.
async fn raw_http(addr: &str, request: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(request.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let text = String::from_utf8_lossy(&buf).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let len = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if body.len() >= len {
                let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
                return (status, body[..len].to_string());
            }
        }
        let mut chunk = [0u8; 4096];
        let n = tokio::time::timeout_at(deadline, s.read(&mut chunk))
            .await
            .expect("a response arrives")
            .unwrap();
        assert!(
            n > 0,
            "the connection closed before a full response: {text}"
        );
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// A firehose connection whose socket has a tiny receive buffer, so a consumer that stops
/// reading soon blocks the server's sends.
async fn subscribe_with_small_buffer(addr: &str) -> Firehose {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(addr.parse().unwrap()).await.unwrap();
    let url = format!("ws://{addr}/xrpc/com.atproto.sync.subscribeRepos");
    let (ws, _) =
        tokio_tungstenite::client_async(url, tokio_tungstenite::MaybeTlsStream::Plain(stream))
            .await
            .expect("the firehose accepts the connection");
    ws
}

#[tokio::test]
async fn a_consumer_that_stops_reading_is_dropped_with_consumer_too_slow_while_writers_and_others_go_on()
 {
    let (_dir, pds, c) = start(&["--firehose-max-behind", "10"]).await;
    let alice = c.create_account("alice").await;
    let mut healthy = subscribe_repos(&pds.addr, None).await;
    let mut slow = subscribe_with_small_buffer(&pds.addr).await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    // Enough bytes to fill the slow consumer's socket buffers (a few MB on loopback) several
    // times over, then many more events than the limit.
    let healthy_reader = tokio::spawn(async move {
        let mut frames: Vec<Frame> = Vec::new();
        let mut commits = 0;
        while commits < 80 {
            let f = next(&mut healthy, WAIT)
                .await
                .expect("the healthy consumer is served");
            commits += usize::from(f.t.as_deref() == Some("#commit"));
            frames.push(f);
        }
        frames
    });
    let big = "x".repeat(200 * 1024);
    let started = Instant::now();
    let mut slowest = Duration::ZERO;
    let mut last_rev = String::new();
    for i in 0..80 {
        let t = Instant::now();
        let out = c
            .create_record(
                &alice,
                "com.example.big",
                None,
                json!({"$type": "com.example.big", "i": i, "data": big}),
            )
            .await;
        slowest = slowest.max(t.elapsed());
        last_rev = out["commit"]["rev"].as_str().unwrap().to_string();
    }
    // Writers never wait for consumers: a blocked one would hold them forever.
    assert!(
        slowest < Duration::from_secs(10),
        "a write took {slowest:?} (all took {:?})",
        started.elapsed()
    );

    // The slow consumer reads again: what was buffered, then the error frame, then the end.
    let mut events = Vec::new();
    let error = loop {
        let f = next(&mut slow, Duration::from_secs(30))
            .await
            .expect("the slow consumer gets an error frame before the stream ends");
        if f.op == -1 {
            break f;
        }
        events.push(f);
    };
    assert_eq!(error.t, None);
    assert_eq!(error.str("error"), Some("ConsumerTooSlow"));
    assert!(error.str("message").is_some());
    assert!(next(&mut slow, WAIT).await.is_none(), "the stream ends");
    assert_consecutive(&events);
    assert!(
        events
            .iter()
            .all(|e| e.str("rev") != Some(last_rev.as_str())),
        "the slow consumer was dropped before the last write"
    );

    // The healthy consumer got every event, in order.
    let frames = healthy_reader.await.unwrap();
    assert!(frames.iter().all(|f| f.op == 1));
    assert_consecutive(&frames);
    let commits: Vec<&Frame> = frames
        .iter()
        .filter(|f| f.t.as_deref() == Some("#commit"))
        .collect();
    assert_eq!(commits.len(), 80);
    assert_eq!(commits.last().unwrap().str("rev"), Some(last_rev.as_str()));
}

#[tokio::test]
async fn a_malformed_cursor_is_invalid_request() {
    let (_dir, pds, c) = start(&[]).await;
    // Over the WebSocket handshake.
    let url = format!(
        "ws://{}/xrpc/com.atproto.sync.subscribeRepos?cursor=abc",
        pds.addr
    );
    match tokio_tungstenite::connect_async(url).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
            assert_eq!(resp.status().as_u16(), 400);
            let body: serde_json::Value =
                serde_json::from_slice(resp.body().as_deref().unwrap_or_default()).unwrap();
            assert_eq!(body["error"], "InvalidRequest", "{body}");
        }
        other => panic!("the handshake must fail with 400: {other:?}"),
    }
    // And as a plain request.
    let (status, body) = c
        .get("com.atproto.sync.subscribeRepos", &[("cursor", "abc")])
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "InvalidRequest");
}

#[tokio::test]
async fn a_broken_websocket_handshake_gets_a_clear_error_and_the_server_carries_on() {
    let (_dir, pds, c) = start(&[]).await;
    let path = "/xrpc/com.atproto.sync.subscribeRepos";
    let host = &pds.addr;

    let (status, body) = raw_http(
        host,
        &format!(
            "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
             Sec-WebSocket-Version: 13\r\n\r\n"
        ),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["error"], "InvalidRequest");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("Sec-WebSocket-Key"),
        "{body}"
    );

    let (status, body) = raw_http(
        host,
        &format!(
            "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\
             Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
        ),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["error"], "InvalidRequest");
    assert!(
        body["message"].as_str().unwrap().contains("websocket"),
        "{body}"
    );

    // A plain request, with no upgrade at all.
    let (status, body) = c.get("com.atproto.sync.subscribeRepos", &[]).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "InvalidRequest");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("WebSocket subscription"),
        "{body}"
    );

    // Half a request, then the client goes away; and one that stalls mid-headers.
    {
        use tokio::io::AsyncWriteExt;
        let mut s = tokio::net::TcpStream::connect(host).await.unwrap();
        s.write_all(format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgr").as_bytes())
            .await
            .unwrap();
        drop(s);
    }
    let mut stalled = tokio::net::TcpStream::connect(host).await.unwrap();
    {
        use tokio::io::AsyncWriteExt;
        stalled
            .write_all(format!("GET {path} HTTP/1.1\r\nHost: {host}\r\n").as_bytes())
            .await
            .unwrap();
    }

    // The server still answers, and a proper subscription still works.
    let (status, _) = c.get("_health", &[]).await;
    assert_eq!(status, 200);
    let mut ws = subscribe_repos(&pds.addr, None).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let alice = c.create_account("alice").await;
    let f = next(&mut ws, WAIT).await.expect("an event arrives");
    assert_eq!(f.op, 1);
    assert_eq!(f.str("did"), Some(alice.did.as_str()));
    drop(stalled);
}

#[tokio::test]
async fn an_idle_connection_is_pinged() {
    let (_dir, pds, _c) = start(&["--firehose-keepalive-ms", "200"]).await;
    let mut ws = subscribe_repos(&pds.addr, None).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    let mut pings = 0;
    while pings < 2 {
        let msg = tokio::time::timeout_at(deadline, ws.next())
            .await
            .expect("pings arrive on an idle connection")
            .expect("the stream stays open")
            .unwrap();
        match msg {
            Message::Ping(_) => pings += 1,
            other => panic!("only pings on an idle connection: {other:?}"),
        }
    }
}

#[tokio::test]
async fn old_events_are_trimmed_and_an_older_cursor_gets_outdated_cursor_then_every_retained_event()
{
    let window = Duration::from_millis(3000);
    let (_dir, pds, c) = start(&[
        "--repo-backfill-limit-ms",
        &window.as_millis().to_string(),
        "--sequencer-trim-interval-ms",
        "100",
    ])
    .await;
    let alice = c.create_account("alice").await;
    for i in 0..3 {
        c.create_record(&alice, "com.example.old", None, json!({"i": i}))
            .await;
    }
    // The account's creation (4 events) and 3 commits, then they age out of the window.
    let old_last = 7;
    tokio::time::sleep(window + Duration::from_millis(300)).await;

    let mut new_revs = Vec::new();
    for i in 0..3 {
        let out = c
            .create_record(&alice, "com.example.new", None, json!({"i": i}))
            .await;
        new_revs.push(out["commit"]["rev"].as_str().unwrap().to_string());
    }

    // The old events are gone (the newest at the time may stay until the next run).
    let mut ws = subscribe_repos(&pds.addr, Some(0)).await;
    let info = next(&mut ws, WAIT).await.expect("a frame arrives");
    assert_eq!(info.op, 1);
    assert_eq!(info.t.as_deref(), Some("#info"), "{info:?}");
    assert_eq!(info.str("name"), Some("OutdatedCursor"));
    let frames = read_until_rev(&mut ws, new_revs.last().unwrap()).await;
    assert_consecutive(&frames);
    assert!(frames[0].seq() >= old_last, "{:?}", frames[0]);
    let revs: Vec<&str> = frames
        .iter()
        .filter(|f| f.str("repo") == Some(alice.did.as_str()) && f.seq() > old_last)
        .filter_map(|f| f.str("rev"))
        .collect();
    assert_eq!(revs, new_revs);
    assert!(next(&mut ws, Duration::from_millis(300)).await.is_none());

    // A cursor inside the retained events replays from there, with no #info.
    let mut ws = subscribe_repos(&pds.addr, Some(old_last + 1)).await;
    let f = next(&mut ws, WAIT).await.expect("a frame arrives");
    assert_eq!((f.t.as_deref(), f.seq()), (Some("#commit"), old_last + 2));

    // The repository is whole and writes go on.
    c.create_record(&alice, "com.example.new", None, json!({"i": 3}))
        .await;
    let key = c.signing_key(&alice.did).await;
    let (status, car) = c
        .get_bytes("com.atproto.sync.getRepo", &[("did", &alice.did)])
        .await;
    assert_eq!(status, 200);
    let (_, records) = common::verify_repo_car(&car, &alice.did, &key);
    assert_eq!(records.len(), 7);
}

/// A relay on loopback that counts `requestCrawl` calls and answers with `status`.
struct FakeRelay {
    url: String,
    calls: Arc<AtomicUsize>,
    hostnames: Arc<Mutex<Vec<String>>>,
}

impl FakeRelay {
    async fn start(status: u16) -> FakeRelay {
        let calls = Arc::new(AtomicUsize::new(0));
        let hostnames = Arc::new(Mutex::new(Vec::new()));
        let (c, h) = (calls.clone(), hostnames.clone());
        let app = axum::Router::new().route(
            "/xrpc/com.atproto.sync.requestCrawl",
            axum::routing::post(
                move |axum::Json(body): axum::Json<serde_json::Value>| async move {
                    h.lock()
                        .unwrap()
                        .push(body["hostname"].as_str().unwrap_or_default().to_string());
                    c.fetch_add(1, Ordering::SeqCst);
                    axum::http::StatusCode::from_u16(status).unwrap()
                },
            ),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        FakeRelay {
            url,
            calls,
            hostnames,
        }
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    async fn wait_for_calls(&self, n: usize) {
        let deadline = Instant::now() + WAIT;
        while self.calls() < n {
            assert!(Instant::now() < deadline, "expected {n} requestCrawl calls");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

#[tokio::test]
async fn the_first_event_requests_a_crawl_and_writes_within_the_threshold_do_not() {
    let relay = FakeRelay::start(200).await;
    let (_dir, _pds, c) = start(&["--crawlers", &relay.url]).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(relay.calls(), 0, "no events yet, no crawl request");

    let alice = c.create_account("alice").await;
    relay.wait_for_calls(1).await;
    for i in 0..5 {
        c.create_record(&alice, "com.example.note", None, json!({"i": i}))
            .await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(relay.calls(), 1);
    assert_eq!(*relay.hostnames.lock().unwrap(), vec!["localhost"]);
}

#[tokio::test]
async fn an_event_after_the_threshold_requests_another_crawl() {
    let relay = FakeRelay::start(200).await;
    let (_dir, _pds, c) = start(&[
        "--crawlers",
        &relay.url,
        "--crawlers-notify-threshold-ms",
        "1000",
    ])
    .await;
    let alice = c.create_account("alice").await;
    relay.wait_for_calls(1).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(relay.calls(), 1, "no event, no crawl request");
    c.create_record(&alice, "com.example.note", None, json!({}))
        .await;
    relay.wait_for_calls(2).await;
}

#[tokio::test]
async fn a_failing_or_unreachable_relay_never_breaks_writes() {
    let failing = FakeRelay::start(500).await;
    // A port nothing listens on.
    let unreachable = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let crawlers = format!("{},{unreachable}", failing.url);
    let (_dir, _pds, c) = start(&["--crawlers", &crawlers]).await;
    let alice = c.create_account("alice").await;
    for i in 0..3 {
        c.create_record(&alice, "com.example.note", None, json!({"i": i}))
            .await;
    }
    failing.wait_for_calls(1).await;
    let (status, body) = c
        .get(
            "com.atproto.repo.listRecords",
            &[("repo", &alice.did), ("collection", "com.example.note")],
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["records"].as_array().unwrap().len(), 3);
}
