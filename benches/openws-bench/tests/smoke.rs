//! The smoke run: tiny sizes against the Rust servers (no Node), so the
//! instrument is exercised by `cargo test` and cannot rot.

use std::path::PathBuf;
use std::time::Duration;

use openws_bench::frame::FramePath;
use openws_bench::{Server, Suite};

#[test]
fn smoke_run_delivers_everything_and_prints_the_tables() {
    let suite = Suite::smoke(PathBuf::from(env!("CARGO_BIN_EXE_openws-bench")));
    let report = suite.run().expect("the smoke suite runs");
    let table = report.to_markdown();
    println!("{table}");
    assert_eq!(report.problems(), Vec::<String>::new());

    assert_eq!(report.fanout.len(), Server::RUST.len());
    for outcome in &report.fanout {
        let fanout = outcome.result.as_ref().expect("fan-out ran");
        // 2 rooms × 3 members × 2 receivers × 20 messages.
        assert_eq!((fanout.delivered, fanout.expected), (240, 240));
        assert!(fanout.p50 > Duration::ZERO && fanout.p99 >= fanout.p50);
        assert!(fanout.rate() > 0.0);
    }
    for outcome in &report.broadcast {
        let broadcast = outcome.result.as_ref().expect("broadcast ran");
        assert_eq!(broadcast.steps.len(), 2, "{:?}", outcome.server);
        for step in &broadcast.steps {
            assert_eq!(step.completed, step.rounds);
            assert!(step.p95 > Duration::ZERO && step.p95 >= step.p50);
        }
        assert_eq!(broadcast.largest_within_target(), Some(20));
    }
    for outcome in &report.memory {
        let memory = outcome.result.as_ref().expect("idle memory ran");
        assert!(memory.baseline_kib > 0 && memory.loaded_kib > 0);
        assert_eq!(memory.sessions, 50);
    }
    assert_eq!(report.soak.len(), Server::OPENWS.len());
    for outcome in &report.soak {
        let soak = outcome.result.as_ref().expect("the soak ran");
        let churn = &soak.churn;
        assert_eq!(churn.rss_kib.len(), 2, "{:?}", outcome.server);
        assert_eq!((churn.failures, churn.rooms_left), (0, 0));
        assert!(churn.rss_kib.iter().all(|&kib| kib > 0));
        let slow = soak.slow.as_ref().expect("the slow consumer ran");
        // 10 members: the sender, 8 readers and the slow one; 50 posts a run.
        assert_eq!(slow.readers, 8);
        for run in [slow.alone, slow.with_slow] {
            assert!(run.is_complete(), "{:?}: {run:?}", outcome.server);
            assert_eq!(run.expected, 8 * 50);
            assert!(run.p50 > Duration::ZERO && run.p99 >= run.p50);
        }
        // Keepalive every 200 ms, two missed, close grace 200 ms: 0.8 s.
        assert_eq!(slow.bound, Duration::from_millis(800));
        let gone = slow.gone_after.expect("the slow member is let go");
        assert!(
            gone <= slow.bound + SLACK,
            "{:?}: the slow member went after {gone:?}",
            outcome.server
        );
    }
    let paths: Vec<FramePath> = report.frames.iter().map(|cost| cost.path).collect();
    assert_eq!(paths, FramePath::ALL);
    assert!(report.frames.iter().all(|cost| cost.nanos > 0.0));

    for server in Server::RUST {
        assert!(
            table.contains(&format!("| {} |", server.name())),
            "{server:?} in the table"
        );
    }
    assert!(table.contains("| openws-axum / limit |"));
    assert!(table.contains("| openws-deliver |"));
    assert!(table.contains("#### Soak"));
}

/// Scheduling slack on a loaded machine, on top of a documented bound.
const SLACK: Duration = Duration::from_secs(1);
