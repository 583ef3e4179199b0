//! The spec viewer page in a real browser: headless Chromium (Debian's
//! `chromium`, driven by `playwright-core`, both installed by
//! `scripts/install-browser.sh`) runs the chat flow through `/openws/ui` in
//! two tabs against a real chat server (`tests/browser/viewer.mjs`).
//!
//! Skipped, with a message, only where Chromium is not installed. The
//! screenshot goes to `$OPENWS_VIEWER_SCREENSHOT` (default: this test's
//! temporary directory); `docs/viewer.png` is one.

#[allow(dead_code)]
#[path = "../examples/chat/mod.rs"]
mod chat;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use axum::Router;
use openws::axum::RouterExt;

const BROWSER_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/browser");

/// How long the whole browser run may take.
const RUN_LIMIT: Duration = Duration::from_secs(180);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn viewer_page_drives_the_chat_flow_in_chromium() {
    let chromium = std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    if !chromium.exists() {
        println!(
            "SKIPPED viewer browser test: no Chromium at {} (install it with scripts/install-browser.sh, or set CHROMIUM)",
            chromium.display()
        );
        return;
    }
    assert!(
        Path::new(BROWSER_DIR)
            .join("node_modules/playwright-core")
            .exists(),
        "Chromium is installed but playwright-core is not: run scripts/install-browser.sh"
    );

    let networks = openws::Networks::new().with_viewer();
    let bindings = chat::bindings("viewer-test-token").unwrap();
    let app = Router::new().openws("/chat", bindings, &networks);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let screenshot = std::env::var_os("OPENWS_VIEWER_SCREENSHOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_TARGET_TMPDIR")).join("viewer.png"));
    let run = tokio::process::Command::new("node")
        .arg("viewer.mjs")
        .arg(format!("http://{addr}/openws/ui"))
        .arg(&screenshot)
        .current_dir(BROWSER_DIR)
        .env("CHROMIUM", &chromium)
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(RUN_LIMIT, run)
        .await
        .expect("the browser run finished in time")
        .expect("node runs (install Node.js 20 or newer)");
    server.abort();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    print!("{stdout}");
    assert!(
        output.status.success(),
        "browser run failed:\n{stdout}{stderr}"
    );
    assert!(
        screenshot.exists(),
        "no screenshot at {}",
        screenshot.display()
    );
}
