//! Printing a change report, for people or as JSON.

use serde_json::json;

use super::{Change, Impact};
use crate::Format;

/// Prints `changes`: one line each and a summary, or one JSON object.
pub(super) fn print(changes: &[Change], format: Format) {
    match format {
        Format::Json => println!("{:#}", to_json(changes)),
        Format::Text | Format::Yaml => print!("{}", to_text(changes)),
    }
}

fn to_json(changes: &[Change]) -> serde_json::Value {
    json!({
        "breaking": changes.iter().any(Change::is_breaking),
        "changes": changes,
    })
}

/// `BREAKING for senders    /pointer: description` lines, then a summary.
pub(super) fn to_text(changes: &[Change]) -> String {
    if changes.is_empty() {
        return "no changes\n".to_owned();
    }
    let mut text = String::new();
    for change in changes {
        let label = match (change.senders, change.receivers) {
            (Impact::Breaking, Impact::Breaking) => "BREAKING for both",
            (Impact::Breaking, Impact::Compatible) => "BREAKING for senders",
            (Impact::Compatible, Impact::Breaking) => "BREAKING for receivers",
            (Impact::Compatible, Impact::Compatible) => "compatible",
        };
        text.push_str(&format!(
            "{label:<24}{}: {}\n",
            change.pointer, change.description
        ));
    }
    let count = |side: fn(&Change) -> Impact| {
        changes
            .iter()
            .filter(|change| side(change) == Impact::Breaking)
            .count()
    };
    let breaking = changes.iter().filter(|c| c.is_breaking()).count();
    text.push_str(&format!(
        "\n{} changes: {breaking} breaking ({} for senders, {} for receivers), {} compatible\n",
        changes.len(),
        count(|c| c.senders),
        count(|c| c.receivers),
        changes.len() - breaking,
    ));
    text
}
