//! Where a spec comes from (a file, standard input, or a running server) and
//! the `export` command that prints a server's spec.

use std::fmt;
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;
use std::str::FromStr;
use std::time::Duration;

use openws_core::{Document, Networks};

use crate::Format;
use crate::failure::Failure;

/// How long fetching a spec from a server may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(30);

/// A spec argument: a file path, `-` for standard input, or an `http://` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Source {
    /// A file.
    Path(PathBuf),
    /// Standard input.
    Stdin,
    /// A URL to `GET`, already completed with the spec path when it had none.
    Url(String),
}

impl FromStr for Source {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text == "-" {
            return Ok(Source::Stdin);
        }
        let Some((scheme, rest)) = text.split_once("://") else {
            return Ok(Source::Path(PathBuf::from(text)));
        };
        match scheme.to_ascii_lowercase().as_str() {
            "http" | "ws" => Ok(Source::Url(spec_url(rest))),
            "https" | "wss" => Err(format!(
                "{scheme}:// is not supported (this build speaks plain HTTP only); \
                 download the spec (e.g. with curl) and pass the file"
            )),
            _ => Err(format!(
                "unknown URL scheme `{scheme}`: pass a file, `-` or an http:// URL"
            )),
        }
    }
}

/// `http://` + `rest`, with the spec endpoint's path when `rest` has no path.
fn spec_url(rest: &str) -> String {
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    if path.is_empty() {
        format!("http://{authority}{}", Networks::SPEC_PATH)
    } else {
        format!("http://{authority}/{path}")
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Path(path) => write!(f, "{}", path.display()),
            Source::Stdin => f.write_str("<stdin>"),
            Source::Url(url) => f.write_str(url),
        }
    }
}

impl Source {
    /// The raw text of the spec.
    pub(crate) fn read(&self) -> Result<String, Failure> {
        let cannot = |error: &dyn fmt::Display| Failure::Io(format!("cannot read {self}: {error}"));
        match self {
            Source::Path(path) => std::fs::read_to_string(path).map_err(|e| cannot(&e)),
            Source::Stdin => {
                let mut text = String::new();
                std::io::stdin()
                    .read_to_string(&mut text)
                    .map_err(|e| cannot(&e))?;
                Ok(text)
            }
            Source::Url(url) => fetch(url).map_err(|e| cannot(&e)),
        }
    }

    /// The spec, read and validated (the official schema and the semantic rules).
    pub(crate) fn load(&self) -> Result<Document, Failure> {
        let text = self.read()?;
        Document::from_json_str(&text).map_err(|error| Failure::Invalid {
            label: self.to_string(),
            error,
        })
    }
}

/// `GET url` and its body; a status other than 2xx is an error.
fn fetch(url: &str) -> Result<String, ureq::Error> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(FETCH_TIMEOUT))
        .build()
        .into();
    agent
        .get(url)
        .header("Accept", "application/json")
        .call()?
        .body_mut()
        .read_to_string()
}

/// `openws export`: prints the spec a server serves, as pretty JSON or YAML.
pub(crate) fn export(url: &Source, format: Format) -> Result<ExitCode, Failure> {
    let document = url.load()?;
    print_document(&document, format)?;
    Ok(ExitCode::SUCCESS)
}

/// Prints a JSON document as pretty JSON, or as YAML with [`Format::Yaml`].
pub(crate) fn print_document(
    document: &impl serde::Serialize,
    format: Format,
) -> Result<(), Failure> {
    let text = match format {
        Format::Yaml => serde_yaml_ng::to_string(document)
            .map_err(|e| Failure::Io(format!("cannot write YAML: {e}")))?,
        Format::Text | Format::Json => {
            let mut text = serde_json::to_string_pretty(document)
                .map_err(|e| Failure::Io(format!("cannot write JSON: {e}")))?;
            text.push('\n');
            text
        }
    };
    print!("{text}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> String {
        match text.parse::<Source>() {
            Ok(Source::Url(url)) => url,
            other => panic!("{text}: {other:?}"),
        }
    }

    #[test]
    fn a_server_address_means_its_spec_endpoint() {
        assert_eq!(
            url("http://127.0.0.1:8082"),
            "http://127.0.0.1:8082/openws/spec.json"
        );
        assert_eq!(
            url("http://127.0.0.1:8082/"),
            "http://127.0.0.1:8082/openws/spec.json"
        );
        assert_eq!(
            url("ws://example.test:80/chat/spec.json"),
            "http://example.test:80/chat/spec.json"
        );
    }

    #[test]
    fn paths_stdin_and_unsupported_schemes() {
        assert_eq!(
            "spec.json".parse::<Source>(),
            Ok(Source::Path("spec.json".into()))
        );
        assert_eq!("-".parse::<Source>(), Ok(Source::Stdin));
        assert!(
            "https://x.test"
                .parse::<Source>()
                .unwrap_err()
                .contains("plain HTTP")
        );
        assert!(
            "ftp://x.test"
                .parse::<Source>()
                .unwrap_err()
                .contains("ftp")
        );
    }
}
