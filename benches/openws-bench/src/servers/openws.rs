//! openws-rs serving the chat: `/chat` is the seed's chat bindings as the
//! examples serve them; `/bench` is the same network and rooms logic plus
//! `broadcast`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;

use openws::spec::MessageSpec;
use openws::{BindError, Bindings, ConnectionId, Ctx, HandlerError, Network, Peer, schema_for};

use super::{Broadcast, announce, listen, tokio_runtime};
use crate::Error;
use crate::chat::{self, Chat, RoomRequest, SendMessage};

/// The portal's bearer token on these servers (the scenarios use no portal).
const PORTAL_TOKEN: &str = "bench-portal-token";

/// The seed's chat: network, handlers, connect and close hooks.
pub(crate) fn chat_bindings() -> Bindings {
    chat::bindings(PORTAL_TOKEN).expect("the chat network binds")
}

/// The chat network with `broadcast` added to the server's messages.
fn bench_network() -> Network {
    let chat = chat::network(chat::Style::Trait);
    let mut spec = chat.spec().clone();
    let mut broadcast = MessageSpec::new(schema_for::<Broadcast>());
    broadcast.from = Some(vec!["client".to_owned()]);
    spec.roles
        .get_mut(chat.host_role())
        .expect("the host role is in the spec")
        .messages
        .insert("broadcast".to_owned(), broadcast);
    Network::from_spec(chat.name(), spec).expect("the chat network with `broadcast` is valid")
}

/// The chat's rooms, plus every user's peer handle for `broadcast`.
#[derive(Debug, Default)]
struct BenchChat {
    chat: Chat,
    users: Mutex<HashMap<String, Peer>>,
}

impl BenchChat {
    fn remember(&self, user_id: String, peer: &Peer) {
        self.users.lock().unwrap().insert(user_id, peer.clone());
    }

    fn forget(&self, connection: ConnectionId) {
        let mut users = self.users.lock().unwrap();
        users.retain(|_, peer| peer.connection_id() != connection);
    }

    /// Sends `receivedMessage` to every user but the sender, one peer at a
    /// time as the chat's rooms do.
    async fn broadcast(&self, message: Broadcast) -> Result<(), HandlerError> {
        let peers: Vec<Peer> = {
            let users = self.users.lock().unwrap();
            let others = users.iter().filter(|(user, _)| **user != message.user_id);
            others.map(|(_, peer)| peer.clone()).collect()
        };
        let received = message.received();
        for peer in peers {
            if let Err(error) = peer.send("receivedMessage", &received).await {
                tracing::debug!(?peer, %error, "user not reached");
            }
        }
        Ok(())
    }
}

/// `/bench`: the chat's rooms logic and `broadcast`; clients choose their
/// role in their first frame.
pub(crate) fn bench_bindings() -> Result<Bindings, BindError> {
    Bindings::builder(bench_network(), BenchChat::default())
        .on(
            "createRoom",
            |ctx: Ctx<BenchChat>, request: RoomRequest| async move {
                let user_id = request.user_id.clone();
                ctx.state().chat.create_room(ctx.peer(), request).await?;
                ctx.state().remember(user_id, ctx.peer());
                Ok::<_, HandlerError>(())
            },
        )?
        .on(
            "joinRoom",
            |ctx: Ctx<BenchChat>, request: RoomRequest| async move {
                let user_id = request.user_id.clone();
                ctx.state().chat.join_room(ctx.peer(), request).await?;
                ctx.state().remember(user_id, ctx.peer());
                Ok::<_, HandlerError>(())
            },
        )?
        .on(
            "sendMessage",
            |ctx: Ctx<BenchChat>, message: SendMessage| async move {
                ctx.state().chat.send_message(message).await
            },
        )?
        .on(
            "broadcast",
            |ctx: Ctx<BenchChat>, message: Broadcast| async move {
                ctx.state().broadcast(message).await
            },
        )?
        .allow_unhandled()
        .open_roles(["client"])
        .on_close(|ctx| async move { ctx.state().forget(ctx.connection_id()) })
        .build()
}

/// openws-rs on axum.
pub(crate) fn serve_axum(addr: SocketAddr) -> Result<(), Error> {
    use openws::axum::RouterExt;
    let networks = openws::Networks::new();
    let app = axum::Router::new()
        .openws("/chat", chat_bindings(), &networks)
        .openws("/bench", bench_bindings()?, &networks);
    tokio_runtime()?.block_on(async {
        let listener = listen(addr)?;
        announce(listener.local_addr()?);
        axum::serve(listener, app).await?;
        Ok(())
    })
}

/// openws-rs on actix-web (its own runtime, one worker per core).
pub(crate) fn serve_actix(addr: SocketAddr) -> Result<(), Error> {
    use actix_web::{App, HttpServer};
    let chat = chat_bindings();
    let bench = bench_bindings()?;
    let networks = openws::Networks::new();
    actix_web::rt::System::new().block_on(async move {
        let listener = listen(addr)?.into_std()?;
        announce(listener.local_addr()?);
        HttpServer::new(move || {
            App::new()
                .configure(openws::actix::network("/chat", chat.clone(), &networks))
                .configure(openws::actix::network("/bench", bench.clone(), &networks))
        })
        .listen(listener)?
        .run()
        .await?;
        Ok(())
    })
}

/// openws-rs on warp.
pub(crate) fn serve_warp(addr: SocketAddr) -> Result<(), Error> {
    use warp::Filter;
    let networks = openws::Networks::new();
    let routes = openws::warp::network("/chat", chat_bindings(), &networks).or(
        openws::warp::network("/bench", bench_bindings()?, &networks),
    );
    tokio_runtime()?.block_on(async {
        let listener = listen(addr)?;
        announce(listener.local_addr()?);
        warp::serve(routes).incoming(listener).run().await;
        Ok(())
    })
}
