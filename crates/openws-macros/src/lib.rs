#![doc = include_str!("../README.md")]

mod args;
mod case;
mod declare;
mod host;
mod role;

use proc_macro::TokenStream;

/// Declares a remote role: a type standing for the kind of peer that connects,
/// with the messages it receives.
///
/// See the [crate documentation](crate) for the syntax and what is generated.
#[proc_macro_attribute]
pub fn role(attr: TokenStream, item: TokenStream) -> TokenStream {
    role::expand(attr.into(), item.into()).into()
}

/// Declares the host role on an `impl` block of the application's state: its
/// `#[handler]` methods answer the role's messages.
///
/// See the [crate documentation](crate) for the syntax and what is generated.
#[proc_macro_attribute]
pub fn host(attr: TokenStream, item: TokenStream) -> TokenStream {
    host::expand(attr.into(), item.into()).into()
}

/// Marks a method of an [`#[host]`](macro@host) `impl` block as the handler of a message.
///
/// It means nothing elsewhere: `#[host]` reads and removes it. Used on its own
/// it is an error.
#[proc_macro_attribute]
pub fn handler(_attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut out: proc_macro2::TokenStream = syn::Error::new(
        proc_macro2::Span::call_site(),
        "`#[handler]` marks a method of an `impl` block that has `#[openws::host(..)]`",
    )
    .into_compile_error();
    out.extend(proc_macro2::TokenStream::from(item));
    out.into()
}
