//! The results of a suite, and the markdown tables that present them.

use std::fmt::Write;
use std::time::Duration;

use crate::frame::FramePath;
use crate::scenario::{BroadcastParams, BroadcastResult, FanoutParams, FanoutResult, MemoryResult};
use crate::{FrameCost, Server};

/// One server's result in one scenario; `Err` says why it has none.
#[derive(Debug, Clone)]
pub struct Outcome<T> {
    /// The server.
    pub server: Server,
    /// Its result.
    pub result: Result<T, String>,
}

/// Everything a suite measured.
#[derive(Debug, Clone)]
pub struct Report {
    /// The machine and the time of the run.
    pub machine: String,
    /// The servers, in table order.
    pub servers: Vec<Server>,
    /// Fan-out throughput per server.
    pub fanout: Vec<Outcome<FanoutResult>>,
    /// The fan-out parameters, when it ran.
    pub fanout_params: Option<FanoutParams>,
    /// Broadcast round trips per server.
    pub broadcast: Vec<Outcome<BroadcastResult>>,
    /// The broadcast parameters, when it ran.
    pub broadcast_params: Option<BroadcastParams>,
    /// Idle memory per server.
    pub memory: Vec<Outcome<MemoryResult>>,
    /// Per-frame cost of each path.
    pub frames: Vec<FrameCost>,
}

impl Report {
    pub(crate) fn new(servers: &[Server]) -> Self {
        Self {
            machine: machine(),
            servers: servers.to_vec(),
            fanout: Vec::new(),
            fanout_params: None,
            broadcast: Vec::new(),
            broadcast_params: None,
            memory: Vec::new(),
            frames: Vec::new(),
        }
    }

    /// What went wrong: failed scenarios, lost messages, missing measurements.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let mut failed = |scenario: &str, server: Server, error: &str| {
            problems.push(format!("{scenario} on {}: {error}", server.name()));
        };
        for Outcome { server, result } in &self.fanout {
            match result {
                Err(error) => failed("fan-out", *server, error),
                Ok(r) if !r.is_complete() => failed(
                    "fan-out",
                    *server,
                    &format!("{} of {} messages delivered", r.delivered, r.expected),
                ),
                Ok(r) if r.p50.is_zero() || r.p99 < r.p50 => {
                    failed("fan-out", *server, "latencies were not measured")
                }
                Ok(_) => {}
            }
        }
        for Outcome { server, result } in &self.broadcast {
            match result {
                Err(error) => failed("broadcast", *server, error),
                Ok(r) if r.steps.is_empty() => failed("broadcast", *server, "no step ran"),
                Ok(r) => {
                    for step in r.steps.iter().filter(|s| s.completed < s.rounds) {
                        failed(
                            "broadcast",
                            *server,
                            &format!(
                                "{} of {} broadcasts reached all {} clients",
                                step.completed, step.rounds, step.clients
                            ),
                        );
                    }
                }
            }
        }
        for Outcome { server, result } in &self.memory {
            match result {
                Err(error) => failed("idle memory", *server, error),
                Ok(r) if r.loaded_kib == 0 => failed("idle memory", *server, "no RSS read"),
                Ok(_) => {}
            }
        }
        problems
    }

    /// The report as markdown: the summary with ratios, then each scenario.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "{}\n", self.machine);
        self.summary(&mut out);
        self.ratios(&mut out);
        self.fanout_table(&mut out);
        self.broadcast_table(&mut out);
        self.memory_table(&mut out);
        self.frames_table(&mut out);
        out
    }

    fn summary(&self, out: &mut String) {
        if self.fanout.is_empty() && self.broadcast.is_empty() && self.memory.is_empty() {
            return;
        }
        let _ = writeln!(out, "#### Summary\n");
        let _ = writeln!(
            out,
            "| server | fan-out msg/s | fan-out p50 | fan-out p99 | broadcast: largest N with p95 < 500 ms | idle RSS per session |"
        );
        let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|");
        for &server in &self.servers {
            let fanout = find(&self.fanout, server);
            let broadcast = find(&self.broadcast, server);
            let memory = find(&self.memory, server);
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                server.name(),
                cell(fanout, |r| count(r.rate())),
                cell(fanout, |r| millis(r.p50)),
                cell(fanout, |r| millis(r.p99)),
                cell(broadcast, largest_n),
                cell(memory, |r| kib(r.per_session_bytes())),
            );
        }
        out.push('\n');
    }

    /// Each openws-rs server against the limit and against Node.
    fn ratios(&self, out: &mut String) {
        let openws: Vec<Server> = self
            .servers
            .iter()
            .copied()
            .filter(|s| s.is_openws())
            .collect();
        let baselines: Vec<Server> = [Server::Limit, Server::Node]
            .into_iter()
            .filter(|s| self.servers.contains(s))
            .collect();
        if openws.is_empty() || baselines.is_empty() || self.summary_is_empty() {
            return;
        }
        let _ = writeln!(out, "#### Ratios\n");
        let _ = writeln!(
            out,
            "Throughput and N: above 1× is better than the baseline. Latency and memory: below 1× is better.\n"
        );
        let _ = writeln!(
            out,
            "| ratio | fan-out msg/s | fan-out p50 | fan-out p99 | broadcast N | idle RSS per session |"
        );
        let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|");
        for &server in &openws {
            for &baseline in &baselines {
                let ratio = |of: Option<f64>, to: Option<f64>| match (of, to) {
                    (Some(of), Some(to)) if to > 0.0 => format!("{:.2}×", of / to),
                    _ => "–".to_owned(),
                };
                let fan = |s: Server, f: fn(&FanoutResult) -> f64| ok(find(&self.fanout, s)).map(f);
                let n = |s: Server| {
                    ok(find(&self.broadcast, s))
                        .and_then(BroadcastResult::largest_within_target)
                        .map(|n| n as f64)
                };
                let mem =
                    |s: Server| ok(find(&self.memory, s)).map(MemoryResult::per_session_bytes);
                let _ = writeln!(
                    out,
                    "| {} / {} | {} | {} | {} | {} | {} |",
                    server.name(),
                    baseline.name(),
                    ratio(
                        fan(server, FanoutResult::rate),
                        fan(baseline, FanoutResult::rate)
                    ),
                    ratio(
                        fan(server, |r| r.p50.as_secs_f64()),
                        fan(baseline, |r| r.p50.as_secs_f64())
                    ),
                    ratio(
                        fan(server, |r| r.p99.as_secs_f64()),
                        fan(baseline, |r| r.p99.as_secs_f64())
                    ),
                    ratio(n(server), n(baseline)),
                    ratio(mem(server), mem(baseline)),
                );
            }
        }
        out.push('\n');
    }

    fn summary_is_empty(&self) -> bool {
        self.fanout.is_empty() && self.broadcast.is_empty() && self.memory.is_empty()
    }

    fn fanout_table(&self, out: &mut String) {
        let Some(p) = &self.fanout_params else { return };
        let _ = writeln!(
            out,
            "#### Fan-out: {} rooms × {} members, {} messages each\n",
            p.rooms, p.members, p.messages
        );
        let _ = writeln!(out, "| server | delivered | time | msg/s | p50 | p99 |");
        let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|");
        for Outcome { server, result } in &self.fanout {
            let row = match result {
                Ok(r) => format!(
                    "{} / {} | {} | {} | {} | {}",
                    count(r.delivered as f64),
                    count(r.expected as f64),
                    seconds(r.elapsed),
                    count(r.rate()),
                    millis(r.p50),
                    millis(r.p99)
                ),
                Err(error) => format!("failed: {} | | | | ", one_line(error)),
            };
            let _ = writeln!(out, "| {} | {row} |", server.name());
        }
        out.push('\n');
    }

    fn broadcast_table(&self, out: &mut String) {
        let Some(p) = &self.broadcast_params else {
            return;
        };
        let _ = writeln!(
            out,
            "#### Broadcast round trip: p95 (p50) by N, {} broadcasts per step\n",
            p.rounds
        );
        let mut header = String::from("| server |");
        let mut rule = String::from("|---|");
        for n in &p.steps {
            let _ = write!(header, " N={n} |");
            rule.push_str("---:|");
        }
        let _ = writeln!(out, "{header} largest N with p95 < {} |", millis(p.target));
        let _ = writeln!(out, "{rule}---:|");
        for Outcome { server, result } in &self.broadcast {
            let mut row = format!("| {} |", server.name());
            match result {
                Ok(r) => {
                    for n in &p.steps {
                        let cell = match r.steps.iter().find(|s| s.clients == *n) {
                            Some(s) if s.completed < s.rounds => {
                                format!("{}/{} reached all", s.completed, s.rounds)
                            }
                            Some(s) => format!("{} ({})", millis(s.p95), millis(s.p50)),
                            None => "–".to_owned(),
                        };
                        let _ = write!(row, " {cell} |");
                    }
                    let _ = write!(row, " {} |", largest_n(r));
                }
                Err(error) => {
                    let _ = write!(row, " failed: {} |", one_line(error));
                }
            }
            let _ = writeln!(out, "{row}");
        }
        for Outcome { server, result } in &self.broadcast {
            if let Ok(BroadcastResult {
                stopped: Some(why), ..
            }) = result
            {
                let _ = writeln!(out, "\n{}: ramp stopped: {}", server.name(), one_line(why));
            }
        }
        out.push('\n');
    }

    fn memory_table(&self, out: &mut String) {
        if self.memory.is_empty() {
            return;
        }
        let _ = writeln!(out, "#### Idle memory\n");
        let _ = writeln!(
            out,
            "| server | idle sessions | RSS before | RSS with them | per session |"
        );
        let _ = writeln!(out, "|---|---:|---:|---:|---:|");
        for Outcome { server, result } in &self.memory {
            let row = match result {
                Ok(r) => format!(
                    "{} | {} | {} | {}",
                    count(r.sessions as f64),
                    mib(r.baseline_kib),
                    mib(r.loaded_kib),
                    kib(r.per_session_bytes())
                ),
                Err(error) => format!("failed: {} | | | ", one_line(error)),
            };
            let _ = writeln!(out, "| {} | {row} |", server.name());
        }
        out.push('\n');
    }

    fn frames_table(&self, out: &mut String) {
        if self.frames.is_empty() {
            return;
        }
        let _ = writeln!(out, "#### Per-frame cost of one `sendMessage` frame\n");
        let _ = writeln!(
            out,
            "| path | ns/frame | instructions/frame (callgrind) | vs |"
        );
        let _ = writeln!(out, "|---|---:|---:|---|");
        let cost = |path: FramePath| self.frames.iter().find(|c| c.path == path);
        for c in &self.frames {
            let instructions = c.instructions.map_or("–".to_owned(), count);
            let versus = match c.path.baseline().and_then(cost) {
                Some(base) => {
                    let time = format!("{:.2}× {} time", c.nanos / base.nanos, base.path.name());
                    match (c.instructions, base.instructions) {
                        (Some(a), Some(b)) if b > 0.0 => {
                            format!("{time}, {:.2}× instructions", a / b)
                        }
                        _ => time,
                    }
                }
                None => String::new(),
            };
            let _ = writeln!(
                out,
                "| {} | {:.0} | {instructions} | {versus} |",
                c.path.name(),
                c.nanos
            );
        }
        out.push('\n');
    }
}

fn find<T>(outcomes: &[Outcome<T>], server: Server) -> Option<&Result<T, String>> {
    outcomes
        .iter()
        .find(|o| o.server == server)
        .map(|o| &o.result)
}

fn ok<T>(result: Option<&Result<T, String>>) -> Option<&T> {
    result.and_then(|r| r.as_ref().ok())
}

fn cell<T>(result: Option<&Result<T, String>>, show: impl Fn(&T) -> String) -> String {
    match result {
        None => "–".to_owned(),
        Some(Ok(value)) => show(value),
        Some(Err(_)) => "failed".to_owned(),
    }
}

fn largest_n(result: &BroadcastResult) -> String {
    match (result.largest_within_target(), result.found_limit()) {
        (None, _) => "none".to_owned(),
        (Some(n), true) => count(n as f64),
        // The ramp ended before the target was passed: a lower bound.
        (Some(n), false) => format!("≥ {}", count(n as f64)),
    }
}

fn one_line(text: &str) -> String {
    text.lines().next().unwrap_or_default().replace('|', "/")
}

/// A whole number with thousands separators.
fn count(value: f64) -> String {
    let digits = format!("{:.0}", value.max(0.0));
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

fn millis(duration: Duration) -> String {
    let ms = duration.as_secs_f64() * 1000.0;
    if ms < 10.0 {
        format!("{ms:.2} ms")
    } else {
        format!("{ms:.0} ms")
    }
}

fn seconds(duration: Duration) -> String {
    format!("{:.2} s", duration.as_secs_f64())
}

fn kib(bytes: f64) -> String {
    format!("{:.1} KiB", bytes / 1024.0)
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

/// The machine, its load before the run, and the time.
fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|line| line.strip_prefix("model name"))
        .and_then(|rest| rest.split_once(':'))
        .map_or("unknown CPU", |(_, model)| model.trim())
        .to_owned();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|info| {
            let line = info.lines().find_map(|l| l.strip_prefix("MemTotal:"))?;
            let kib: f64 = line.trim().trim_end_matches("kB").trim().parse().ok()?;
            Some(format!("{:.0} GiB RAM", kib / 1024.0 / 1024.0))
        })
        .unwrap_or_default();
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load: Vec<&str> = load.split_whitespace().take(3).collect();
    let date = std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    format!(
        "Machine: {model}, {cores} cores (`nproc`), {memory}, Linux {}; load average before the run {}; {date}.",
        kernel.trim(),
        load.join(" ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_numbers() {
        assert_eq!(count(1234567.4), "1,234,567");
        assert_eq!(count(999.0), "999");
        assert_eq!(millis(Duration::from_micros(1500)), "1.50 ms");
        assert_eq!(millis(Duration::from_millis(250)), "250 ms");
        assert_eq!(kib(2048.0), "2.0 KiB");
    }
}
