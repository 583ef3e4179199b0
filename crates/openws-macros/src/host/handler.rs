//! A host method marked `#[handler]`: its options, and what each parameter is.

use syn::spanned::Spanned;
use syn::{
    Attribute, Expr, FnArg, GenericArgument, Ident, ImplItemFn, LitStr, PathArguments, Type,
};

use crate::args::{set_once, type_list, unknown_key};
use crate::case;

/// The keys `#[handler(...)]` accepts.
const KEYS: &[&str] = &["name", "from", "description", "guard"];

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
    /// The guards of `guard = ..`, in order.
    pub(crate) guards: Vec<Expr>,
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
pub(crate) enum Param {
    /// An extractor of this type (`Ctx<Self>`, `TypedPeer<R>`, `ConnState<T>`, ...).
    Extractor(Box<Type>),
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
    guards: Vec<Expr>,
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
            } else if meta.path.is_ident("guard") {
                options.guards.push(meta.value()?.parse()?);
                Ok(())
            } else {
                Err(unknown_key(&meta, "handler", KEYS))
            }
        })?;
        Ok(options)
    }
}

fn read(method: &mut ImplItemFn, options: Options) -> syn::Result<Handler> {
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
    let marked = take_payload_marks(method)?;
    let sig = &method.sig;
    let mut takes_self = false;
    let mut typed_params = Vec::new();
    for input in &sig.inputs {
        match input {
            FnArg::Receiver(receiver) => {
                if receiver.reference.is_none() || receiver.mutability.is_some() {
                    return Err(syn::Error::new(
                        receiver.span(),
                        "a handler takes `&self`: every connection shares the state (use interior mutability to change it)",
                    ));
                }
                takes_self = true;
            }
            FnArg::Typed(typed) => typed_params.push(typed),
        }
    }
    let Some(last) = typed_params.len().checked_sub(1) else {
        return Err(syn::Error::new(
            sig.paren_token.span.join(),
            "a handler takes the message's payload: add a parameter such as `payload: MyPayload`",
        ));
    };
    let payload_at = marked.unwrap_or(last);
    let mut params = Vec::new();
    let mut peer = None;
    for (i, typed) in typed_params.iter().enumerate() {
        if let Type::Reference(reference) = &*typed.ty {
            return Err(syn::Error::new(
                reference.span(),
                "take handler arguments by value: the handler owns them",
            ));
        }
        if i == payload_at {
            if marked.is_none() && is_extractor_name(&typed.ty) {
                return Err(syn::Error::new(
                    typed.ty.span(),
                    "the payload is the last parameter: put it last, or mark it with `#[payload]`",
                ));
            }
            params.push(Param::Payload);
            continue;
        }
        if last_segment_name(&typed.ty).as_deref() == Some("TypedPeer")
            && peer.replace(peer_role(&typed.ty)?).is_some()
        {
            return Err(syn::Error::new(
                typed.span(),
                "a handler takes at most one `TypedPeer<..>`",
            ));
        }
        params.push(Param::Extractor(typed.ty.clone()));
    }
    let payload = (*typed_params[payload_at].ty).clone();
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
        guards: options.guards,
        takes_self,
        params,
        payload,
        peer,
    })
}

/// Takes `#[payload]` off the method's parameters; the index (among the
/// parameters after the receiver) of the one it marked.
fn take_payload_marks(method: &mut ImplItemFn) -> syn::Result<Option<usize>> {
    let mut marked = None;
    let typed = method
        .sig
        .inputs
        .iter_mut()
        .filter_map(|input| match input {
            FnArg::Typed(typed) => Some(typed),
            FnArg::Receiver(_) => None,
        });
    for (i, param) in typed.enumerate() {
        let before = param.attrs.len();
        param.attrs.retain(|attr| !attr.path().is_ident("payload"));
        if param.attrs.len() != before && marked.replace(i).is_some() {
            return Err(syn::Error::new(
                param.span(),
                "a handler has one payload: `#[payload]` marks one parameter",
            ));
        }
    }
    Ok(marked)
}

/// Whether the type is one of the core's extractors by name (so it cannot
/// be the payload a handler forgot to put last).
fn is_extractor_name(ty: &Type) -> bool {
    matches!(
        last_segment_name(ty).as_deref(),
        Some("Ctx" | "TypedPeer" | "Peer" | "State" | "ConnState" | "Hub" | "ConnectionId")
    )
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
