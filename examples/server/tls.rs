//! TLS for the chat examples, as the environment asks for it.
//!
//! - `OPENWS_TLS=self-signed`: a certificate for `localhost` and `127.0.0.1` is
//!   generated at start-up; its PEM is written to a temporary file (logged) for
//!   clients to trust, e.g. `curl --cacert <file> https://localhost:8082/openws/spec.json`.
//! - `OPENWS_TLS_CERT` and `OPENWS_TLS_KEY`: PEM files of a certificate chain
//!   and its private key.
//! - neither: plain `ws://`.

use std::error::Error;
use std::path::PathBuf;
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The names the self-signed certificate is valid for.
const SELF_SIGNED_NAMES: [&str; 2] = ["localhost", "127.0.0.1"];

/// The TLS configuration the environment asks for, or `None` for plain `ws://`.
pub(crate) fn from_env() -> Result<Option<ServerConfig>, Box<dyn Error>> {
    let mode = std::env::var("OPENWS_TLS").ok();
    let files = (
        std::env::var_os("OPENWS_TLS_CERT").map(PathBuf::from),
        std::env::var_os("OPENWS_TLS_KEY").map(PathBuf::from),
    );
    let (chain, key) = match (mode.as_deref(), files) {
        (None, (None, None)) => return Ok(None),
        (Some("self-signed"), (None, None)) => self_signed()?,
        (None, (Some(cert), Some(key))) => (
            CertificateDer::pem_file_iter(&cert)
                .and_then(Iterator::collect)
                .map_err(|e| format!("OPENWS_TLS_CERT {}: {e}", cert.display()))?,
            PrivateKeyDer::from_pem_file(&key)
                .map_err(|e| format!("OPENWS_TLS_KEY {}: {e}", key.display()))?,
        ),
        (None, _) => return Err("set both OPENWS_TLS_CERT and OPENWS_TLS_KEY, or neither".into()),
        (Some(mode), _) => {
            return Err(format!(
                "OPENWS_TLS={mode:?}: the only mode is `self-signed`, \
                 and it does not combine with OPENWS_TLS_CERT/OPENWS_TLS_KEY"
            )
            .into());
        }
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Some(config))
}

/// A fresh self-signed certificate and its key; the certificate's PEM is
/// written to a temporary file for clients to trust.
fn self_signed() -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), Box<dyn Error>> {
    let names = SELF_SIGNED_NAMES.map(str::to_owned).to_vec();
    let certified = rcgen::generate_simple_self_signed(names)?;
    let path = std::env::temp_dir().join(format!("openws-chat-{}.pem", std::process::id()));
    std::fs::write(&path, certified.cert.pem())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    tracing::info!(
        "self-signed certificate for {} at {} (trust it to connect)",
        SELF_SIGNED_NAMES.join(", "),
        path.display()
    );
    let key = PrivateKeyDer::try_from(certified.signing_key.serialize_der())?;
    Ok((vec![certified.cert.der().clone()], key))
}
