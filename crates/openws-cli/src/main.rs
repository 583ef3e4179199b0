//! `openws`: tooling around an OpenWS network spec.
//!
//! Validates a spec, fetches a running server's spec, reports what changed
//! between two specs and whether it breaks anyone, writes the network as an
//! AsyncAPI 3.0 document, and generates typed clients. See `docs/tooling.md`.
//!
//! Exit codes: 0 success; 1 the spec is invalid or the diff has a breaking
//! change; 2 a usage error or an input that could not be read.

mod asyncapi;
mod codegen;
mod diff;
mod failure;
mod source;
mod validate;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::failure::Failure;
use crate::source::Source;

/// Tooling around an OpenWS network spec: validate, export, diff, AsyncAPI, codegen.
///
/// A spec argument is a file path, `-` for standard input, or an http:// URL
/// (a URL without a path means the server's `/openws/spec.json`).
///
/// Exit codes: 0 success; 1 invalid spec or breaking change; 2 usage or I/O error.
#[derive(Debug, Parser)]
#[command(name = "openws", version, propagate_version = true)]
struct Cli {
    /// Print results and errors as JSON on standard output.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check a spec against the official OpenWS schema and the semantic rules.
    ///
    /// Lists every problem with its JSON pointer; exits 1 when the spec is invalid.
    Validate {
        /// The spec: a file, `-`, or an http:// URL.
        spec: Source,
    },
    /// Fetch a running server's spec (its `/openws/spec.json`) and print it.
    Export {
        /// The server, e.g. `http://127.0.0.1:8082`, or the spec's full URL.
        url: Source,
        /// Print YAML instead of pretty JSON.
        #[arg(long)]
        yaml: bool,
    },
    /// Report what changed between two specs and whom each change breaks.
    ///
    /// Each change is classified for the message's senders and for its
    /// receivers; exits 1 when any change is breaking.
    Diff {
        /// The spec as it was.
        old: Source,
        /// The spec as it is now.
        new: Source,
    },
    /// Print the networks as an AsyncAPI 3.0 document.
    ///
    /// One channel per network endpoint, `send` and `receive` operations per
    /// role, message payloads from the spec's JSON Schemas.
    Asyncapi {
        /// The spec: a file, `-`, or an http:// URL.
        spec: Source,
        /// Print YAML instead of pretty JSON.
        #[arg(long)]
        yaml: bool,
    },
    /// Generate a typed client for one role of a network.
    Codegen(CodegenArgs),
}

#[derive(Debug, Args)]
struct CodegenArgs {
    /// The language to generate.
    language: codegen::Language,
    /// The spec: a file, `-`, or an http:// URL.
    spec: Source,
    /// The directory to write into (created if missing; generated files are overwritten).
    #[arg(short, long)]
    out: PathBuf,
    /// The role the client plays (not the host role).
    #[arg(long)]
    role: String,
    /// The network, when the spec has more than one.
    #[arg(long)]
    network: Option<String>,
}

/// How a command prints its result: for humans, as JSON (`--json`), or as
/// YAML (`--yaml`, for commands that print a document).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Text,
    Json,
    Yaml,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let json = cli.json;
    match run(cli.command, json) {
        Ok(code) => code,
        Err(failure) => failure.report(json),
    }
}

/// Runs one command; `Ok` carries the exit code of a completed run.
fn run(command: Command, json: bool) -> Result<ExitCode, Failure> {
    let format = |yaml: bool| match (json, yaml) {
        (true, true) => Err(Failure::Usage(
            "--yaml and --json cannot be used together".to_owned(),
        )),
        (false, true) => Ok(Format::Yaml),
        (true, false) => Ok(Format::Json),
        (false, false) => Ok(Format::Text),
    };
    match command {
        Command::Validate { spec } => validate::run(&spec, format(false)?),
        Command::Export { url, yaml } => source::export(&url, format(yaml)?),
        Command::Diff { old, new } => diff::run(&old, &new, format(false)?),
        Command::Asyncapi { spec, yaml } => asyncapi::run(&spec, format(yaml)?),
        Command::Codegen(args) => codegen::run(args, format(false)?),
    }
}
