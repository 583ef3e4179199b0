//! What both macros generate for a role: its module of marker types, its
//! `impl RoleType`, and one `impl MessageType` per message.

use proc_macro2::TokenStream;
use quote::quote;
use syn::spanned::Spanned;
use syn::{Expr, Ident, LitStr, Path, Type, Visibility};

use crate::args;

/// A role and the messages it accepts, ready to generate.
pub(crate) struct RoleDecl<'a> {
    /// Where the `openws` crate is.
    pub(crate) krate: &'a Path,
    /// The role type.
    pub(crate) role: &'a dyn quote::ToTokens,
    /// The role's name in the network.
    pub(crate) name: &'a LitStr,
    /// Whether the role is the host role.
    pub(crate) host: bool,
    /// The role's description.
    pub(crate) description: Option<Expr>,
    /// The visibility of the module of marker types.
    pub(crate) vis: &'a Visibility,
    /// The module of marker types.
    pub(crate) module: &'a Ident,
    /// The module's doc comment.
    pub(crate) module_doc: String,
    /// The messages the role accepts.
    pub(crate) messages: Vec<MessageDecl<'a>>,
}

/// One message a role accepts.
pub(crate) struct MessageDecl<'a> {
    /// The marker type's name.
    pub(crate) marker: &'a Ident,
    /// The wire name.
    pub(crate) wire: &'a LitStr,
    /// The payload type.
    pub(crate) payload: &'a Type,
    /// The `Senders` type: a tuple of roles, or `Anyone`.
    pub(crate) senders: TokenStream,
    /// The message's description.
    pub(crate) description: Option<&'a Expr>,
    /// The marker type's doc comment.
    pub(crate) doc: String,
}

impl RoleDecl<'_> {
    /// The module of markers, `impl RoleType` and the `impl MessageType`s.
    pub(crate) fn expand(&self) -> TokenStream {
        let Self {
            krate,
            role,
            name,
            module,
            module_doc,
            vis,
            ..
        } = self;
        let inner_vis = args::nested_visibility(vis);
        let markers = self.messages.iter().map(|m| {
            let (marker, doc) = (m.marker, &m.doc);
            quote! {
                #[doc = #doc]
                #[derive(Debug, Clone, Copy, Default)]
                #inner_vis struct #marker;
            }
        });
        let message_impls = self.messages.iter().map(|m| self.message_impl(m));
        let declared = self.messages.iter().map(|m| {
            let marker = m.marker;
            quote!(.message(<#module::#marker as #krate::typed::MessageType>::declare()))
        });
        let constructor = if self.host { quote!(host) } else { quote!(new) };
        let description = self
            .description
            .as_ref()
            .map(|text| quote!(.description(#text)));
        quote! {
            #[doc = #module_doc]
            #vis mod #module {
                #(#markers)*
            }

            impl #krate::typed::RoleType for #role {
                const NAME: &'static str = #name;
                fn declare() -> #krate::Role {
                    #krate::Role::#constructor(<Self as #krate::typed::RoleType>::NAME)
                        #description
                        #(#declared)*
                }
            }

            #(#message_impls)*
        }
    }

    fn message_impl(&self, message: &MessageDecl<'_>) -> TokenStream {
        let Self {
            krate,
            role,
            module,
            ..
        } = self;
        let MessageDecl {
            marker,
            wire,
            payload,
            senders,
            ..
        } = message;
        // Errors about the payload type (no `JsonSchema`, less visible than the
        // role, ...) point at it.
        let payload_item = args::located_at(quote!(type Payload = #payload;), payload.span());
        let description = message.description.map(|text| {
            quote! {
                fn description() -> ::core::option::Option<&'static str> {
                    ::core::option::Option::Some(#text)
                }
            }
        });
        quote! {
            impl #krate::typed::MessageType for #module::#marker {
                const NAME: &'static str = #wire;
                #payload_item
                type Receiver = #role;
                type Senders = #senders;
                #description
            }
        }
    }
}
