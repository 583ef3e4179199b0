//! The keepalive's bound, on tokio's paused clock: a peer that answers pings
//! and then goes silent is dropped no sooner than `max_missed_pings` intervals
//! and no later than `SessionConfig::dead_peer_bound` after its last frame,
//! wherever that frame fell between two pings.

use std::convert::Infallible;
use std::time::Duration;

use futures_util::stream;
use openws_core::{
    Admission, Bindings, CloseFrame, Inbound, Message, Network, Outgoing, Role, serve_connection,
};
use tokio::sync::mpsc;
use tokio::time::Instant;

const INTERVAL: Duration = Duration::from_secs(20);
const MAX_MISSED: u32 = 2;

fn bindings() -> Bindings {
    let network = Network::builder("echo")
        .role(Role::host("server").message(Message::new("ping").from(["client"])))
        .role(Role::new("client").message(Message::new("pong")))
        .build()
        .unwrap();
    Bindings::builder(network, ())
        .allow_unhandled()
        .keepalive(INTERVAL, MAX_MISSED)
        .build()
        .unwrap()
}

/// Answers the first `answered` pings with a pong `delay` after each, then
/// goes silent; returns how long after its last pong the server closed, and
/// the close frame.
async fn silence_after(answered: usize, delay: Duration) -> (Duration, CloseFrame) {
    let bindings = bindings();
    let (session, outbox) = bindings.session(Admission::role("client"));
    let (to_server, from_client) = mpsc::unbounded_channel::<Inbound<String>>();
    let inbound = stream::unfold(from_client, |mut frames| async move {
        let frame = frames.recv().await?;
        Some((Ok::<_, Infallible>(frame), frames))
    });
    let (to_client, mut from_server) = mpsc::unbounded_channel::<Outgoing>();
    let outbound = futures_util::sink::unfold(to_client, |to_client, frame: Outgoing| async move {
        match to_client.send(frame) {
            Ok(()) => Ok(to_client),
            Err(_) => Err(std::io::Error::other("the client is gone")),
        }
    });
    let pump = tokio::spawn(serve_connection(session, outbox, inbound, outbound));

    let mut pongs = 0;
    let mut last_pong = Instant::now();
    let close = loop {
        match from_server
            .recv()
            .await
            .expect("the pump writes until it closes")
        {
            Outgoing::Ping if pongs < answered => {
                tokio::time::sleep(delay).await;
                to_server.send(Inbound::Pong).unwrap();
                pongs += 1;
                last_pong = Instant::now();
            }
            Outgoing::Ping => {}
            Outgoing::Close(frame) => break frame,
            other => panic!("unexpected frame {other:?}"),
        }
    };
    let after = last_pong.elapsed();
    drop(to_server);
    pump.await.unwrap();
    (after, close)
}

#[tokio::test(start_paused = true)]
async fn a_peer_silent_after_its_last_pong_goes_within_the_bound() {
    let bound = bindings().config().dead_peer_bound().unwrap();
    assert_eq!(bound, INTERVAL * (MAX_MISSED + 1));
    let earliest = INTERVAL * MAX_MISSED;
    // The last pong right after a ping, halfway, and just before the next ping.
    for delay in [
        Duration::from_millis(1),
        INTERVAL / 2,
        INTERVAL - Duration::from_millis(1),
    ] {
        let (after, close) = silence_after(3, delay).await;
        assert_eq!(close.code, CloseFrame::POLICY);
        assert!(
            after >= earliest && after <= bound,
            "pong {delay:?} after a ping: dropped {after:?} after it, not within {earliest:?}..={bound:?}"
        );
    }
}
