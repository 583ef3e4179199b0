//! The results of a suite, and the markdown tables that present them.

use std::fmt::Write;
use std::time::Duration;

use crate::frame::FramePath;
use crate::scenario::{
    BroadcastParams, BroadcastResult, FanoutParams, FanoutResult, MemoryResult, SoakParams,
    SoakResult,
};
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
    /// Saturated fan-out (throughput) per server.
    pub fanout: Vec<Outcome<FanoutResult>>,
    /// The saturated fan-out parameters, when it ran.
    pub fanout_params: Option<FanoutParams>,
    /// Paced fan-out (latency) per server.
    pub paced: Vec<Outcome<FanoutResult>>,
    /// The paced fan-out parameters, when it ran.
    pub paced_params: Option<FanoutParams>,
    /// Broadcast round trips per server.
    pub broadcast: Vec<Outcome<BroadcastResult>>,
    /// The broadcast parameters, when it ran.
    pub broadcast_params: Option<BroadcastParams>,
    /// Idle memory per server.
    pub memory: Vec<Outcome<MemoryResult>>,
    /// Per-frame cost of each path.
    pub frames: Vec<FrameCost>,
    /// The soak per openws server.
    pub soak: Vec<Outcome<SoakResult>>,
    /// The soak parameters, when it ran.
    pub soak_params: Option<SoakParams>,
}

impl Report {
    pub(crate) fn new(servers: &[Server]) -> Self {
        Self {
            machine: machine(),
            servers: servers.to_vec(),
            fanout: Vec::new(),
            fanout_params: None,
            paced: Vec::new(),
            paced_params: None,
            broadcast: Vec::new(),
            broadcast_params: None,
            memory: Vec::new(),
            frames: Vec::new(),
            soak: Vec::new(),
            soak_params: None,
        }
    }

    /// What went wrong: failed scenarios, lost messages, missing measurements.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let mut failed = |scenario: &str, server: Server, error: &str| {
            problems.push(format!("{scenario} on {}: {error}", server.name()));
        };
        for Outcome { server, result } in self.fanout.iter().chain(&self.paced) {
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
        for Outcome { server, result } in &self.soak {
            match result {
                Err(error) => failed("soak", *server, error),
                Ok(r) => r.problems().iter().for_each(|p| failed("soak", *server, p)),
            }
        }
        problems
    }

    /// The soak targets (issue 9) each server missed.
    pub fn missed_targets(&self) -> Vec<String> {
        let results = self.soak.iter().filter_map(|outcome| {
            let result = outcome.result.as_ref().ok()?;
            Some((outcome.server, result))
        });
        results
            .flat_map(|(server, result)| {
                let missed = result.missed_targets().into_iter();
                missed.map(move |target| format!("soak on {}: {target}", server.name()))
            })
            .collect()
    }

    /// The report as markdown: the summary with ratios, then each scenario.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "{}\n", self.machine);
        if !self.summary_is_empty() {
            self.summary(&mut out);
            self.ratios(&mut out);
        }
        if let Some(p) = &self.fanout_params {
            let title = format!(
                "Fan-out, saturated: {} rooms × {} members, {} messages each as fast as possible",
                p.rooms, p.members, p.messages
            );
            fanout_table(&mut out, &title, &self.fanout);
        }
        if let Some(p) = &self.paced_params {
            let rate = p.rate.unwrap_or_default();
            let title = format!(
                "Fan-out, paced: {} rooms × {} members, {} messages each at {rate}/s ({} deliveries/s offered)",
                p.rooms,
                p.members,
                p.messages,
                count(rate * (p.rooms * p.members * (p.members - 1)) as f64)
            );
            fanout_table(&mut out, &title, &self.paced);
        }
        self.broadcast_table(&mut out);
        self.memory_table(&mut out);
        self.frames_table(&mut out);
        if let Some(params) = &self.soak_params {
            out.push_str(&SoakResult::to_markdown(&self.soak, params));
        }
        out
    }

    fn summary_is_empty(&self) -> bool {
        self.fanout.is_empty()
            && self.paced.is_empty()
            && self.broadcast.is_empty()
            && self.memory.is_empty()
    }

    /// The headline figures of one server, `None` where it has none.
    fn headline(&self, server: Server) -> [Option<f64>; 7] {
        let fanout = ok(find(&self.fanout, server));
        let paced = ok(find(&self.paced, server));
        let broadcast = ok(find(&self.broadcast, server));
        [
            fanout.map(FanoutResult::rate),
            fanout.map(|r| r.cpu_per_message().as_secs_f64() * 1e6),
            paced.map(|r| r.p50.as_secs_f64() * 1e3),
            paced.map(|r| r.p99.as_secs_f64() * 1e3),
            broadcast
                .and_then(BroadcastResult::largest_within_target)
                .map(|n| n as f64),
            broadcast
                .and_then(|r| r.steps.last())
                .map(|s| s.cpu_per_delivery().as_secs_f64() * 1e6),
            ok(find(&self.memory, server)).map(|r| r.per_session_bytes() / 1024.0),
        ]
    }

    fn summary(&self, out: &mut String) {
        let _ = writeln!(out, "#### Summary\n");
        let _ = writeln!(out, "{HEADLINE_HEADER}");
        let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|");
        for &server in &self.servers {
            let figures = self.headline(server);
            let show = |i: usize, f: fn(f64) -> String| figures[i].map_or("–".to_owned(), f);
            let broadcast_n = match ok(find(&self.broadcast, server)) {
                Some(r) => largest_n(r),
                None => "–".to_owned(),
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {broadcast_n} | {} | {} |",
                server.name(),
                show(0, count),
                show(1, |v| format!("{v:.1} µs")),
                show(2, |v| format!("{v:.2} ms")),
                show(3, |v| format!("{v:.2} ms")),
                show(5, |v| format!("{v:.1} µs")),
                show(6, |v| format!("{v:.1} KiB")),
            );
        }
        out.push('\n');
    }

    /// Each openws-rs server against the limit and against Node.
    fn ratios(&self, out: &mut String) {
        let openws = self.servers.iter().copied().filter(|s| s.is_openws());
        let baselines: Vec<Server> = [Server::Limit, Server::Node]
            .into_iter()
            .filter(|s| self.servers.contains(s))
            .collect();
        if baselines.is_empty() {
            return;
        }
        let _ = writeln!(out, "#### Ratios\n");
        let _ = writeln!(
            out,
            "openws-rs divided by the baseline: above 1× is better for msg/s and N, below 1× is better for CPU, latency and memory.\n"
        );
        let _ = writeln!(out, "{}", HEADLINE_HEADER.replacen("server", "ratio", 1));
        let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|");
        for server in openws {
            for &baseline in &baselines {
                let (of, to) = (self.headline(server), self.headline(baseline));
                let cells: Vec<String> = of
                    .iter()
                    .zip(&to)
                    .map(|pair| match pair {
                        (Some(of), Some(to)) if *to > 0.0 => format!("{:.2}×", of / to),
                        _ => "–".to_owned(),
                    })
                    .collect();
                let _ = writeln!(
                    out,
                    "| {} / {} | {} |",
                    server.name(),
                    baseline.name(),
                    cells.join(" | ")
                );
            }
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
            let _ = write!(header, " N={} |", count(*n as f64));
            rule.push_str("---:|");
        }
        let _ = writeln!(
            out,
            "{header} largest N with p95 < {} | server CPU per delivery at the last N |",
            millis(p.target)
        );
        let _ = writeln!(out, "{rule}---:|---:|");
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
                    let cpu = r
                        .steps
                        .last()
                        .map_or("–".to_owned(), |s| micros(s.cpu_per_delivery()));
                    let _ = write!(row, " {} | {cpu} |", largest_n(r));
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
        let cost = |path: FramePath| self.frames.iter().find(|c| c.path == path);
        let versus = |c: &FrameCost, base: Option<&FrameCost>| match base {
            Some(base) if base.path != c.path => {
                let instructions = match (c.instructions, base.instructions) {
                    (Some(a), Some(b)) if b > 0.0 => format!(" / {:.2}×", a / b),
                    _ => String::new(),
                };
                format!("{:.2}×{instructions}", c.nanos / base.nanos)
            }
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "#### Per-frame cost of one `sendMessage` frame, no sockets\n"
        );
        let _ = writeln!(
            out,
            "| path | ns/frame | instructions/frame (callgrind) | × serde (time / instructions) | × limit (time / instructions) |"
        );
        let _ = writeln!(out, "|---|---:|---:|---:|---:|");
        for c in &self.frames {
            let limit = match c.path {
                FramePath::Openws => cost(FramePath::Limit),
                FramePath::OpenwsDeliver => cost(FramePath::LimitDeliver),
                FramePath::OpenwsDeliver2 => cost(FramePath::LimitDeliver2),
                _ => None,
            };
            let _ = writeln!(
                out,
                "| {} | {:.0} | {} | {} | {} |",
                c.path.name(),
                c.nanos,
                c.instructions.map_or("–".to_owned(), count),
                versus(c, cost(FramePath::Serde)),
                versus(c, limit),
            );
        }
        // What one more receiver costs: the second member's path minus the first's
        // (openws-rs encodes a broadcast only once someone receives it, so the first
        // receiver also pays that one encoding).
        let delivery = |with: FramePath, without: FramePath| {
            let (with, without) = (cost(with)?, cost(without)?);
            let instructions = match (with.instructions, without.instructions) {
                (Some(a), Some(b)) => format!(", {} instructions", count(a - b)),
                _ => String::new(),
            };
            Some(format!(
                "{:.0} ns{instructions}",
                with.nanos - without.nanos
            ))
        };
        if let (Some(openws), Some(limit)) = (
            delivery(FramePath::OpenwsDeliver2, FramePath::OpenwsDeliver),
            delivery(FramePath::LimitDeliver2, FramePath::LimitDeliver),
        ) {
            let _ = writeln!(
                out,
                "\nOne more receiver costs openws-rs {openws} and the limit {limit}."
            );
        }
        out.push('\n');
    }
}

/// The summary's columns; the ratio table reuses them.
const HEADLINE_HEADER: &str = "| server | fan-out msg/s (saturated) | server CPU per message | p50 latency (paced) | p99 latency (paced) | broadcast: largest N with p95 < 500 ms | broadcast: server CPU per delivery | idle RSS per session |";

fn fanout_table(out: &mut String, title: &str, outcomes: &[Outcome<FanoutResult>]) {
    let _ = writeln!(out, "#### {title}\n");
    let _ = writeln!(
        out,
        "| server | delivered | time | msg/s | p50 | p99 | server CPU | CPU per message |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|");
    for Outcome { server, result } in outcomes {
        let row = match result {
            Ok(r) => format!(
                "{} / {} | {} | {} | {} | {} | {} | {}",
                count(r.delivered as f64),
                count(r.expected as f64),
                seconds(r.elapsed),
                count(r.rate()),
                millis(r.p50),
                millis(r.p99),
                seconds(r.server_cpu),
                micros(r.cpu_per_message()),
            ),
            Err(error) => format!("failed: {} | | | | | | ", one_line(error)),
        };
        let _ = writeln!(out, "| {} | {row} |", server.name());
    }
    out.push('\n');
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
pub(crate) fn count(value: f64) -> String {
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

pub(crate) fn millis(duration: Duration) -> String {
    let ms = duration.as_secs_f64() * 1000.0;
    if ms < 10.0 {
        format!("{ms:.2} ms")
    } else {
        format!("{ms:.0} ms")
    }
}

pub(crate) fn micros(duration: Duration) -> String {
    format!("{:.1} µs", duration.as_secs_f64() * 1e6)
}

pub(crate) fn seconds(duration: Duration) -> String {
    format!("{:.2} s", duration.as_secs_f64())
}

pub(crate) fn kib(bytes: f64) -> String {
    format!("{:.1} KiB", bytes / 1024.0)
}

pub(crate) fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

/// The machine, its load before the run, and the time.
pub(crate) fn machine() -> String {
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
