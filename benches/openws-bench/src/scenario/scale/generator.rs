//! The harness's handle on one generator process: `openws-bench
//! scale-worker`, spoken to over its stdin and stdout.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

use super::wire::{Order, Report, RoundReport};
use super::worker::WorkerShare;
use crate::Error;

/// The longest a generator may take to start.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// A generator process; killed if dropped.
pub(super) struct Generator {
    child: Child,
    stdin: ChildStdin,
    reports: Lines<BufReader<ChildStdout>>,
    /// Which generator, for messages.
    index: usize,
}

impl Generator {
    /// Starts `exe scale-worker` for `share` and waits until it is ready.
    pub(super) async fn start(
        exe: &Path,
        index: usize,
        share: &WorkerShare,
    ) -> Result<Self, Error> {
        let nodes: Vec<String> = share.nodes.iter().map(ToString::to_string).collect();
        let mut command = Command::new(exe);
        command
            .arg("scale-worker")
            .args(["--nodes", &nodes.join(",")])
            .args(["--first", &share.first.to_string()])
            .args(["--count", &share.count.to_string()]);
        if !share.sources.is_empty() {
            let sources: Vec<String> = share.sources.iter().map(ToString::to_string).collect();
            command.args(["--sources", &sources.join(",")]);
        }
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("starting generator {index}: {e}"))?;
        let stdin = child.stdin.take().expect("stdin is piped");
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut generator = Self {
            child,
            stdin,
            reports: BufReader::new(stdout).lines(),
            index,
        };
        match generator.report(START_TIMEOUT).await? {
            Report::Ready => Ok(generator),
            other => Err(generator.unexpected(&other)),
        }
    }

    /// Sends `order`.
    pub(super) async fn order(&mut self, order: Order) -> Result<(), Error> {
        let line = format!("{order}\n");
        self.stdin
            .write_all(line.as_bytes())
            .await
            .map_err(|e| format!("generator {} does not listen: {e}", self.index))?;
        Ok(self.stdin.flush().await?)
    }

    /// Waits for `opened`; how many clients it opened.
    pub(super) async fn opened(&mut self, timeout: Duration) -> Result<usize, Error> {
        match self.report(timeout).await? {
            Report::Opened(clients) => Ok(clients),
            other => Err(self.unexpected(&other)),
        }
    }

    /// Waits for the report of `round`.
    pub(super) async fn round(
        &mut self,
        round: u64,
        timeout: Duration,
    ) -> Result<RoundReport, Error> {
        match self.report(timeout).await? {
            Report::Round(report) if report.round == round => Ok(report),
            other => Err(self.unexpected(&other)),
        }
    }

    /// The generator's resident set, KiB.
    pub(super) fn rss_kib(&self) -> Result<u64, Error> {
        crate::process::rss_kib(self.pid()?)
    }

    /// CPU time the generator has used so far.
    pub(super) fn cpu_time(&self) -> Result<Duration, Error> {
        crate::process::cpu_time(self.pid()?)
    }

    fn pid(&self) -> Result<u32, Error> {
        Ok(self.child.id().ok_or("a generator has exited")?)
    }

    /// Tells the generator to stop, and kills it if it has not within a few seconds.
    pub(super) async fn stop(mut self) {
        let _ = self.order(Order::Stop).await;
        let exited = tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await;
        if exited.is_err() {
            let _ = self.child.start_kill();
            let _ = self.child.wait().await;
        }
    }

    async fn report(&mut self, timeout: Duration) -> Result<Report, Error> {
        let index = self.index;
        let line = tokio::time::timeout(timeout, self.reports.next_line())
            .await
            .map_err(|_| format!("generator {index} did not report within {timeout:?}"))??
            .ok_or_else(|| format!("generator {index} exited"))?;
        match line.parse::<Report>()? {
            Report::Failed(why) => Err(format!("generator {index}: {why}").into()),
            report => Ok(report),
        }
    }

    fn unexpected(&self, report: &Report) -> Error {
        let line = report.to_string();
        let start = line.split(' ').take(3).collect::<Vec<_>>().join(" ");
        format!("generator {} reported `{start} ..` out of turn", self.index).into()
    }
}
