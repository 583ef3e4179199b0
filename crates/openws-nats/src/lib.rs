#![doc = include_str!("../README.md")]

use std::sync::{Arc, Mutex};
use std::time::Instant;

use async_nats::{Client, ConnectOptions, Event};
use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use futures_util::stream::{self, BoxStream};
use openws_core::hub::BackplaneError;
use openws_core::hub::cluster::{Bus, Cluster, ClusterConfig};

/// Connects to the NATS server at `url` (`nats://host:port`) and joins the
/// cluster of processes using the same [`ClusterConfig::prefix`] on it (a
/// prefix is one or more subject tokens: no spaces, `*` or `>`).
///
/// Fails when the server cannot be reached now; later outages are survived:
/// the client reconnects, subscribes again, and logs how long it was cut off.
pub async fn connect(url: &str, config: ClusterConfig) -> Result<Cluster, BackplaneError> {
    Cluster::start(NatsBus::connect(url).await?, config).await
}

/// NATS core publish/subscribe as a [`Bus`].
#[derive(Debug, Clone)]
pub struct NatsBus {
    client: Client,
}

impl NatsBus {
    /// Connects to the server at `url`.
    pub async fn connect(url: &str) -> Result<Self, BackplaneError> {
        let down_since = Arc::new(Mutex::new(None::<Instant>));
        let client = ConnectOptions::new()
            .name("openws backplane")
            .event_callback(move |event| {
                let down_since = Arc::clone(&down_since);
                async move { log_event(&event, &down_since) }
            })
            .connect(url)
            .await
            .map_err(failed)?;
        Ok(Self { client })
    }
}

impl Bus for NatsBus {
    fn publish(
        &self,
        channel: String,
        payload: Bytes,
    ) -> BoxFuture<'static, Result<(), BackplaneError>> {
        let client = self.client.clone();
        Box::pin(async move { client.publish(channel, payload).await.map_err(failed) })
    }

    fn subscribe(
        &self,
        channels: Vec<String>,
    ) -> BoxFuture<'static, Result<BoxStream<'static, Bytes>, BackplaneError>> {
        let client = self.client.clone();
        Box::pin(async move {
            let mut subscribers = Vec::with_capacity(channels.len());
            for channel in channels {
                subscribers.push(client.subscribe(channel).await.map_err(failed)?);
            }
            // The server has the subscriptions once it answered the flush.
            client.flush().await.map_err(failed)?;
            let payloads = stream::select_all(subscribers).map(|message| message.payload);
            Ok(Box::pin(payloads) as BoxStream<'static, Bytes>)
        })
    }
}

/// Logs losing the server, and the gap once it is back.
fn log_event(event: &Event, down_since: &Mutex<Option<Instant>>) {
    let mut down_since = down_since.lock().unwrap_or_else(|e| e.into_inner());
    match event {
        Event::Disconnected => {
            down_since.get_or_insert_with(Instant::now);
            tracing::warn!("nats backplane: connection lost, reconnecting");
        }
        Event::Connected => {
            if let Some(since) = down_since.take() {
                tracing::warn!(gap = ?since.elapsed(), "nats backplane: reconnected; messages in the gap were lost");
            }
        }
        Event::SlowConsumer(_) => {
            tracing::warn!("nats backplane: fell behind, messages from other nodes dropped");
        }
        other => tracing::info!(event = %other, "nats backplane"),
    }
}

fn failed(error: impl std::fmt::Display) -> BackplaneError {
    BackplaneError(format!("nats: {error}"))
}
