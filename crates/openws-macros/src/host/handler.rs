//! A host method marked `#[handler]`: its options, and what each parameter is.

use syn::spanned::Spanned;
use syn::{
    Attribute, Expr, FnArg, GenericArgument, Ident, ImplItemFn, LitStr, PathArguments, ReturnType,
    Type,
};

use crate::args::{set_once, type_list, unknown_key};
use crate::case;

/// The keys `#[handler(...)]` accepts.
const KEYS: &[&str] = &["name", "from", "description"];

/// A handler method and the message it handles.
pub(crate) struct Handler {
    /// The method.
    pub(crate) method: Ident,
    /// The message's wire name: `name = ".."`, else the method's name in camelCase.
    pub(crate) wire: LitStr,
    /// The message's description, if this handler gives it.
    pub(crate) description: Option<Expr>,
    /// The roles listed in `from = [..]`, if given.
    pub(crate) from: Option<Vec<Type>>,
    /// Whether the method takes `&self` (the shared state).
    pub(crate) takes_self: bool,
    /// What each parameter after the receiver is, in order.
    pub(crate) params: Vec<Param>,
    /// The payload type.
    pub(crate) payload: Type,
    /// `R` of a `TypedPeer<R>` parameter.
    pub(crate) peer: Option<Type>,
}

/// What a handler parameter receives.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Param {
    /// The call's `Ctx<Self>`.
    Ctx,
    /// The sender's `TypedPeer<R>`.
    Peer,
    /// The deserialized payload.
    Payload,
}

/// The roles a handler answers.
pub(crate) enum Senders<'a> {
    /// Every role (no `from`, no typed peer).
    Anyone,
    /// These roles.
    Roles(Vec<&'a Type>),
}

impl Handler {
    /// A handler with a typed peer answers that peer's role; otherwise the roles
    /// of its `from`, or every role.
    pub(crate) fn senders(&self) -> Senders<'_> {
        match (&self.peer, &self.from) {
            (Some(peer), _) => Senders::Roles(vec![peer]),
            (None, Some(from)) => Senders::Roles(from.iter().collect()),
            (None, None) => Senders::Anyone,
        }
    }
}

/// Takes the `#[handler]` attribute off `method` and reads the method; `None`
/// when the method is not a handler.
pub(crate) fn take(method: &mut ImplItemFn) -> syn::Result<Option<Handler>> {
    let mut marks = Vec::new();
    method.attrs.retain(|attr| {
        let is_handler = is_handler_attr(attr);
        if is_handler {
            marks.push(attr.clone());
        }
        !is_handler
    });
    let Some(mark) = marks.first() else {
        return Ok(None);
    };
    if let Some(second) = marks.get(1) {
        return Err(syn::Error::new(
            second.span(),
            "a method handles one message: `#[handler]` is given twice",
        ));
    }
    let options = Options::parse(mark)?;
    read(method, options).map(Some)
}

fn is_handler_attr(attr: &Attribute) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|segment| segment.ident == "handler")
}

#[derive(Default)]
struct Options {
    name: Option<LitStr>,
    from: Option<Vec<Type>>,
    description: Option<Expr>,
}

impl Options {
    fn parse(attr: &Attribute) -> syn::Result<Self> {
        let mut options = Self::default();
        if matches!(attr.meta, syn::Meta::Path(_)) {
            return Ok(options);
        }
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("name") {
                set_once(&mut options.name, &meta, crate::args::name(&meta)?)
            } else if meta.path.is_ident("from") {
                set_once(&mut options.from, &meta, type_list(&meta)?)
            } else if meta.path.is_ident("description") {
                set_once(&mut options.description, &meta, crate::args::text(&meta)?)
            } else {
                Err(unknown_key(&meta, "handler", KEYS))
            }
        })?;
        Ok(options)
    }
}

fn read(method: &ImplItemFn, options: Options) -> syn::Result<Handler> {
    let sig = &method.sig;
    if sig.asyncness.is_none() {
        return Err(syn::Error::new(
            sig.fn_token.span(),
            "a handler is an `async fn`",
        ));
    }
    if !sig.generics.params.is_empty() {
        return Err(syn::Error::new(
            sig.generics.span(),
            "a handler cannot be generic: the payload type is the message's schema",
        ));
    }
    if let ReturnType::Default = sig.output {
        return Err(syn::Error::new(
            sig.paren_token.span.close(),
            "a handler returns `Result<(), E>` where `E: Into<HandlerError>`",
        ));
    }
    let mut takes_self = false;
    let mut params = Vec::new();
    let mut payload = None;
    let mut peer = None;
    for input in &sig.inputs {
        let typed = match input {
            FnArg::Receiver(receiver) => {
                if receiver.reference.is_none() || receiver.mutability.is_some() {
                    return Err(syn::Error::new(
                        receiver.span(),
                        "a handler takes `&self`: every connection shares the state (use interior mutability to change it)",
                    ));
                }
                takes_self = true;
                continue;
            }
            FnArg::Typed(typed) => typed,
        };
        let kind = classify(&typed.ty)?;
        let taken = match kind {
            Param::Ctx => params.contains(&Param::Ctx),
            Param::Peer => peer.replace(peer_role(&typed.ty)?).is_some(),
            Param::Payload => payload.replace((*typed.ty).clone()).is_some(),
        };
        if taken {
            let what = match kind {
                Param::Ctx => "one `Ctx<Self>`",
                Param::Peer => "one `TypedPeer<..>`",
                Param::Payload => {
                    "one payload (the parameter that is neither `Ctx<Self>` nor `TypedPeer<..>`)"
                }
            };
            return Err(syn::Error::new(
                typed.span(),
                format!("a handler takes at most {what}"),
            ));
        }
        params.push(kind);
    }
    let payload = payload.ok_or_else(|| {
        syn::Error::new(
            sig.paren_token.span.join(),
            "a handler takes the message's payload: add a parameter such as `payload: MyPayload`",
        )
    })?;
    if let (Some(peer), Some(from)) = (&peer, &options.from)
        && from.len() > 1
    {
        return Err(syn::Error::new(
            from[1].span(),
            format!(
                "a handler taking `TypedPeer<{}>` answers that role only: list just it in `from`, or take `Ctx<Self>` and use `ctx.peer()` to answer several roles",
                quote::quote!(#peer).to_string().replace(' ', "")
            ),
        ));
    }
    let wire = options.name.unwrap_or_else(|| {
        LitStr::new(&case::lower_camel(&sig.ident.to_string()), sig.ident.span())
    });
    Ok(Handler {
        method: sig.ident.clone(),
        wire,
        description: options.description,
        from: options.from,
        takes_self,
        params,
        payload,
        peer,
    })
}

/// Sorts a parameter by its type: `Ctx<..>`, `TypedPeer<..>`, or the payload.
fn classify(ty: &Type) -> syn::Result<Param> {
    if let Type::Reference(reference) = ty
        && let Some(name) = last_segment_name(&reference.elem).filter(|n| is_special(n))
    {
        return Err(syn::Error::new(
            ty.span(),
            format!("take `{name}<..>` by value: the handler owns it"),
        ));
    }
    Ok(match last_segment_name(ty).as_deref() {
        Some("Ctx") => Param::Ctx,
        Some("TypedPeer") => Param::Peer,
        _ => Param::Payload,
    })
}

fn is_special(name: &str) -> bool {
    name == "Ctx" || name == "TypedPeer"
}

fn last_segment_name(ty: &Type) -> Option<String> {
    match ty {
        Type::Path(path) => path.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

/// `R` of `TypedPeer<R>`.
fn peer_role(ty: &Type) -> syn::Result<Type> {
    if let Type::Path(path) = ty
        && let Some(segment) = path.path.segments.last()
        && let PathArguments::AngleBracketed(args) = &segment.arguments
        && let [GenericArgument::Type(role)] = args.args.iter().collect::<Vec<_>>()[..]
    {
        return Ok(role.clone());
    }
    Err(syn::Error::new(
        ty.span(),
        "name the sender's role: `TypedPeer<Role>`",
    ))
}
