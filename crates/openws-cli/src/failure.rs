//! Why a command could not complete, and the exit code each reason gets.

use std::process::ExitCode;

use openws_core::SpecError;
use serde_json::json;

/// A command that could not complete.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Failure {
    /// An input is not a valid OpenWS spec (exit 1).
    #[error("{label}: {error}")]
    Invalid {
        /// Which input: a path or URL.
        label: String,
        /// Every problem found.
        error: SpecError,
    },
    /// The arguments do not fit the input, e.g. an unknown role (exit 2).
    #[error("{0}")]
    Usage(String),
    /// An input could not be read or an output not written (exit 2).
    #[error("{0}")]
    Io(String),
}

impl Failure {
    /// The process exit code for this failure.
    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            Failure::Invalid { .. } => 1,
            Failure::Usage(_) | Failure::Io(_) => 2,
        }
    }

    /// Prints the failure (a JSON object on standard output with `json`,
    /// a sentence on standard error otherwise) and returns its exit code.
    pub(crate) fn report(self, json: bool) -> ExitCode {
        let code = self.exit_code();
        if json {
            println!("{:#}", self.to_json());
        } else {
            eprintln!("error: {self}");
        }
        ExitCode::from(code)
    }

    fn to_json(&self) -> serde_json::Value {
        match self {
            Failure::Invalid { label, error } => json!({
                "error": {
                    "kind": "invalid",
                    "input": label,
                    "problems": problems_json(error),
                }
            }),
            Failure::Usage(message) => json!({"error": {"kind": "usage", "message": message}}),
            Failure::Io(message) => json!({"error": {"kind": "io", "message": message}}),
        }
    }
}

/// The problems of a spec as JSON: `[{"pointer", "message"}]`.
pub(crate) fn problems_json(error: &SpecError) -> serde_json::Value {
    error
        .problems
        .iter()
        .map(|problem| json!({"pointer": problem.location, "message": problem.message}))
        .collect()
}
