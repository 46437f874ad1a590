//! `com.atproto.sync.subscribeRepos`: the firehose over WebSocket.
//!
//! A cursor replays from the event log and hands over to live events with no gap and no
//! duplicate: the live channel is subscribed to before the log is read, and live events at or
//! below the last one sent are skipped. A consumer that falls behind the live channel catches
//! up from the log again; one further behind than `PDS_FIREHOSE_MAX_BEHIND` events (also while
//! a send waits on a consumer that stopped reading) is disconnected with `ConsumerTooSlow`.
//! Writers never wait for consumers.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;

use crate::sequencer::{Event, Sequencer, frame};
use crate::service::{Service, ServiceError};
use crate::xrpc::error::{XrpcQuery, XrpcResult};

/// Events read from the log per page while replaying.
const REPLAY_PAGE: usize = 500;
/// How often a send that waits on the consumer checks how far behind the consumer is.
const SLOW_CHECK: Duration = Duration::from_millis(100);
/// How long the `ConsumerTooSlow` error frame may wait for a consumer that stopped reading
/// before the connection is dropped without it.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Deserialize)]
pub struct Params {
    cursor: Option<i64>,
}

pub async fn subscribe_repos(
    State(service): State<Service>,
    XrpcQuery(params): XrpcQuery<Params>,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> XrpcResult<Response> {
    let ws = ws.map_err(|r| {
        ServiceError::invalid(format!(
            "subscribeRepos is a WebSocket subscription: {}",
            r.body_text()
        ))
    })?;
    let limits = Limits {
        max_behind: service.config.firehose_max_behind,
        keepalive: service.config.firehose_keepalive,
    };
    let sequencer = service.sequencer.clone();
    Ok(ws
        .max_message_size(64 * 1024)
        .on_upgrade(move |socket| async move {
            if let Err(e) = stream(socket, sequencer, params.cursor, limits).await {
                tracing::debug!(error = %e, "firehose subscriber ended");
            }
        }))
}

/// Per-connection settings from the configuration.
#[derive(Clone, Copy)]
struct Limits {
    /// A consumer this many events behind the newest is dropped.
    max_behind: i64,
    /// How often an idle connection is pinged.
    keepalive: Duration,
}

/// Sends one message, or gives up (`Ok(false)`) once the consumer is more than `max_behind`
/// events behind the newest while the send waits. A consumer that stops reading fills its
/// socket buffers and the send blocks; without this check it would hold its connection (and
/// fall ever further behind) forever instead of being told it is too slow.
async fn send_watched(
    socket: &mut WebSocket,
    message: Message,
    sequencer: &Sequencer,
    last_sent: i64,
    max_behind: i64,
) -> Result<bool, axum::Error> {
    let send = socket.send(message);
    tokio::pin!(send);
    loop {
        tokio::select! {
            // A send that completes at once never arms the timer.
            biased;
            sent = &mut send => return sent.map(|()| true),
            _ = tokio::time::sleep(SLOW_CHECK) => {
                if sequencer.last_seq() - last_sent > max_behind {
                    return Ok(false);
                }
            }
        }
    }
}

async fn send(socket: &mut WebSocket, bytes: &[u8]) -> Result<(), axum::Error> {
    socket
        .send(Message::Binary(bytes::Bytes::copy_from_slice(bytes)))
        .await
}

/// Sends the error frame and closes; a consumer that does not read them within
/// `CLOSE_TIMEOUT` is dropped without.
async fn close_with_error(mut socket: WebSocket, error: &str, message: &str) {
    let close = async {
        send(&mut socket, &frame::error_frame(error, Some(message))).await?;
        socket
            .send(Message::Close(Some(CloseFrame {
                code: 1008,
                reason: error.into(),
            })))
            .await
    };
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, close).await;
}

async fn too_slow(socket: WebSocket, last_sent: i64) {
    tracing::info!(last_sent, "firehose consumer too slow, disconnecting");
    close_with_error(socket, "ConsumerTooSlow", "Stream consumer too slow").await;
}

async fn read_log(
    sequencer: &Arc<Sequencer>,
    after: i64,
) -> Result<Vec<Arc<Event>>, crate::store::StoreError> {
    let s = sequencer.clone();
    tokio::task::spawn_blocking(move || s.events_after(after, REPLAY_PAGE))
        .await
        .map_err(|e| crate::store::StoreError::Io(std::io::Error::other(e)))?
}

async fn stream(
    mut socket: WebSocket,
    sequencer: Arc<Sequencer>,
    cursor: Option<i64>,
    limits: Limits,
) -> Result<(), axum::Error> {
    // Subscribe first, so nothing appended while the log is read can be missed.
    let mut live = sequencer.subscribe();
    let newest = sequencer.last_seq();
    let mut last_sent = match cursor {
        None => newest,
        Some(c) if c > newest => {
            close_with_error(socket, "FutureCursor", "Cursor in the future.").await;
            return Ok(());
        }
        Some(c) => {
            let s = sequencer.clone();
            let first = tokio::task::spawn_blocking(move || s.first_seq())
                .await
                .ok()
                .and_then(Result::ok)
                .flatten();
            if let Some(first) = first
                && c + 1 < first
            {
                let mut info = atproto::cbor::Map::new();
                info.insert(
                    "name".into(),
                    atproto::Value::String("OutdatedCursor".into()),
                );
                info.insert(
                    "message".into(),
                    atproto::Value::String(
                        "Requested cursor exceeded limit. Possibly missing events".into(),
                    ),
                );
                send(
                    &mut socket,
                    &frame::message_frame("#info", &atproto::Value::Map(info)),
                )
                .await?;
            }
            c.max(0)
        }
    };

    if cursor.is_some()
        && !catch_up(
            &mut socket,
            &sequencer,
            &mut last_sent,
            sequencer.last_seq(),
            limits.max_behind,
        )
        .await?
    {
        too_slow(socket, last_sent).await;
        return Ok(());
    }

    let mut keepalive = tokio::time::interval(limits.keepalive);
    keepalive.tick().await;
    loop {
        tokio::select! {
            received = live.recv() => {
                let upto = match received {
                    Ok(e) if e.seq <= last_sent => continue,
                    Ok(e) if e.seq == last_sent + 1 => {
                        let message = Message::Binary(e.frame.clone());
                        if !send_watched(&mut socket, message, &sequencer, last_sent, limits.max_behind).await? {
                            too_slow(socket, last_sent).await;
                            return Ok(());
                        }
                        last_sent = e.seq;
                        continue;
                    }
                    // A gap, or this consumer fell behind the live buffer: the log has
                    // everything that was published.
                    Ok(e) => e.seq,
                    Err(RecvError::Lagged(_)) => sequencer.last_seq(),
                    Err(RecvError::Closed) => return Ok(()),
                };
                if !catch_up(&mut socket, &sequencer, &mut last_sent, upto, limits.max_behind).await? {
                    too_slow(socket, last_sent).await;
                    return Ok(());
                }
            }
            incoming = socket.recv() => match incoming {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return Ok(()),
                Some(Ok(_)) => {}
            },
            _ = keepalive.tick() => {
                let ping = Message::Ping(bytes::Bytes::new());
                if !send_watched(&mut socket, ping, &sequencer, last_sent, limits.max_behind).await? {
                    too_slow(socket, last_sent).await;
                    return Ok(());
                }
            }
        }
    }
}

/// Sends every logged event after `last_sent` up to and including `upto`. Returns false when
/// the consumer is too far behind to be served.
async fn catch_up(
    socket: &mut WebSocket,
    sequencer: &Arc<Sequencer>,
    last_sent: &mut i64,
    upto: i64,
    max_behind: i64,
) -> Result<bool, axum::Error> {
    while *last_sent < upto {
        if sequencer.last_seq() - *last_sent > max_behind {
            return Ok(false);
        }
        let page = read_log(sequencer, *last_sent)
            .await
            .map_err(axum::Error::new)?;
        if page.is_empty() {
            break;
        }
        for e in &page {
            if e.seq > upto {
                return Ok(true);
            }
            let message = Message::Binary(e.frame.clone());
            if !send_watched(socket, message, sequencer, *last_sent, max_behind).await? {
                return Ok(false);
            }
            *last_sent = e.seq;
        }
    }
    Ok(true)
}
