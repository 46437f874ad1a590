//! `com.atproto.sync.subscribeRepos`: the firehose over WebSocket.
//!
//! A cursor replays from the event log and hands over to live events with no gap and no
//! duplicate: the live channel is subscribed to before the log is read, and live events at or
//! below the last one sent are skipped. A consumer that falls behind the live channel catches
//! up from the log again; one further behind than `MAX_BEHIND` is disconnected with
//! `ConsumerTooSlow`. Writers never wait for consumers.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;

use crate::sequencer::{Event, Sequencer, frame};
use crate::service::Service;
use crate::xrpc::error::{XrpcQuery, XrpcResult};

/// Events read from the log per page while replaying.
const REPLAY_PAGE: usize = 500;
/// A consumer this many events behind the newest is dropped.
const MAX_BEHIND: i64 = 250_000;
/// How often an idle connection is pinged.
const KEEPALIVE: Duration = Duration::from_secs(30);

#[derive(Debug, Deserialize)]
pub struct Params {
    cursor: Option<i64>,
}

pub async fn subscribe_repos(
    State(service): State<Service>,
    XrpcQuery(params): XrpcQuery<Params>,
    ws: WebSocketUpgrade,
) -> XrpcResult<Response> {
    let sequencer = service.sequencer.clone();
    Ok(ws
        .max_message_size(64 * 1024)
        .on_upgrade(move |socket| async move {
            if let Err(e) = stream(socket, sequencer, params.cursor).await {
                tracing::debug!(error = %e, "firehose subscriber ended");
            }
        }))
}

async fn send(socket: &mut WebSocket, bytes: &[u8]) -> Result<(), axum::Error> {
    socket
        .send(Message::Binary(bytes::Bytes::copy_from_slice(bytes)))
        .await
}

async fn send_event(socket: &mut WebSocket, e: &Event) -> Result<(), axum::Error> {
    socket.send(Message::Binary(e.frame.clone())).await
}

async fn close_with_error(mut socket: WebSocket, error: &str, message: &str) {
    let _ = send(&mut socket, &frame::error_frame(error, Some(message))).await;
    let _ = socket
        .send(Message::Close(Some(CloseFrame {
            code: 1008,
            reason: error.into(),
        })))
        .await;
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
        )
        .await?
    {
        close_with_error(socket, "ConsumerTooSlow", "Stream consumer too slow").await;
        return Ok(());
    }

    let mut keepalive = tokio::time::interval(KEEPALIVE);
    keepalive.tick().await;
    loop {
        tokio::select! {
            received = live.recv() => {
                let upto = match received {
                    Ok(e) if e.seq <= last_sent => continue,
                    Ok(e) if e.seq == last_sent + 1 => {
                        send_event(&mut socket, &e).await?;
                        last_sent = e.seq;
                        continue;
                    }
                    // A gap, or this consumer fell behind the live buffer: the log has
                    // everything that was published.
                    Ok(e) => e.seq,
                    Err(RecvError::Lagged(_)) => sequencer.last_seq(),
                    Err(RecvError::Closed) => return Ok(()),
                };
                if !catch_up(&mut socket, &sequencer, &mut last_sent, upto).await? {
                    close_with_error(socket, "ConsumerTooSlow", "Stream consumer too slow").await;
                    return Ok(());
                }
            }
            incoming = socket.recv() => match incoming {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return Ok(()),
                Some(Ok(_)) => {}
            },
            _ = keepalive.tick() => {
                socket.send(Message::Ping(bytes::Bytes::new())).await?;
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
) -> Result<bool, axum::Error> {
    while *last_sent < upto {
        if sequencer.last_seq() - *last_sent > MAX_BEHIND {
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
            send_event(socket, e).await?;
            *last_sent = e.seq;
        }
    }
    Ok(true)
}
