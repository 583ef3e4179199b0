//! openws-rs serving the chat: `/chat` is the seed's chat bindings as the
//! examples serve them; `/bench` is the same network and rooms logic plus
//! `broadcast`.

use std::net::SocketAddr;

use openws::hub::cluster::Cluster;
use openws::spec::MessageSpec;
use openws::{BindError, Bindings, BindingsBuilder, Ctx, HandlerError, Network, schema_for};

use super::{Backplane, Broadcast, SessionOverrides, announce, listen, tokio_runtime};
use crate::Error;
use crate::chat::{self, Chat, JoinedRoom, RoomRequest, SendMessage};

/// The portal's bearer token on these servers (the soak asks who is in a room).
pub(crate) const PORTAL_TOKEN: &str = "bench-portal-token";

/// The seed's chat: network, handlers, connect and close hooks.
pub(crate) fn chat_bindings() -> Bindings {
    chat_bindings_with(&SessionOverrides::default())
}

/// The seed's chat with `overrides` of the session limits: the `/chat` route.
pub(crate) fn chat_bindings_with(overrides: &SessionOverrides) -> Bindings {
    overrides
        .apply(chat_builder())
        .build()
        .expect("the chat network binds")
}

fn chat_builder() -> BindingsBuilder<Chat> {
    chat::builder(chat::Style::Trait, PORTAL_TOKEN).expect("the chat network binds")
}

/// The network `/bench` serves: the chat's, with `broadcast` added.
const BENCH_NETWORK: &str = "chat";
/// The network `/scale` serves: the same messages under another name, so that
/// it can share a backplane with `/chat` (a cluster tells networks apart by name).
const SCALE_NETWORK: &str = "chat-scale";

/// The chat network named `name`, with `broadcast` added to the server's messages.
fn bench_network(name: &str) -> Network {
    let chat = chat::network(chat::Style::Trait);
    let mut spec = chat.spec().clone();
    let mut broadcast = MessageSpec::new(schema_for::<Broadcast>());
    broadcast.from = Some(vec!["client".to_owned()]);
    spec.roles
        .get_mut(chat.host_role())
        .expect("the host role is in the spec")
        .messages
        .insert("broadcast".to_owned(), broadcast);
    Network::from_spec(name, spec).expect("the chat network with `broadcast` is valid")
}

/// `/bench`: the chat's rooms logic and `broadcast` (to every other
/// connection, through the hub); clients choose their role in their first frame.
pub(crate) fn bench_bindings() -> Result<Bindings, BindError> {
    Bindings::builder(bench_network(BENCH_NETWORK), Chat::default())
        .on(
            "createRoom",
            |ctx: Ctx<Chat>, request: RoomRequest| async move {
                ctx.state().create_room(ctx.peer(), request).await
            },
        )?
        .on(
            "joinRoom",
            |ctx: Ctx<Chat>, request: RoomRequest| async move {
                ctx.state().join_room(ctx.peer(), request).await
            },
        )?
        .on(
            "sendMessage",
            |ctx: Ctx<Chat>, message: SendMessage| async move {
                ctx.state().send_message(ctx.peer(), message).await
            },
        )?
        .on("broadcast", broadcast_to_others::<Chat>)?
        .allow_unhandled()
        .open_roles(["client"])
        .build()
}

/// `broadcast`: `receivedMessage` to every connection of the network but the
/// sender's, on every node of the backplane.
async fn broadcast_to_others<S: Send + Sync + 'static>(
    ctx: Ctx<S>,
    message: Broadcast,
) -> Result<(), HandlerError> {
    ctx.hub()
        .all()
        .except(ctx.connection_id())
        .send("receivedMessage", &message.received())
        .await?;
    Ok(())
}

/// `/scale`, the 100,000-session scenario's route: every connection holds
/// role `client` from the upgrade on and, once it is in the hub, is greeted
/// with `joinedRoom` for room `*` (so a client that has its greeting is
/// reached by every later broadcast); `broadcast` reaches every other
/// connection, through `backplane` on every node.
fn scale_bindings(backplane: Option<Cluster>) -> Result<Bindings, BindError> {
    let builder = Bindings::builder(bench_network(SCALE_NETWORK), ())
        .on("broadcast", broadcast_to_others::<()>)?
        .on_open(|ctx: Ctx<()>| async move {
            let greeting = JoinedRoom {
                room_id: "*".to_owned(),
                joiner_id: ctx.connection_id().to_string(),
            };
            if let Err(error) = ctx.peer().send("joinedRoom", &greeting).await {
                tracing::debug!(%error, "a scale client missed its greeting");
            }
        })
        .allow_unhandled()
        .fixed_role("client");
    match backplane {
        Some(cluster) => builder.backplane(cluster),
        None => builder,
    }
    .build()
}

/// openws-rs on axum, `/chat` and `/scale` joined to other nodes through `backplane`.
pub(crate) fn serve_axum(
    addr: SocketAddr,
    backplane: Backplane,
    prefix: &str,
    overrides: &SessionOverrides,
) -> Result<(), Error> {
    use openws::axum::RouterExt;
    tokio_runtime()?.block_on(async {
        let cluster = backplane.join(prefix).await?;
        let chat = match &cluster {
            Some(cluster) => overrides
                .apply(chat_builder())
                .backplane(cluster.clone())
                .build()?,
            None => chat_bindings_with(overrides),
        };
        let networks = openws::Networks::new();
        let app = axum::Router::new()
            .openws("/chat", chat, &networks)
            .openws("/bench", bench_bindings()?, &networks)
            .openws("/scale", scale_bindings(cluster)?, &networks);
        let listener = listen(addr)?;
        announce(listener.local_addr()?);
        axum::serve(listener, app).await?;
        Ok(())
    })
}

/// openws-rs on actix-web (its own runtime, one worker per core).
pub(crate) fn serve_actix(addr: SocketAddr, overrides: &SessionOverrides) -> Result<(), Error> {
    use actix_web::{App, HttpServer};
    let chat = chat_bindings_with(overrides);
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
pub(crate) fn serve_warp(addr: SocketAddr, overrides: &SessionOverrides) -> Result<(), Error> {
    use warp::Filter;
    let networks = openws::Networks::new();
    let chat = chat_bindings_with(overrides);
    let routes = openws::warp::network("/chat", chat, &networks).or(openws::warp::network(
        "/bench",
        bench_bindings()?,
        &networks,
    ));
    tokio_runtime()?.block_on(async {
        let listener = listen(addr)?;
        announce(listener.local_addr()?);
        warp::serve(routes).incoming(listener).run().await;
        Ok(())
    })
}
