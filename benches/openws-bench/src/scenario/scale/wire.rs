//! What the scale scenario and its generator processes say to each other:
//! one line per order on the generator's stdin, one line per report on its
//! stdout (its stderr is the harness's).

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// The longest a generator waits for its clients to receive one broadcast.
pub(super) const ROUND_TIMEOUT: Duration = Duration::from_secs(60);

/// What the harness tells a generator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Order {
    /// Open your clients now.
    Open,
    /// Report broadcast `round` once every client has it (or at [`ROUND_TIMEOUT`]).
    Collect(u64),
    /// Close every client and exit (so does the end of stdin).
    Stop,
}

/// What a generator tells the harness.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Report {
    /// Started; waiting for [`Order::Open`].
    Ready,
    /// This many clients are open and greeted.
    Opened(usize),
    /// One broadcast, as the generator's clients received it.
    Round(RoundReport),
    /// The generator gave up, saying why.
    Failed(String),
}

/// One broadcast as the clients of one generator received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct RoundReport {
    /// The broadcast.
    pub(super) round: u64,
    /// Clients whose connection ended (before or during the round).
    pub(super) closed: usize,
    /// Frames a client received a second time, or out of order, so far.
    pub(super) duplicates: usize,
    /// Receipt minus send time of every client that received it, µs.
    pub(super) latencies_us: Vec<u64>,
}

impl fmt::Display for Order {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Order::Open => f.write_str("open"),
            Order::Collect(round) => write!(f, "collect {round}"),
            Order::Stop => f.write_str("stop"),
        }
    }
}

impl FromStr for Order {
    type Err = String;

    fn from_str(line: &str) -> Result<Self, Self::Err> {
        let mut words = line.split_whitespace();
        match (words.next(), words.next(), words.next()) {
            (Some("open"), None, _) => Ok(Order::Open),
            (Some("stop"), None, _) => Ok(Order::Stop),
            (Some("collect"), Some(round), None) => round
                .parse()
                .map(Order::Collect)
                .map_err(|_| format!("bad round in `{line}`")),
            _ => Err(format!("unknown order `{line}`")),
        }
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Report::Ready => f.write_str("ready"),
            Report::Opened(clients) => write!(f, "opened {clients}"),
            Report::Round(report) => {
                write!(
                    f,
                    "round {} {} {}",
                    report.round, report.closed, report.duplicates
                )?;
                report
                    .latencies_us
                    .iter()
                    .try_for_each(|latency| write!(f, " {latency}"))
            }
            // One line, whatever the message.
            Report::Failed(why) => write!(f, "failed {}", why.replace('\n', " ")),
        }
    }
}

impl FromStr for Report {
    type Err = String;

    fn from_str(line: &str) -> Result<Self, Self::Err> {
        let bad = || format!("unreadable report `{}`", truncate(line));
        let (word, rest) = line.split_once(' ').unwrap_or((line, ""));
        match word {
            "ready" if rest.is_empty() => Ok(Report::Ready),
            "opened" => rest.parse().map(Report::Opened).map_err(|_| bad()),
            "failed" => Ok(Report::Failed(rest.to_owned())),
            "round" => {
                let mut numbers = rest.split(' ').map(str::parse::<u64>);
                let mut next = || numbers.next().and_then(Result::ok).ok_or_else(bad);
                let round = next()?;
                let closed = next()? as usize;
                let duplicates = next()? as usize;
                let latencies_us = numbers.collect::<Result<_, _>>().map_err(|_| bad())?;
                Ok(Report::Round(RoundReport {
                    round,
                    closed,
                    duplicates,
                    latencies_us,
                }))
            }
            _ => Err(bad()),
        }
    }
}

/// The start of a line that may be long, for an error message.
fn truncate(line: &str) -> &str {
    let end = line
        .char_indices()
        .nth(80)
        .map_or(line.len(), |(index, _)| index);
    &line[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_and_reports_round_trip_as_lines() {
        for order in [Order::Open, Order::Collect(7), Order::Stop] {
            assert_eq!(order.to_string().parse::<Order>(), Ok(order));
        }
        let round = RoundReport {
            round: 3,
            closed: 1,
            duplicates: 0,
            latencies_us: vec![120, 4500, 9],
        };
        for report in [
            Report::Ready,
            Report::Opened(16_667),
            Report::Round(round),
            Report::Round(RoundReport {
                round: 1,
                closed: 0,
                duplicates: 2,
                latencies_us: Vec::new(),
            }),
            Report::Failed("connecting timed out".to_owned()),
        ] {
            assert_eq!(report.to_string().parse::<Report>(), Ok(report));
        }
    }

    #[test]
    fn garbage_is_refused_not_panicked_on() {
        for line in ["", "collect", "collect x", "open now", "jump"] {
            assert!(line.parse::<Order>().is_err(), "{line}");
        }
        for line in [
            "",
            "opened",
            "opened -1",
            "round 1 0",
            "round 1 0 0 x",
            "ready now",
        ] {
            assert!(line.parse::<Report>().is_err(), "{line}");
        }
        let multi_line = Report::Failed("a\nb".to_owned()).to_string();
        assert_eq!(multi_line.lines().count(), 1);
    }
}
