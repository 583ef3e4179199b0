//! The 100,000-session scenario at a tiny size, so `cargo test` checks it:
//! two nodes joined by the machine's NATS (127.0.0.1:4222, as the cluster
//! tests use it), a few hundred sessions from two generator processes.

use std::path::Path;
use std::time::Duration;

use openws_bench::{Backplane, ScaleParams};

#[test]
fn every_broadcast_reaches_every_session_across_nodes_and_generators() {
    let mut params = ScaleParams::new(300, 2, Backplane::Nats);
    params.generators = 2;
    params.rounds = 4;
    params.settle = Duration::from_millis(200);
    params.open_timeout = Duration::from_secs(30);
    let result = params
        .run(Path::new(env!("CARGO_BIN_EXE_openws-bench")))
        .expect("the scale scenario runs (NATS on 127.0.0.1:4222; `.ci/brokers.sh` starts it)");
    let table = result.to_markdown();
    println!("{table}");

    assert_eq!((result.expected, result.received), (1200, 1200));
    assert!(result.open_time > Duration::ZERO);
    assert!(result.nodes_rss_after_kib > result.nodes_rss_before_kib);
    assert!(result.generators_rss_kib > 0);
    assert!(result.p50 > Duration::ZERO);
    assert!(result.p50 <= result.p95 && result.p95 <= result.p99 && result.p99 <= result.max);
    assert!(result.everyone_p50 <= result.everyone_p95 && result.everyone_p95 <= result.max);
    assert!(table.contains("| deliveries expected / received | 1,200 / 1,200 |"));
}

#[test]
fn a_shape_the_machine_cannot_hold_is_refused_before_anything_starts() {
    let exe = Path::new(env!("CARGO_BIN_EXE_openws-bench"));
    // More sockets than Linux lets any process open (`fs.nr_open` is at most 2^20).
    let mut one_node = ScaleParams::new(10_000_000, 1, Backplane::Local);
    one_node.generators = 250;
    let error = one_node
        .run(exe)
        .expect_err("ten million sockets in one process");
    assert!(error.to_string().contains("raise --nodes"), "{error}");

    let mut unjoined = ScaleParams::new(100, 2, Backplane::Local);
    unjoined.generators = 1;
    let error = unjoined
        .run(exe)
        .expect_err("two nodes without a backplane");
    assert!(error.to_string().contains("backplane"), "{error}");
}
