//! An HTTP/1.1 server loop with WebSocket upgrades and a header-read timeout.

use std::convert::Infallible;
use std::future::{Future, pending};
use std::net::SocketAddr;
use std::pin::pin;
use std::time::Duration;

use http::{Extensions, Request, Response};
use hyper::body::{Body, Incoming};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tower_service::Service;

/// How long a client may take to send a request's headers (5 s, as actix-web's
/// default `client_request_timeout`) before its connection is closed.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(5);

/// Marks, in a request's extensions, a request that came over TLS; the
/// adapters then list `wss` endpoints in the spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OverTls;

/// Serves a tower service (an axum `Router`, a warp filter turned into a
/// service) on a listener, over HTTP/1.1 with upgrades, closing connections
/// whose request headers do not arrive within the header-read timeout.
#[derive(Debug)]
#[must_use = "a server does nothing until it is run"]
pub struct Server<S> {
    listener: TcpListener,
    service: S,
    mark_peer: fn(&mut Extensions, SocketAddr),
    header_read_timeout: Duration,
    #[cfg(feature = "tls")]
    tls: Option<std::sync::Arc<tokio_rustls::rustls::ServerConfig>>,
}

impl<S, B> Server<S>
where
    S: Service<Request<Incoming>, Response = Response<B>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    /// A server for `service` on `listener`; `mark_peer` records the peer's
    /// address in each request's extensions, where the framework looks for it.
    pub fn new(
        listener: TcpListener,
        service: S,
        mark_peer: fn(&mut Extensions, SocketAddr),
    ) -> Self {
        Self {
            listener,
            service,
            mark_peer,
            header_read_timeout: HEADER_READ_TIMEOUT,
            #[cfg(feature = "tls")]
            tls: None,
        }
    }

    /// Serves HTTPS and `wss://` with rustls, using `config` (its ALPN list
    /// should offer `http/1.1` or nothing). The TLS handshake must finish
    /// within the header-read timeout too. Requests carry [`OverTls`].
    #[cfg(feature = "tls")]
    pub fn tls(mut self, config: std::sync::Arc<tokio_rustls::rustls::ServerConfig>) -> Self {
        self.tls = Some(config);
        self
    }

    /// Sets how long a client may take to send a request's headers
    /// (default [`HEADER_READ_TIMEOUT`]).
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout;
        self
    }

    /// Serves until the task is dropped.
    pub async fn run(self) {
        self.with_graceful_shutdown(pending()).await;
    }

    /// Serves until `signal` completes, then stops accepting, lets requests in
    /// flight finish and returns once every HTTP connection has closed
    /// (upgraded WebSocket connections live on, in their own tasks).
    pub async fn with_graceful_shutdown(self, signal: impl Future<Output = ()>) {
        let (stop, stopping) = watch::channel(());
        let mut signal = pin!(signal);
        loop {
            let (stream, peer) = tokio::select! {
                accepted = self.listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        accept_failed(error).await;
                        continue;
                    }
                },
                () = &mut signal => break,
            };
            tokio::spawn(self.connection(stream, peer, stopping.clone()));
        }
        drop(self.listener);
        drop(stopping);
        let _ = stop.send(());
        stop.closed().await;
    }

    /// Serves one HTTP connection until it ends (after its TLS handshake,
    /// when serving TLS), shutting it down gracefully once `stopping` changes
    /// (or its sender is gone).
    fn connection(
        &self,
        stream: TcpStream,
        peer: SocketAddr,
        stopping: watch::Receiver<()>,
    ) -> impl Future<Output = ()> + Send + 'static {
        let service = TowerToHyperService::new(self.service.clone());
        let mark_peer = self.mark_peer;
        let header_read_timeout = self.header_read_timeout;
        #[cfg(feature = "tls")]
        let tls = self.tls.clone();
        async move {
            #[cfg(feature = "tls")]
            if let Some(config) = tls {
                let acceptor = tokio_rustls::TlsAcceptor::from(config);
                let handshake = tokio::time::timeout(header_read_timeout, acceptor.accept(stream));
                match handshake.await {
                    Ok(Ok(stream)) => {
                        let mark = move |extensions: &mut Extensions, peer| {
                            mark_peer(extensions, peer);
                            extensions.insert(OverTls);
                        };
                        Self::serve_http(
                            stream,
                            peer,
                            service,
                            mark,
                            header_read_timeout,
                            stopping,
                        )
                        .await;
                    }
                    Ok(Err(error)) => tracing::debug!(%error, %peer, "TLS handshake failed"),
                    Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                }
                return;
            }
            Self::serve_http(
                stream,
                peer,
                service,
                mark_peer,
                header_read_timeout,
                stopping,
            )
            .await;
        }
    }

    /// Serves HTTP/1.1 with upgrades on `io` until the connection ends,
    /// shutting it down gracefully once `stopping` changes.
    async fn serve_http(
        io: impl AsyncRead + AsyncWrite + Unpin + Send + 'static,
        peer: SocketAddr,
        service: TowerToHyperService<S>,
        mark_peer: impl Fn(&mut Extensions, SocketAddr) + Send + Sync + 'static,
        header_read_timeout: Duration,
        mut stopping: watch::Receiver<()>,
    ) {
        let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
            mark_peer(request.extensions_mut(), peer);
            hyper::service::Service::call(&service, request)
        });
        let connection = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(header_read_timeout)
            .serve_connection(TokioIo::new(io), service)
            .with_upgrades();
        let mut connection = pin!(connection);
        tokio::select! {
            result = connection.as_mut() => return log_end(result),
            _ = stopping.changed() => connection.as_mut().graceful_shutdown(),
        }
        log_end(connection.await);
    }
}

fn log_end(result: Result<(), hyper::Error>) {
    if let Err(error) = result {
        tracing::debug!(%error, "HTTP connection ended with an error");
    }
}

/// A failed `accept`: a connection that went away is skipped; anything else
/// (such as running out of file descriptors) is logged and waited out.
async fn accept_failed(error: std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        error.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    tracing::error!(%error, "accepting a connection failed; retrying in 1 s");
    tokio::time::sleep(Duration::from_secs(1)).await;
}
