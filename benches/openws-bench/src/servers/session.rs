//! Session limits of the `/chat` route that a run sets apart from the core's
//! defaults (`serve --outbound-queue ..`), so a scenario can bound how long
//! it waits for the server to act.

use std::time::Duration;

use openws::{BindingsBuilder, SessionConfig};

/// Session limits of the `/chat` route of the openws servers; each one not
/// given keeps the core's default (`docs/operations.md`).
#[derive(Debug, Clone, Default, PartialEq, Eq, clap::Args)]
pub struct SessionOverrides {
    /// Outbound frames that may wait per connection (core default: 16,384).
    #[arg(long)]
    pub outbound_queue: Option<usize>,
    /// Milliseconds between keepalive pings (core default: 20,000, two missed).
    #[arg(long)]
    pub ping_interval_ms: Option<u64>,
    /// Milliseconds the server tries to write a close frame to a connection
    /// it drops (core default: 1,000).
    #[arg(long)]
    pub close_grace_ms: Option<u64>,
}

impl SessionOverrides {
    /// Whether every limit keeps the core's default.
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }

    /// Sets the limits given on `builder`.
    pub(crate) fn apply<S: Send + Sync + 'static>(
        &self,
        mut builder: BindingsBuilder<S>,
    ) -> BindingsBuilder<S> {
        if let Some(frames) = self.outbound_queue {
            builder = builder.outbound_queue(frames);
        }
        if let Some(ms) = self.ping_interval_ms {
            let missed = SessionConfig::default().max_missed_pings;
            builder = builder.keepalive(Duration::from_millis(ms), missed);
        }
        if let Some(ms) = self.close_grace_ms {
            builder = builder.close_grace(Duration::from_millis(ms));
        }
        builder
    }

    /// The limits as arguments of `openws-bench serve`.
    pub(crate) fn to_args(&self) -> Vec<String> {
        let flags = [
            ("--outbound-queue", self.outbound_queue.map(|n| n as u64)),
            ("--ping-interval-ms", self.ping_interval_ms),
            ("--close-grace-ms", self.close_grace_ms),
        ];
        flags
            .into_iter()
            .filter_map(|(flag, value)| Some([flag.to_owned(), value?.to_string()]))
            .flatten()
            .collect()
    }

    /// The settings the openws servers' `/chat` route runs with.
    pub fn config(&self) -> SessionConfig {
        super::openws::chat_bindings_with(self).config().clone()
    }

    /// The overrides as `name value` pairs, for a report.
    pub fn describe(&self) -> String {
        let args = self.to_args();
        if args.is_empty() {
            "the core's defaults".to_owned()
        } else {
            args.join(" ")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_reach_the_config_and_the_command_line() {
        let defaults = SessionOverrides::default();
        assert!(defaults.is_default() && defaults.to_args().is_empty());
        assert_eq!(
            defaults.config().outbound_queue,
            SessionConfig::default().outbound_queue
        );
        let set = SessionOverrides {
            outbound_queue: Some(64),
            ping_interval_ms: Some(250),
            close_grace_ms: None,
        };
        assert_eq!(
            set.to_args(),
            ["--outbound-queue", "64", "--ping-interval-ms", "250"]
        );
        let config = set.config();
        assert_eq!(config.outbound_queue, 64);
        assert_eq!(config.ping_interval, Some(Duration::from_millis(250)));
        assert_eq!(config.close_grace, SessionConfig::default().close_grace);
    }
}
