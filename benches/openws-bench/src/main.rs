//! `openws-bench`: the benchmark instrument of openws-rs (see `docs/benchmarks.md`).

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    match openws_bench::run(openws_bench::Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("openws-bench: {error}");
            ExitCode::FAILURE
        }
    }
}
