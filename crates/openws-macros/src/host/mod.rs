//! `#[host]`: the host role as an `impl` block whose `#[handler]` methods answer its messages.

mod expand;
mod handler;

use proc_macro2::{Span, TokenStream};
use syn::parse::Parser;
use syn::spanned::Spanned;
use syn::{Expr, Ident, ImplItem, ItemImpl, LitStr, Path, Type};

use crate::args::{self, last_ident, set_once, type_list, unknown_key};
use crate::role::marker_ident;
use handler::{Handler, Senders};

/// The keys `#[host(...)]` accepts.
const KEYS: &[&str] = &["name", "network", "roles", "description", "module", "crate"];

/// The most sender roles a message can list: the core's role lists are tuples of up to four.
const MAX_SENDERS: usize = 4;

/// What `#[host(...)]` says.
struct HostArgs {
    krate: Path,
    name: LitStr,
    network: LitStr,
    network_description: Option<Expr>,
    roles: Vec<Type>,
    description: Option<Expr>,
    module: Option<Ident>,
}

impl HostArgs {
    fn parse(attr: TokenStream) -> syn::Result<Self> {
        let mut krate = None;
        let mut name = None;
        let mut network = None;
        let mut network_description = None;
        let mut roles = None;
        let mut description = None;
        let mut module = None;
        syn::meta::parser(|meta| {
            if meta.path.is_ident("name") {
                set_once(&mut name, &meta, args::name(&meta)?)
            } else if meta.path.is_ident("network") {
                if meta.input.peek(syn::Token![=]) {
                    return set_once(&mut network, &meta, args::name(&meta)?);
                }
                let mut network_name = None;
                meta.parse_nested_meta(|inner| {
                    if inner.path.is_ident("name") {
                        set_once(&mut network_name, &inner, args::name(&inner)?)
                    } else if inner.path.is_ident("description") {
                        set_once(&mut network_description, &inner, args::text(&inner)?)
                    } else {
                        Err(unknown_key(
                            &inner,
                            "openws::host(network(..))",
                            &["name", "description"],
                        ))
                    }
                })?;
                let network_name = network_name.ok_or_else(|| {
                    meta.error("`network(..)` needs the network's name: `network(name = \"chat\")`")
                })?;
                set_once(&mut network, &meta, network_name)
            } else if meta.path.is_ident("roles") {
                set_once(&mut roles, &meta, type_list(&meta)?)
            } else if meta.path.is_ident("description") {
                set_once(&mut description, &meta, args::text(&meta)?)
            } else if meta.path.is_ident("module") {
                set_once(&mut module, &meta, meta.value()?.parse()?)
            } else if meta.path.is_ident("crate") {
                set_once(&mut krate, &meta, meta.value()?.parse()?)
            } else {
                Err(unknown_key(&meta, "openws::host", KEYS))
            }
        })
        .parse2(attr)?;
        let missing = |what: &str| {
            syn::Error::new(Span::call_site(), format!("`#[openws::host]` needs {what}"))
        };
        Ok(Self {
            krate: krate.unwrap_or_else(args::default_crate),
            name: name.ok_or_else(|| missing("the host role's name in the network: `name = \"server\"`"))?,
            network: network.ok_or_else(|| missing("the network's name: `network = \"chat\"`"))?,
            network_description,
            roles: roles.ok_or_else(|| {
                missing("the network's other roles: `roles = [Client, ...]` (types with `#[openws::role]`)")
            })?,
            description,
            module,
        })
    }
}

/// One host message: its handlers (one per sender at most) and its senders.
struct HostMessage<'a> {
    wire: LitStr,
    marker: Ident,
    handlers: Vec<&'a Handler>,
    description: Option<&'a Expr>,
    /// `None`: every role may send it.
    senders: Option<Vec<&'a Type>>,
}

/// Expands `#[host(...)]` on an inherent `impl` block. On an error the block
/// stays (without its `#[handler]` marks), so the error does not cascade.
pub(crate) fn expand(attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut block: ItemImpl = match syn::parse2(item) {
        Ok(block) => block,
        Err(error) => return error.to_compile_error(),
    };
    let mut handlers = Vec::new();
    let mut errors: Option<syn::Error> = None;
    for item in &mut block.items {
        if let ImplItem::Fn(method) = item {
            match handler::take(method) {
                Ok(Some(handler)) => handlers.push(handler),
                Ok(None) => {}
                Err(error) => combine(&mut errors, error),
            }
        }
    }
    let generated = match errors {
        Some(errors) => Err(errors),
        None => generate(attr, &block, &handlers),
    };
    let generated = generated.unwrap_or_else(syn::Error::into_compile_error);
    quote::quote!(#block #generated)
}

fn generate(attr: TokenStream, block: &ItemImpl, handlers: &[Handler]) -> syn::Result<TokenStream> {
    let args = HostArgs::parse(attr)?;
    if let Some((_, path, _)) = &block.trait_ {
        return Err(syn::Error::new(
            path.span(),
            "`#[openws::host]` goes on the state type's own `impl` block, not on a trait impl",
        ));
    }
    if !block.generics.params.is_empty() {
        return Err(syn::Error::new(
            block.generics.span(),
            "a host state type cannot be generic: it implements one role of one network",
        ));
    }
    let state = last_ident(&block.self_ty).ok_or_else(|| {
        syn::Error::new(
            block.self_ty.span(),
            "`#[openws::host]` needs a named state type",
        )
    })?;
    if handlers.is_empty() {
        return Err(syn::Error::new(
            block.impl_token.span(),
            "mark the methods that answer messages with `#[handler]`",
        ));
    }
    let messages = group(handlers, &args.roles)?;
    let module = args
        .module
        .clone()
        .unwrap_or_else(|| Ident::new(&crate::case::snake(&state), block.self_ty.span()));
    let description = args::description(args.description.clone(), &block.attrs);
    Ok(expand::generate(&expand::Host {
        args: &args,
        self_ty: &block.self_ty,
        module: &module,
        description: description.as_ref(),
        messages: &messages,
    }))
}

fn combine(errors: &mut Option<syn::Error>, error: syn::Error) {
    match errors {
        Some(errors) => errors.combine(error),
        None => *errors = Some(error),
    }
}

/// Groups handlers by message, in order of appearance, and checks who answers whom.
fn group<'a>(handlers: &'a [Handler], roles: &[Type]) -> syn::Result<Vec<HostMessage<'a>>> {
    let known: Vec<String> = roles.iter().filter_map(last_ident).collect();
    let mut messages: Vec<HostMessage<'a>> = Vec::new();
    for handler in handlers {
        let index = match messages
            .iter()
            .position(|m| m.wire.value() == handler.wire.value())
        {
            Some(index) => index,
            None => {
                messages.push(HostMessage {
                    wire: handler.wire.clone(),
                    marker: marker_ident(&handler.wire)?,
                    handlers: Vec::new(),
                    description: None,
                    senders: Some(Vec::new()),
                });
                messages.len() - 1
            }
        };
        let message = &mut messages[index];
        if let Some(text) = &handler.description
            && message.description.replace(text).is_some()
        {
            return Err(syn::Error::new(
                text.span(),
                format!(
                    "message `{}` is described by another handler already",
                    message.wire.value()
                ),
            ));
        }
        add_senders(message, handler, &known)?;
        message.handlers.push(handler);
    }
    if let Some((a, b)) = messages.iter().enumerate().find_map(|(i, a)| {
        messages[i + 1..]
            .iter()
            .find(|b| b.marker == a.marker)
            .map(|b| (a, b))
    }) {
        return Err(syn::Error::new(
            b.wire.span(),
            format!(
                "messages `{}` and `{}` would share the marker type `{}`; rename one",
                a.wire.value(),
                b.wire.value(),
                a.marker
            ),
        ));
    }
    Ok(messages)
}

/// Adds `handler`'s roles to the message's senders, refusing a role answered twice.
fn add_senders<'a>(
    message: &mut HostMessage<'a>,
    handler: &'a Handler,
    known: &[String],
) -> syn::Result<()> {
    let wire = message.wire.value();
    let previous = |role: Option<&str>| {
        message
            .handlers
            .iter()
            .find(|h| match (role, h.senders()) {
                (None, Senders::Anyone) => true,
                (Some(role), Senders::Roles(roles)) => {
                    roles.iter().any(|r| last_ident(r).as_deref() == Some(role))
                }
                _ => false,
            })
            .map(|h| h.method.to_string())
    };
    match handler.senders() {
        Senders::Anyone => {
            if let Some(first) = previous(None) {
                return Err(syn::Error::new(
                    handler.method.span(),
                    format!(
                        "message `{wire}` already has a handler for every sender: `{first}`; give this one `from = [..]`"
                    ),
                ));
            }
            message.senders = None;
        }
        Senders::Roles(roles) => {
            for (i, role) in roles.iter().enumerate() {
                let Some(name) = last_ident(role) else {
                    return Err(syn::Error::new(role.span(), "expected a role type"));
                };
                if !known.contains(&name) {
                    return Err(syn::Error::new(
                        role.span(),
                        format!(
                            "`{name}` is not a role of this network; `roles = [..]` lists: {}",
                            known.join(", ")
                        ),
                    ));
                }
                let earlier = previous(Some(&name)).or_else(|| {
                    roles[..i]
                        .iter()
                        .any(|r| last_ident(r).as_deref() == Some(name.as_str()))
                        .then(|| handler.method.to_string())
                });
                if let Some(first) = earlier {
                    return Err(syn::Error::new(
                        role.span(),
                        format!(
                            "message `{wire}` already has a handler for role `{name}`: `{first}`"
                        ),
                    ));
                }
                if let Some(senders) = &mut message.senders {
                    senders.push(role);
                }
            }
        }
    }
    if let Some(senders) = &message.senders
        && senders.len() > MAX_SENDERS
    {
        return Err(syn::Error::new(
            handler.method.span(),
            format!(
                "message `{wire}` lists {} senders; at most {MAX_SENDERS} roles can be named (leave `from` out to allow every role)",
                senders.len()
            ),
        ));
    }
    Ok(())
}
