//! The chat example as a cluster: three `chat_cluster` processes sharing the
//! real Redis and NATS servers on loopback (`.ci/run` checks they answer),
//! clients spread over them. Each run uses its own channel prefix, so runs
//! never hear each other, and leaves nothing behind (pub/sub keeps nothing).

mod cluster_support;

use std::time::Duration;

use cluster_support::{Node, PrivateBroker, eventually, management, unique_prefix};
use openws::ConnectionId;
use openws_testkit::client::Client;
use serde_json::{Value, json};

/// The tests take turns: each starts several processes, and on two cores
/// they would otherwise starve each other's heartbeats.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const REDIS_URL: &str = "redis://127.0.0.1:6379";
const NATS_URL: &str = "nats://127.0.0.1:4222";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_cluster_behaves_as_one_chat_server() {
    chat_across_three_nodes("redis", &[("REDIS_URL", REDIS_URL)]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nats_cluster_behaves_as_one_chat_server() {
    chat_across_three_nodes("nats", &[("NATS_URL", NATS_URL)]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_restart_is_survived_with_a_logged_gap() {
    broker_restart_is_survived("redis", "REDIS_URL").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nats_restart_is_survived_with_a_logged_gap() {
    broker_restart_is_survived("nats", "NATS_URL").await;
}

/// Two nodes on a broker of the test's own; the broker is killed and started
/// again: the nodes stay up, log the gap, and the room works again.
async fn broker_restart_is_survived(backplane: &'static str, url_variable: &str) {
    let _turn = ONE_AT_A_TIME.lock().await;
    let mut broker = PrivateBroker::start(backplane).await;
    let url = broker.url();
    let prefix = unique_prefix(backplane);
    let env = [(url_variable, url.as_str())];
    let a = Node::join(backplane, &prefix, &env).await;
    let b = Node::join(backplane, &prefix, &env).await;
    let mut alice = Client::connect(a.addr, "/chat").await;
    let mut bob = Client::connect(b.addr, "/chat").await;
    enter(&mut alice, "createRoom", "alice").await;
    alice.expect_message("joinedRoom").await;
    enter(&mut bob, "joinRoom", "bob").await;
    bob.expect_message("joinedRoom").await;
    alice.expect_message("joinedRoom").await;

    broker.stop().await;
    let limit = Duration::from_secs(15);
    eventually(limit, "both nodes log the lost broker", || {
        a.logged("connection lost") && b.logged("connection lost")
    })
    .await;
    broker.restart().await;
    eventually(limit, "both nodes log the gap once reconnected", || {
        a.logged("reconnected") && b.logged("reconnected")
    })
    .await;

    // Frames sent before the subscriptions are back may be lost (at most
    // once), so alice speaks until bob hears her.
    let heard = async {
        for attempt in 0.. {
            say(&mut alice, "alice", &format!("back {attempt}")).await;
            if let Ok(frame) = tokio::time::timeout(
                Duration::from_millis(500),
                bob.expect_message("receivedMessage"),
            )
            .await
            {
                return frame;
            }
        }
        unreachable!()
    };
    let frame = tokio::time::timeout(limit, heard)
        .await
        .expect("the room works again");
    assert!(frame["text"].as_str().unwrap().starts_with("back"));
}

async fn chat_across_three_nodes(backplane: &str, env: &[(&str, &str)]) {
    let _turn = ONE_AT_A_TIME.lock().await;
    let prefix = unique_prefix(backplane);
    let mut nodes = Vec::new();
    for _ in 0..3 {
        nodes.push(Node::join(backplane, &prefix, env).await);
    }
    let [a, b, c] = [nodes[0].addr, nodes[1].addr, nodes[2].addr];

    // A room spanning the three nodes: every join reaches every member once.
    let mut alice = Client::connect(a, "/chat").await;
    let mut bob = Client::connect(b, "/chat").await;
    let mut carol = Client::connect(c, "/chat").await;
    enter(&mut alice, "createRoom", "alice").await;
    alice.expect_message("joinedRoom").await;
    enter(&mut bob, "joinRoom", "bob").await;
    for member in [&mut alice, &mut bob] {
        assert_eq!(joiner(member.expect_message("joinedRoom").await), "bob");
    }
    enter(&mut carol, "joinRoom", "carol").await;
    for member in [&mut alice, &mut bob, &mut carol] {
        assert_eq!(joiner(member.expect_message("joinedRoom").await), "carol");
    }

    // A room broadcast reaches the other nodes' members exactly once, and not the sender.
    say(&mut alice, "alice", "hello").await;
    for member in [&mut bob, &mut carol] {
        let received = member.expect_message("receivedMessage").await;
        assert_eq!(received["text"], "hello");
        member.expect_silence().await;
    }
    alice.expect_silence().await;

    // The room exists cluster-wide: it cannot be created again on another node.
    let mut dave = Client::connect(c, "/chat").await;
    enter(&mut dave, "createRoom", "dave").await;
    dave.expect_error("handler_error").await;

    // Room stats and the listing see every node.
    let mut portal =
        Client::try_connect(b, "/chat", &[("authorization", "Bearer dev-portal-token")])
            .await
            .expect("portal admitted");
    assert_eq!(room_stats(&mut portal).await, ["alice", "bob", "carol"]);
    let listing = management(c, "GET", "/openws/connections", "").await;
    assert_eq!(listing.0, 200, "{listing:?}");
    assert_eq!(listing.1["unansweredNodes"], json!([]));
    let ids = users(&listing.1);
    assert_eq!(ids.len(), 4, "alice, bob, carol and dave: {listing:?}");
    assert_eq!(
        listing.1["connections"].as_array().unwrap().len(),
        5,
        "and the portal"
    );

    // A user is held cluster-wide: mallory on node B cannot claim alice, who
    // is on node A, and her refused claim leaves no label behind.
    let mut mallory = Client::connect(b, "/chat").await;
    mallory
        .message(
            "client",
            "sendMessage",
            json!({"userId": "alice", "roomId": "r", "text": "x"}),
        )
        .await;
    let refused = mallory.expect_error("handler_error").await;
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("connected elsewhere"),
        "{refused}"
    );
    alice.expect_silence().await;
    let listing = management(a, "GET", "/openws/connections", "").await.1;
    assert_eq!(users(&listing).len(), 4, "mallory holds no user: {listing}");
    mallory.close().await;

    // A push by id from node A reaches carol on node C; unknown ids are reported.
    let carol_id = ids["carol"];
    let push = json!({"messageName": "receivedMessage", "payload": {"roomId": "r", "senderId": "ops", "text": "psst"}});
    let pushed = management(
        a,
        "POST",
        &format!("/openws/connections/{carol_id}/messages"),
        &push.to_string(),
    )
    .await;
    assert_eq!(pushed.0, 202, "{pushed:?}");
    assert_eq!(
        carol.expect_message("receivedMessage").await["text"],
        "psst"
    );
    for unknown in [
        format!("{:016x}-ffffff", carol_id.node()),
        "0123456789abcdef-1".to_owned(),
    ] {
        let refused = management(
            a,
            "POST",
            &format!("/openws/connections/{unknown}/messages"),
            &push.to_string(),
        )
        .await;
        assert_eq!(refused.0, 404, "{unknown}: {refused:?}");
    }

    // A close by id from node A reaches bob on node B with its code and
    // reason; closing him again, or an id node C does not hold, is a 404.
    let bob_id = ids["bob"];
    let kick = format!("/openws/connections/{bob_id}?code=4001&reason=kicked%20by%20ops");
    let closed = management(a, "DELETE", &kick, "").await;
    assert_eq!(closed.0, 202, "{closed:?}");
    assert_eq!(
        bob.expect_close_frame().await,
        Some((4001, "kicked by ops".to_owned()))
    );
    let again = management(a, "DELETE", &kick, "").await;
    assert_eq!(again.0, 404, "{again:?}");
    let nobody = format!("/openws/connections/{:016x}-ffffff", carol_id.node());
    let refused = management(a, "DELETE", &nobody, "").await;
    assert_eq!(refused.0, 404, "{refused:?}");
    alice.expect_silence().await;

    // Node B dies: it is named as not answering, then forgotten with its
    // members once its heartbeat expires; the rest of the room goes on.
    let bob_node = ids["bob"].node();
    nodes[1].kill().await;
    let listing = management(a, "GET", "/openws/connections", "").await.1;
    assert_eq!(
        listing["unansweredNodes"],
        json!([format!("{bob_node:016x}")]),
        "{listing}"
    );
    assert!(!users(&listing).contains_key("bob"));
    let forgotten = async {
        loop {
            let listing = management(a, "GET", "/openws/connections", "").await.1;
            if listing["unansweredNodes"] == json!([]) {
                return listing;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    };
    let listing = tokio::time::timeout(Duration::from_secs(10), forgotten)
        .await
        .expect("the dead node is forgotten once its heartbeat expires");
    let left: Vec<&str> = users(&listing).into_keys().collect();
    assert_eq!(left, ["alice", "carol", "dave"], "no ghost of bob");
    say(&mut carol, "carol", "still here").await;
    assert_eq!(
        alice.expect_message("receivedMessage").await["text"],
        "still here"
    );
    let mut portal =
        Client::try_connect(c, "/chat", &[("authorization", "Bearer dev-portal-token")])
            .await
            .expect("portal admitted");
    assert_eq!(room_stats(&mut portal).await, ["alice", "carol"]);
}

async fn enter(client: &mut Client, message: &str, user: &str) {
    client
        .message("client", message, json!({"userId": user, "roomId": "r"}))
        .await;
}

async fn say(client: &mut Client, user: &str, text: &str) {
    client
        .message(
            "client",
            "sendMessage",
            json!({"userId": user, "roomId": "r", "text": text}),
        )
        .await;
}

fn joiner(frame: Value) -> String {
    frame["joinerId"].as_str().unwrap().to_owned()
}

/// The room's members as the portal sees them, sorted (each node lists its own in join order).
async fn room_stats(portal: &mut Client) -> Vec<String> {
    portal
        .message("portal", "requestRoomStats", json!({"roomId": "r"}))
        .await;
    let stats = portal.expect_message("receivedRoomStats").await;
    let mut members: Vec<String> = serde_json::from_value(stats["members"].clone()).unwrap();
    members.sort();
    members
}

/// The listed client connections by their `user` label.
fn users(listing: &Value) -> std::collections::BTreeMap<&str, ConnectionId> {
    listing["connections"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| {
            Some((
                c["labels"]["user"].as_str()?,
                c["id"].as_str()?.parse().ok()?,
            ))
        })
        .collect()
}
