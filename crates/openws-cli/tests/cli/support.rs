//! What the tests share: the binary, a chat server on a free port, Node and scratch directories.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use axum::Router;
use openws_axum::RouterExt;

/// The portal token of the chat servers these tests start.
pub(crate) use openws_testkit::apps::PORTAL_TOKEN;

/// The committed chat spec (no endpoints).
pub(crate) fn chat_spec() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/chat/chat.openws.json")
}

/// Runs `openws args..`, bounded to a minute.
pub(crate) fn openws(args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_openws"));
    command.args(args);
    bounded(command, Duration::from_secs(60))
}

/// Standard output as text.
pub(crate) fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Standard error as text.
pub(crate) fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Standard output parsed as JSON.
pub(crate) fn stdout_json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", stdout(output)))
}

/// The exit code (panics if the process was killed).
pub(crate) fn code(output: &Output) -> i32 {
    output.status.code().expect("exited, not killed")
}

/// The seed's chat network served by axum on a free loopback port, as the
/// `chat_axum` example serves it (portal token [`PORTAL_TOKEN`]); stops when dropped.
pub(crate) struct ChatServer {
    pub(crate) addr: SocketAddr,
    _runtime: tokio::runtime::Runtime,
}

impl ChatServer {
    pub(crate) fn start() -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("tokio runtime");
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind a free port");
        let addr = listener.local_addr().expect("local address");
        let chat = openws_testkit::apps::chat();
        let app = Router::new().openws(chat.path, chat.bindings, &openws_core::Networks::new());
        runtime.spawn(async move { axum::serve(listener, app).await });
        Self {
            addr,
            _runtime: runtime,
        }
    }

    /// `http://addr`, where the spec is served.
    pub(crate) fn http(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `ws://addr/chat`, the network's WebSocket route.
    pub(crate) fn chat_url(&self) -> String {
        format!("ws://{}/chat", self.addr)
    }
}

/// The npm packages `tests/js/install.sh` installs; panics with what to do when missing.
pub(crate) fn node_modules() -> PathBuf {
    let dir = js_dir().join("node_modules");
    assert!(
        dir.join("typescript").is_dir()
            && dir.join("ws").is_dir()
            && dir.join("@asyncapi/parser").is_dir(),
        "{} is missing or incomplete: run `bash crates/openws-cli/tests/js/install.sh` \
         (npm ci) before `cargo test`; CI's .ci/run does",
        dir.display()
    );
    dir
}

/// `crates/openws-cli/tests/js`: package.json, the fixtures and the scripts.
pub(crate) fn js_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/js")
}

/// A fresh ESM scratch directory `name` with the installed `node_modules` linked in.
pub(crate) fn scratch(name: &str) -> PathBuf {
    let modules = node_modules();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).expect("clear the scratch directory");
    }
    std::fs::create_dir_all(&dir).expect("create the scratch directory");
    std::os::unix::fs::symlink(modules, dir.join("node_modules")).expect("link node_modules");
    std::fs::write(dir.join("package.json"), r#"{"type": "module"}"#).expect("package.json");
    dir
}

/// Copies `tests/js/<file>` into `dir`.
pub(crate) fn copy_fixture(file: &str, dir: &Path) {
    std::fs::copy(js_dir().join(file), dir.join(file))
        .unwrap_or_else(|e| panic!("copy {file}: {e}"));
}

/// Runs `node args..` in `dir`, bounded to a minute.
pub(crate) fn node(dir: &Path, args: &[&str]) -> Output {
    let mut command = Command::new("node");
    command.args(args).current_dir(dir);
    bounded(command, Duration::from_secs(60))
}

/// Runs `tsc -p dir` (the fixture `tsconfig.json` is copied in first).
pub(crate) fn tsc(dir: &Path) -> Output {
    copy_fixture("tsconfig.json", dir);
    node(dir, &["node_modules/typescript/bin/tsc", "-p", "."])
}

/// Runs `command` to completion, killing it after `limit`; output goes through files
/// so a chatty child never blocks on a full pipe.
fn bounded(mut command: Command, limit: Duration) -> Output {
    let capture = tempfile_pair();
    command
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&capture.0).expect("stdout file"))
        .stderr(std::fs::File::create(&capture.1).expect("stderr file"));
    let mut child = command.spawn().unwrap_or_else(|e| {
        panic!(
            "cannot run {:?} (is it installed?): {e}",
            command.get_program()
        )
    });
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the child") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{command:?} did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let output = Output {
        status,
        stdout: std::fs::read(&capture.0).expect("read stdout"),
        stderr: std::fs::read(&capture.1).expect("read stderr"),
    };
    let _ = std::fs::remove_file(&capture.0);
    let _ = std::fs::remove_file(&capture.1);
    output
}

/// Two fresh file paths for a child's standard output and error.
fn tempfile_pair() -> (PathBuf, PathBuf) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("captures");
    std::fs::create_dir_all(&dir).expect("captures directory");
    let stem = format!("{}-{n}", std::process::id());
    (
        dir.join(format!("{stem}.out")),
        dir.join(format!("{stem}.err")),
    )
}
