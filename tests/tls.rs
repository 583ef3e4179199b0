//! The chat examples over TLS: each serves `wss://` and `https://` with a
//! certificate generated at start-up (`OPENWS_TLS=self-signed`) or read from
//! PEM files (`OPENWS_TLS_CERT`, `OPENWS_TLS_KEY`), and a client that checks
//! the certificate against the one it was told to trust connects and chats;
//! one trusting another certificate is refused.

// Shared with the cluster tests; each uses a part.
#[allow(dead_code)]
#[path = "support/example.rs"]
mod example;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use example::Example;
use futures_util::{SinkExt, StreamExt};
use openws_testkit::http_get;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, RootCertStore};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_tungstenite::tungstenite::Message;

const LIMIT: Duration = Duration::from_secs(10);

#[tokio::test]
async fn chat_axum_serves_wss_with_a_self_signed_certificate() {
    self_signed("chat_axum").await;
}

#[tokio::test]
async fn chat_actix_serves_wss_with_a_self_signed_certificate() {
    self_signed("chat_actix").await;
}

#[tokio::test]
async fn chat_warp_serves_wss_with_a_self_signed_certificate() {
    self_signed("chat_warp").await;
}

#[tokio::test]
async fn chat_serves_wss_with_a_certificate_from_pem_files() {
    let dir = std::env::temp_dir().join(format!("openws-tls-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, certified.cert.pem()).unwrap();
    std::fs::write(&key, certified.signing_key.serialize_pem()).unwrap();
    let env = [
        ("OPENWS_TLS_CERT", cert.to_str().unwrap()),
        ("OPENWS_TLS_KEY", key.to_str().unwrap()),
    ];
    for name in ["chat_axum", "chat_actix", "chat_warp"] {
        let server = Example::start(name, &[], &env).await;
        chat_over_tls(server.addr, &trusting(&cert)).await;
    }
    std::fs::remove_dir_all(dir).unwrap();
}

/// From a raw socket: plain HTTP, bytes that are not TLS, and a handshake
/// cut off halfway each get the connection closed (the stalled one within
/// the header-read timeout), and the server goes on serving TLS clients.
#[tokio::test]
async fn bad_tls_from_a_raw_socket_is_closed_and_the_server_goes_on() {
    for name in ["chat_axum", "chat_actix"] {
        let server = Example::start(name, &[], &[("OPENWS_TLS", "self-signed")]).await;
        let pem = certificate_file(&server);
        let not_tls: [&[u8]; 2] = [
            b"GET /openws/spec.json HTTP/1.1\r\nHost: localhost\r\n\r\n",
            &[0x16, 0x03, 0x01, 0xff, 0xff, 0x01, 0x00, 0x00, 0x01],
        ];
        for bytes in not_tls {
            let mut raw = TcpStream::connect(server.addr).await.unwrap();
            raw.write_all(bytes).await.unwrap();
            assert_closed(&mut raw, LIMIT).await;
        }
        // A ClientHello announcing 512 bytes, of which 5 come, then silence:
        // closed within the header-read timeout (5 s; actix's TLS one is 3 s).
        let mut stalled = TcpStream::connect(server.addr).await.unwrap();
        stalled
            .write_all(&[0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03])
            .await
            .unwrap();
        assert_closed(&mut stalled, Duration::from_secs(5) + LIMIT).await;
        chat_over_tls(server.addr, &trusting(&pem)).await;
        std::fs::remove_file(pem).unwrap();
    }
}

/// Waits until the server closes `raw` (whatever it wrote first: a TLS alert).
async fn assert_closed(raw: &mut TcpStream, limit: Duration) {
    let drained = async {
        let mut buffer = [0u8; 1024];
        while let Ok(read) = raw.read(&mut buffer).await {
            if read == 0 {
                return;
            }
        }
    };
    tokio::time::timeout(limit, drained)
        .await
        .expect("the server closes a connection that does not speak TLS");
}

#[tokio::test]
async fn a_half_configured_tls_refuses_to_start() {
    let server = tokio::process::Command::new(
        std::env::current_exe()
            .unwrap()
            .parent()
            .and_then(Path::parent)
            .unwrap()
            .join("examples/chat_axum"),
    )
    .env("OPENWS_ADDR", "127.0.0.1:0")
    .env("OPENWS_TLS_CERT", "/nonexistent/cert.pem")
    .output();
    let output = tokio::time::timeout(LIMIT, server).await.unwrap().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("set both OPENWS_TLS_CERT and OPENWS_TLS_KEY"),
        "{stderr}"
    );
}

/// Starts example `name` with a self-signed certificate, chats with the
/// certificate it logged as trusted, and checks that a client trusting
/// another certificate is refused.
async fn self_signed(name: &str) {
    let server = Example::start(name, &[], &[("OPENWS_TLS", "self-signed")]).await;
    let pem = certificate_file(&server);
    chat_over_tls(server.addr, &trusting(&pem)).await;

    let stranger = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let mut roots = RootCertStore::empty();
    roots.add(stranger.cert.der().clone()).unwrap();
    let refused = tls_connect(server.addr, &client_config(roots)).await;
    let error = refused.expect_err("a certificate the client does not trust");
    assert!(error.to_string().contains("certificate"), "{error}");
    std::fs::remove_file(pem).unwrap();
}

/// The self-signed certificate's file, as the example logged it.
fn certificate_file(server: &Example) -> PathBuf {
    let line = server
        .log_line("self-signed certificate")
        .expect("the certificate's file is logged");
    let path = line
        .split(" at ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .expect("a path in the log line");
    PathBuf::from(path)
}

/// Over TLS: the spec lists `wss` endpoints and names, and a client creates a
/// room and hears back.
async fn chat_over_tls(addr: SocketAddr, config: &Arc<ClientConfig>) {
    let spec = https_get(addr, config, "/openws/spec.json").await;
    let document: Value = serde_json::from_str(&spec).expect("spec is JSON");
    let endpoint = &document["networks"]["chat"]["roles"]["server"]["endpoints"][0];
    assert_eq!(endpoint["scheme"], "wss", "{document}");
    assert_eq!(endpoint["host"], "localhost");
    assert_eq!(endpoint["port"], addr.port());
    assert_eq!(document["name"], "chat");
    openws::Document::from_value(document).expect("valid against the official schema");

    let tls = tls_connect(addr, config).await.expect("TLS handshake");
    let url = format!("wss://localhost:{}/chat", addr.port());
    let (mut socket, _) = tokio_tungstenite::client_async(url, tls)
        .await
        .expect("WebSocket handshake over TLS");
    let create = json!({
        "fromRole": "client",
        "messageName": "createRoom",
        "payload": {"userId": "alice", "roomId": "tls-room"}
    });
    socket
        .send(Message::text(create.to_string()))
        .await
        .unwrap();
    let answer = tokio::time::timeout(LIMIT, socket.next())
        .await
        .expect("an answer in time")
        .expect("an open socket")
        .expect("a frame");
    let answer: Value = serde_json::from_str(answer.to_text().unwrap()).unwrap();
    assert_eq!(answer["messageName"], "joinedRoom", "{answer}");
    assert_eq!(answer["payload"]["roomId"], "tls-room");
}

/// `GET path` over HTTPS; the response body.
async fn https_get(addr: SocketAddr, config: &Arc<ClientConfig>, path: &str) -> String {
    let tls = tls_connect(addr, config).await.expect("TLS handshake");
    let host = format!("localhost:{}", addr.port());
    let get = http_get::request_on(tls, &host, "GET", path, &[], "");
    let response = tokio::time::timeout(LIMIT, get)
        .await
        .expect("an answer in time");
    assert_eq!(response.status, 200, "{response:?}");
    response.body
}

/// A TLS connection to `addr` for the name `localhost`.
async fn tls_connect(
    addr: SocketAddr,
    config: &Arc<ClientConfig>,
) -> std::io::Result<TlsStream<TcpStream>> {
    let tcp = TcpStream::connect(addr).await?;
    let name = ServerName::try_from("localhost").unwrap();
    tokio::time::timeout(
        LIMIT,
        TlsConnector::from(Arc::clone(config)).connect(name, tcp),
    )
    .await
    .expect("TLS handshake in time")
}

/// A client configuration trusting only the certificates in PEM file `pem`.
fn trusting(pem: &Path) -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(pem).expect("the certificate file") {
        roots.add(cert.unwrap()).unwrap();
    }
    client_config(roots)
}

fn client_config(roots: RootCertStore) -> Arc<ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    Arc::new(config)
}
