//! `#[role]`: a remote role, the messages it receives, and the peer methods that send them.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::parse::{Parse, ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{DeriveInput, Expr, Ident, LitStr, Path, Token, Type};

use crate::args::{self, set_once, unknown_key};
use crate::case;
use crate::declare::{self, RoleDecl};

/// The keys `#[role(...)]` accepts.
const KEYS: &[&str] = &[
    "name",
    "description",
    "messages",
    "module",
    "peer_trait",
    "crate",
];

/// Methods of `TypedPeer` a generated peer method would be shadowed by or clash with.
const TAKEN_METHODS: &[&str] = &["send", "peer", "clone", "fmt"];

struct RoleArgs {
    krate: Path,
    name: LitStr,
    description: Option<Expr>,
    messages: Vec<MessageEntry>,
    module: Option<Ident>,
    peer_trait: Option<Ident>,
}

/// One entry of `messages(...)`: `joined_room(name = "..", description = ".."): JoinedRoom`.
struct MessageEntry {
    method: Ident,
    name: Option<LitStr>,
    description: Option<Expr>,
    payload: Type,
}

impl RoleArgs {
    fn parse(attr: TokenStream) -> syn::Result<Self> {
        let mut krate = None;
        let mut name = None;
        let mut description = None;
        let mut messages = None;
        let mut module = None;
        let mut peer_trait = None;
        syn::meta::parser(|meta| {
            if meta.path.is_ident("name") {
                set_once(&mut name, &meta, args::name(&meta)?)
            } else if meta.path.is_ident("description") {
                set_once(&mut description, &meta, args::text(&meta)?)
            } else if meta.path.is_ident("messages") {
                let content;
                syn::parenthesized!(content in meta.input);
                let list = Punctuated::<MessageEntry, Token![,]>::parse_terminated(&content)?;
                set_once(&mut messages, &meta, list.into_iter().collect())
            } else if meta.path.is_ident("module") {
                set_once(&mut module, &meta, meta.value()?.parse()?)
            } else if meta.path.is_ident("peer_trait") {
                set_once(&mut peer_trait, &meta, meta.value()?.parse()?)
            } else if meta.path.is_ident("crate") {
                set_once(&mut krate, &meta, meta.value()?.parse()?)
            } else {
                Err(unknown_key(&meta, "openws::role", KEYS))
            }
        })
        .parse2(attr)?;
        let name = name.ok_or_else(|| {
            syn::Error::new(
                Span::call_site(),
                "`#[openws::role]` needs the role's name in the network: `name = \"client\"`",
            )
        })?;
        Ok(Self {
            krate: krate.unwrap_or_else(args::default_crate),
            name,
            description,
            messages: messages.unwrap_or_default(),
            module,
            peer_trait,
        })
    }
}

impl Parse for MessageEntry {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let method: Ident = input.parse()?;
        let mut name = None;
        let mut description = None;
        if input.peek(syn::token::Paren) {
            let content;
            syn::parenthesized!(content in input);
            let options: TokenStream = content.parse()?;
            syn::meta::parser(|meta| {
                if meta.path.is_ident("name") {
                    set_once(&mut name, &meta, args::name(&meta)?)
                } else if meta.path.is_ident("description") {
                    set_once(&mut description, &meta, args::text(&meta)?)
                } else {
                    Err(unknown_key(
                        &meta,
                        "openws::role(messages(..))",
                        &["name", "description"],
                    ))
                }
            })
            .parse2(options)?;
        }
        if !input.peek(Token![:]) {
            return Err(input.error(format!(
                "expected `: PayloadType` after `{method}`, as in `messages({method}: MyPayload)`"
            )));
        }
        input.parse::<Token![:]>()?;
        let payload = input.parse()?;
        Ok(Self {
            method,
            name,
            description,
            payload,
        })
    }
}

/// Expands `#[role(...)]` on a struct or enum. On an error the type stays, so
/// the error does not cascade.
pub(crate) fn expand(attr: TokenStream, item: TokenStream) -> TokenStream {
    let input: DeriveInput = match syn::parse2(item) {
        Ok(input) => input,
        Err(error) => return error.to_compile_error(),
    };
    let generated = generate(attr, &input).unwrap_or_else(syn::Error::into_compile_error);
    quote!(#input #generated)
}

fn generate(attr: TokenStream, input: &DeriveInput) -> syn::Result<TokenStream> {
    let args = RoleArgs::parse(attr)?;
    if !input.generics.params.is_empty() {
        return Err(syn::Error::new(
            input.generics.span(),
            "a role type cannot be generic: it stands for one role of one network",
        ));
    }
    let krate = &args.krate;
    let role = &input.ident;
    let vis = &input.vis;
    let role_name = &args.name;
    let module = args
        .module
        .clone()
        .unwrap_or_else(|| Ident::new(&case::snake(&role.to_string()), role.span()));
    let peer_trait = args
        .peer_trait
        .clone()
        .unwrap_or_else(|| format_ident!("{}Peer", role));

    let messages = resolve(&args.messages)?;
    let declaration = RoleDecl {
        krate,
        role,
        name: role_name,
        host: false,
        description: args::description(args.description.clone(), &input.attrs),
        vis,
        module: &module,
        module_doc: format!(
            "Marker types of the messages role `{}` receives, one per message (generated by `#[openws::role]`).",
            role_name.value()
        ),
        messages: messages
            .iter()
            .map(|m| declare::MessageDecl {
                marker: &m.marker,
                wire: &m.wire,
                payload: &m.decl.payload,
                senders: quote!(#krate::typed::Anyone),
                description: m.decl.description.as_ref(),
                doc: format!(
                    "The `{}` message role `{}` receives (see [`{peer_trait}::{method}`](super::{peer_trait}::{method})).",
                    m.wire.value(),
                    role_name.value(),
                    method = m.decl.method,
                ),
            })
            .collect(),
    }
    .expand();
    let peer = peer_trait_items(&args, input, &module, &peer_trait, &messages);
    Ok(quote! {
        #declaration
        #peer
    })
}

/// The peer trait, with one method per message, and its impl for `TypedPeer<Role>`.
fn peer_trait_items(
    role_args: &RoleArgs,
    input: &DeriveInput,
    module: &Ident,
    peer_trait: &Ident,
    messages: &[Resolved<'_>],
) -> TokenStream {
    let krate = &role_args.krate;
    let role = &input.ident;
    let vis = &input.vis;
    let signatures: Vec<TokenStream> = messages
        .iter()
        .map(|m| {
            let method = &m.decl.method;
            let payload = &m.decl.payload;
            quote! {
                fn #method(&self, payload: &#payload)
                    -> impl ::core::future::Future<
                        Output = ::core::result::Result<(), #krate::SendError>,
                    > + ::core::marker::Send
            }
        })
        .collect();
    let trait_methods = messages.iter().zip(&signatures).map(|(m, signature)| {
        let mut doc = format!(
            "Sends `{}` to this peer; the payload is checked against the message's schema first.",
            m.wire.value()
        );
        if let Some(text) = m.decl.description.as_ref().and_then(args::literal_text) {
            doc = format!("{text}\n\n{doc}");
        }
        quote! {
            #[doc = #doc]
            #signature;
        }
    });
    let impl_methods = messages.iter().zip(&signatures).map(|(m, signature)| {
        let marker = &m.marker;
        quote! {
            #signature {
                self.send::<#module::#marker>(payload)
            }
        }
    });
    let trait_doc = format!(
        "Typed sends to a peer holding role `{}` ([`{role}`]): one method per message it receives.",
        role_args.name.value()
    );

    quote! {
        #[doc = #trait_doc]
        #vis trait #peer_trait {
            #(#trait_methods)*
        }

        impl #peer_trait for #krate::typed::TypedPeer<#role> {
            #(#impl_methods)*
        }
    }
}

/// A declared message with its wire name and marker type.
struct Resolved<'a> {
    decl: &'a MessageEntry,
    wire: LitStr,
    marker: Ident,
}

/// Names every message and refuses clashes.
fn resolve(decls: &[MessageEntry]) -> syn::Result<Vec<Resolved<'_>>> {
    let mut resolved: Vec<Resolved<'_>> = Vec::with_capacity(decls.len());
    for decl in decls {
        let method = decl.method.to_string();
        if TAKEN_METHODS.contains(&method.as_str()) {
            return Err(syn::Error::new(
                decl.method.span(),
                format!(
                    "`{method}` is a method of `TypedPeer` already; name the message's method otherwise and keep its wire name with `{method}(name = \"...\"): ...`"
                ),
            ));
        }
        let wire = decl
            .name
            .clone()
            .unwrap_or_else(|| LitStr::new(&case::lower_camel(&method), decl.method.span()));
        let marker = marker_ident(&wire)?;
        if let Some(first) = resolved
            .iter()
            .find(|r| r.wire.value() == wire.value() || r.marker == marker)
        {
            let message = if first.decl.method == decl.method {
                format!("`{method}` is declared twice")
            } else {
                format!(
                    "`{method}` clashes with `{}`: both make message `{}` (marker type `{marker}`)",
                    first.decl.method,
                    first.wire.value()
                )
            };
            return Err(syn::Error::new(
                wire.span(),
                format!("{message}; a role has one message per name"),
            ));
        }
        resolved.push(Resolved { decl, wire, marker });
    }
    Ok(resolved)
}

/// The marker type's name for a message called `wire`.
pub(crate) fn marker_ident(wire: &LitStr) -> syn::Result<Ident> {
    case::upper_camel(&wire.value())
        .map(|name| Ident::new(&name, wire.span()))
        .ok_or_else(|| {
            syn::Error::new(
                wire.span(),
                format!(
                    "cannot name a Rust type after message `{}`: a message name needs a letter first",
                    wire.value()
                ),
            )
        })
}
