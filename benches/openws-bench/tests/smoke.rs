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
}
