#![doc = include_str!("../README.md")]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use fred::clients::SubscriberClient;
use fred::prelude::{
    Builder, Client, ClientLike, Config, Error, EventInterface, PubsubInterface, ReconnectPolicy,
    Server,
};
use futures_util::future::BoxFuture;
use futures_util::stream::{self, BoxStream};
use openws_core::hub::BackplaneError;
use openws_core::hub::cluster::{Bus, Cluster, ClusterConfig};
use tokio::sync::broadcast::error::RecvError;
use tokio::task::JoinHandle;

/// How many received messages may wait for the cluster's receiving task
/// before the oldest are dropped (and the loss logged).
const RECEIVE_BUFFER: usize = 1 << 16;

/// A publish or subscribe that the server has not answered by then fails
/// (frames for other nodes are lost, never replayed late).
const COMMAND_TIMEOUT: Duration = Duration::from_secs(2);

/// Connects to the Redis server at `url` (`redis://host:port`) and joins the
/// cluster of processes using the same [`ClusterConfig::prefix`] on it.
///
/// Fails when the server cannot be reached now; later outages are survived:
/// the client reconnects, subscribes again, and logs how long it was cut off.
pub async fn connect(url: &str, config: ClusterConfig) -> Result<Cluster, BackplaneError> {
    Cluster::start(RedisBus::connect(url).await?, config).await
}

/// Redis publish/subscribe as a [`Bus`]: one connection publishes, one subscribes.
#[derive(Debug)]
pub struct RedisBus {
    publisher: Client,
    subscriber: SubscriberClient,
    _watchers: Watchers,
}

impl RedisBus {
    /// Connects both clients to the server at `url`.
    pub async fn connect(url: &str) -> Result<Self, BackplaneError> {
        let config = Config::from_url(url).map_err(failed)?;
        let mut builder = Builder::from_config(config);
        builder
            .set_policy(ReconnectPolicy::new_exponential(0, 100, 2_000, 2))
            .with_performance_config(|performance| {
                performance.default_command_timeout = COMMAND_TIMEOUT;
                performance.broadcast_channel_capacity = RECEIVE_BUFFER;
            });
        let publisher = builder.build().map_err(failed)?;
        let subscriber = builder.build_subscriber_client().map_err(failed)?;
        publisher.init().await.map_err(failed)?;
        subscriber.init().await.map_err(failed)?;
        let watchers = Watchers(vec![
            subscriber.manage_subscriptions(),
            watch("subscriber", &subscriber),
            watch("publisher", &publisher),
        ]);
        Ok(Self {
            publisher,
            subscriber,
            _watchers: watchers,
        })
    }
}

impl Bus for RedisBus {
    fn publish(
        &self,
        channel: String,
        payload: Bytes,
    ) -> BoxFuture<'static, Result<(), BackplaneError>> {
        let publisher = self.publisher.clone();
        Box::pin(async move {
            publisher
                .publish::<(), _, _>(channel, payload)
                .await
                .map_err(failed)
        })
    }

    fn subscribe(
        &self,
        channels: Vec<String>,
    ) -> BoxFuture<'static, Result<BoxStream<'static, Bytes>, BackplaneError>> {
        let subscriber = self.subscriber.clone();
        Box::pin(async move {
            // Listen first, so nothing published right after the subscription is missed.
            let messages = subscriber.message_rx();
            subscriber.subscribe(channels).await.map_err(failed)?;
            let payloads = stream::unfold(messages, |mut messages| async move {
                loop {
                    match messages.recv().await {
                        Ok(message) => match message.value.into_bytes() {
                            Some(payload) => return Some((payload, messages)),
                            None => continue,
                        },
                        Err(RecvError::Lagged(lost)) => {
                            tracing::warn!(
                                lost,
                                "redis backplane: fell behind, messages from other nodes dropped"
                            );
                        }
                        Err(RecvError::Closed) => return None,
                    }
                }
            });
            Ok(Box::pin(payloads) as BoxStream<'static, Bytes>)
        })
    }
}

/// Logs when a client loses the server and how long it took to get it back.
fn watch(name: &'static str, client: &impl EventInterface) -> JoinHandle<()> {
    let down_since = Arc::new(Mutex::new(None::<Instant>));
    let lost = Arc::clone(&down_since);
    let mut errors = client.error_rx();
    let mut reconnects = client.reconnect_rx();
    tokio::spawn(async move {
        loop {
            tokio::select! {
                error = errors.recv() => match error {
                    Ok((error, server)) => connection_lost(name, &lost, &error, server.as_ref()),
                    Err(RecvError::Lagged(_)) => {}
                    Err(RecvError::Closed) => return,
                },
                server = reconnects.recv() => match server {
                    Ok(server) => reconnected(name, &down_since, &server),
                    Err(RecvError::Lagged(_)) => {}
                    Err(RecvError::Closed) => return,
                },
            }
        }
    })
}

fn connection_lost(
    name: &str,
    down_since: &Mutex<Option<Instant>>,
    error: &Error,
    server: Option<&Server>,
) {
    let mut down_since = down_since.lock().unwrap_or_else(|e| e.into_inner());
    if down_since.is_none() {
        *down_since = Some(Instant::now());
        let server = server.map(ToString::to_string).unwrap_or_default();
        tracing::warn!(client = name, %server, %error, "redis backplane: connection lost, reconnecting");
    }
}

fn reconnected(name: &str, down_since: &Mutex<Option<Instant>>, server: &Server) {
    let since = down_since.lock().unwrap_or_else(|e| e.into_inner()).take();
    if let Some(since) = since {
        tracing::warn!(client = name, %server, gap = ?since.elapsed(), "redis backplane: reconnected; messages in the gap were lost");
    }
}

/// Background tasks that stop with the bus.
#[derive(Debug)]
struct Watchers(Vec<JoinHandle<()>>);

impl Drop for Watchers {
    fn drop(&mut self) {
        self.0.iter().for_each(JoinHandle::abort);
    }
}

fn failed(error: Error) -> BackplaneError {
    BackplaneError(format!("redis: {error}"))
}
