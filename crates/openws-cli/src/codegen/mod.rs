//! `openws codegen`: typed clients for one role of a network.

mod typescript;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use openws_core::spec::{Document, MessageSpec, NetworkSpec};
use serde_json::json;

use crate::failure::Failure;
use crate::{CodegenArgs, Format};

/// A language `openws codegen` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Language {
    /// A TypeScript module for browsers and Node.
    Typescript,
    /// A Rust module for the `openws-client` crate.
    Rust,
}

/// One file to write, relative to the output directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GeneratedFile {
    /// Its path inside the output directory.
    pub(crate) path: PathBuf,
    /// Its text.
    pub(crate) contents: String,
}

/// The role a client is generated for, in its network.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Target<'a> {
    /// The network's name.
    pub(crate) network_name: &'a str,
    /// The network.
    pub(crate) network: &'a NetworkSpec,
    /// The client's role.
    pub(crate) role: &'a str,
    /// The role the client connects to (marked `x-host`).
    pub(crate) host: &'a str,
}

impl<'a> Target<'a> {
    /// Picks the network (`network`, or the only one) and checks `role` can be a client of it.
    pub(crate) fn pick(
        document: &'a Document,
        network: Option<&str>,
        role: &str,
    ) -> Result<Self, Failure> {
        let names = |names: Vec<&String>| {
            names
                .into_iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let (network_name, network) = match network {
            Some(name) => document.networks.get_key_value(name).ok_or_else(|| {
                Failure::Usage(format!(
                    "the spec has no network `{name}`; it has {}",
                    names(document.networks.keys().collect())
                ))
            })?,
            None if document.networks.len() == 1 => document.networks.first().expect("one network"),
            None => {
                return Err(Failure::Usage(format!(
                    "the spec has several networks ({}): choose one with --network",
                    names(document.networks.keys().collect())
                )));
            }
        };
        let host = network.host_role().ok_or_else(|| {
            Failure::Usage(format!(
                "network `{network_name}` marks no host role (`\"x-host\": true`), so there is no server to connect to"
            ))
        })?;
        let clients: Vec<&String> = network.roles.keys().filter(|r| *r != host).collect();
        if role == host {
            return Err(Failure::Usage(format!(
                "`{role}` is the host role of `{network_name}`; generate a client for {}",
                names(clients)
            )));
        }
        let (role, _) = network.roles.get_key_value(role).ok_or_else(|| {
            Failure::Usage(format!(
                "network `{network_name}` has no role `{role}`; its client roles are {}",
                names(clients.clone())
            ))
        })?;
        Ok(Self {
            network_name,
            network,
            role,
            host,
        })
    }

    /// The messages the client may send to the host, by name.
    pub(crate) fn sends(&self) -> impl Iterator<Item = (&'a String, &'a MessageSpec)> + use<'a> {
        let role = self.role;
        self.network.roles[self.host]
            .messages
            .iter()
            .filter(move |(_, message)| message.allows(role))
    }

    /// The messages the client may receive from the host, by name.
    pub(crate) fn receives(&self) -> impl Iterator<Item = (&'a String, &'a MessageSpec)> + use<'a> {
        let host = self.host;
        self.network.roles[self.role]
            .messages
            .iter()
            .filter(move |(_, message)| message.allows(host))
    }
}

/// `openws codegen <language> spec -o dir --role r`: writes the files and lists them.
pub(crate) fn run(args: CodegenArgs, format: Format) -> Result<ExitCode, Failure> {
    let document = args.spec.load()?;
    let target = Target::pick(&document, args.network.as_deref(), &args.role)?;
    let files = match args.language {
        Language::Typescript => typescript::generate(&target),
        Language::Rust => vec![rust(&document, &target)?],
    };
    let written = write_all(&args.out, &files)?;
    match format {
        Format::Json => println!("{:#}", json!({ "files": written })),
        Format::Text | Format::Yaml => {
            for path in &written {
                println!("wrote {path}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The module of `openws-client`'s generator, as `<network>_<role>.rs`.
fn rust(document: &Document, target: &Target<'_>) -> Result<GeneratedFile, Failure> {
    let contents = openws_client::codegen::rust(document, target.network_name, target.role)
        .map_err(|error| Failure::Usage(error.to_string()))?;
    let name = openws_client::codegen::module_name(target.network_name, target.role);
    Ok(GeneratedFile {
        path: format!("{name}.rs").into(),
        contents,
    })
}

/// Writes every file under `dir` (created if missing); returns the paths written.
fn write_all(dir: &Path, files: &[GeneratedFile]) -> Result<Vec<String>, Failure> {
    let cannot = |path: &Path, error: std::io::Error| {
        Failure::Io(format!("cannot write {}: {error}", path.display()))
    };
    std::fs::create_dir_all(dir).map_err(|e| cannot(dir, e))?;
    files
        .iter()
        .map(|file| {
            let path = dir.join(&file.path);
            std::fs::write(&path, &file.contents).map_err(|e| cannot(&path, e))?;
            Ok(path.display().to_string())
        })
        .collect()
}
