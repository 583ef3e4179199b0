//! Prints the chat network's OpenWS document, as one authoring style declares it.
//!
//! ```sh
//! cargo run --example export_spec -- --style trait
//! ```
//!
//! Every style prints the same JSON; `examples/chat/chat.openws.json` is this output.

// The chat module also holds the handlers, which only the servers use.
#[allow(dead_code)]
mod chat;

use clap::Parser;

/// Print the chat network's OpenWS document.
#[derive(Debug, Parser)]
struct Args {
    /// How the network is written: macro, trait, fluent or document.
    #[arg(long, default_value = "trait", value_parser = parse_style)]
    style: chat::Style,
}

fn parse_style(name: &str) -> Result<chat::Style, String> {
    chat::Style::from_name(name).ok_or_else(|| {
        let names: Vec<&str> = chat::Style::ALL.iter().map(|s| s.name()).collect();
        format!(
            "unknown style `{name}`; choose one of: {}",
            names.join(", ")
        )
    })
}

fn main() {
    let args = Args::parse();
    let document = chat::network(args.style).to_document();
    let json = serde_json::to_string_pretty(&document).expect("documents serialize");
    println!("{json}");
}
