//! Parsing pieces shared by the attributes: keys, type lists, doc comments.

use proc_macro2::{Group, Span, TokenStream, TokenTree};
use syn::meta::ParseNestedMeta;
use syn::punctuated::Punctuated;
use syn::{
    Attribute, Expr, ExprLit, Lit, LitStr, Meta, Path, Token, Type, Visibility, parse_quote,
};

/// The path generated code reaches the runtime through: `::openws` unless `crate = ...` says otherwise.
pub(crate) fn default_crate() -> Path {
    parse_quote!(::openws)
}

/// The key `meta` names, as written.
pub(crate) fn key(meta: &ParseNestedMeta<'_>) -> String {
    let path = &meta.path;
    path.get_ident()
        .map(ToString::to_string)
        .unwrap_or_else(|| quote::quote!(#path).to_string().replace(' ', ""))
}

/// The error for a key the attribute does not know.
pub(crate) fn unknown_key(
    meta: &ParseNestedMeta<'_>,
    attribute: &str,
    keys: &[&str],
) -> syn::Error {
    meta.error(format!(
        "unknown key `{}` in `#[{attribute}]`; expected one of: {}",
        key(meta),
        keys.join(", ")
    ))
}

/// Stores `value` in `slot`, refusing a key given twice.
pub(crate) fn set_once<T>(
    slot: &mut Option<T>,
    meta: &ParseNestedMeta<'_>,
    value: T,
) -> syn::Result<()> {
    if slot.is_some() {
        return Err(meta.error(format!("`{}` is given twice", key(meta))));
    }
    *slot = Some(value);
    Ok(())
}

/// Reads `key = "text"`.
fn string(meta: &ParseNestedMeta<'_>) -> syn::Result<LitStr> {
    let text: LitStr = meta.value()?.parse()?;
    if text.value().is_empty() {
        return Err(syn::Error::new(
            text.span(),
            format!("`{}` cannot be empty", key(meta)),
        ));
    }
    Ok(text)
}

/// Reads `name = "..."`: a network, role or message name, as the OpenWS
/// schema allows them.
pub(crate) fn name(meta: &ParseNestedMeta<'_>) -> syn::Result<LitStr> {
    let name = string(meta)?;
    check_name(&name)?;
    Ok(name)
}

/// Refuses a name the OpenWS schema does not allow: letters, digits, `_` and
/// `-`, starting with a letter and ending with a letter or digit.
pub(crate) fn check_name(name: &LitStr) -> syn::Result<()> {
    let text = name.value();
    let valid = text.starts_with(|c: char| c.is_ascii_alphabetic())
        && text.ends_with(|c: char| c.is_ascii_alphanumeric())
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if valid {
        Ok(())
    } else {
        Err(syn::Error::new(
            name.span(),
            format!(
                "`{text}` is not an OpenWS name: use ASCII letters, digits, `_` and `-`, starting with a letter and ending with a letter or digit"
            ),
        ))
    }
}

/// Reads `description = ..`: a string literal, or any `&'static str` expression
/// (such as a constant shared with other code).
pub(crate) fn text(meta: &ParseNestedMeta<'_>) -> syn::Result<Expr> {
    let text: Expr = meta.value()?.parse()?;
    if literal_text(&text).is_some_and(|t| t.is_empty()) {
        return Err(syn::Error::new_spanned(
            &text,
            format!("`{}` cannot be empty", key(meta)),
        ));
    }
    Ok(text)
}

/// The text of `expr` if it is a string literal.
pub(crate) fn literal_text(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Str(text),
            ..
        }) => Some(text.value()),
        _ => None,
    }
}

/// Reads `key = [A, B]`, or `key = A` for a single type.
pub(crate) fn type_list(meta: &ParseNestedMeta<'_>) -> syn::Result<Vec<Type>> {
    let input = meta.value()?;
    if input.peek(syn::token::Bracket) {
        let content;
        syn::bracketed!(content in input);
        let list = Punctuated::<Type, Token![,]>::parse_terminated(&content)?;
        if list.is_empty() {
            return Err(meta.error(format!("`{} = []` lists no role", key(meta))));
        }
        Ok(list.into_iter().collect())
    } else {
        Ok(vec![input.parse()?])
    }
}

/// The text of the doc comments among `attrs`, one line per `///` line.
pub(crate) fn doc_text(attrs: &[Attribute]) -> Option<String> {
    let lines: Vec<String> = attrs
        .iter()
        .filter(|attr| attr.path().is_ident("doc"))
        .filter_map(|attr| match &attr.meta {
            Meta::NameValue(nv) => match &nv.value {
                Expr::Lit(ExprLit {
                    lit: Lit::Str(text),
                    ..
                }) => Some(text.value()),
                _ => None,
            },
            _ => None,
        })
        .flat_map(|text| {
            text.lines()
                .map(|line| line.strip_prefix(' ').unwrap_or(line).trim_end().to_owned())
                .collect::<Vec<_>>()
        })
        .collect();
    let text = lines.join("\n").trim().to_owned();
    (!text.is_empty()).then_some(text)
}

/// The description of a role: `description = "..."`, else its doc comment.
pub(crate) fn description(explicit: Option<Expr>, attrs: &[Attribute]) -> Option<Expr> {
    explicit.or_else(|| {
        doc_text(attrs).map(|text| {
            Expr::Lit(ExprLit {
                attrs: Vec::new(),
                lit: Lit::Str(LitStr::new(&text, Span::call_site())),
            })
        })
    })
}

/// The last identifier of a type's path (`Client` for `crate::roles::Client`):
/// how role lists are compared before the compiler sees them.
pub(crate) fn last_ident(ty: &Type) -> Option<String> {
    match ty {
        Type::Path(path) if path.qself.is_none() => {
            path.path.segments.last().map(|s| s.ident.to_string())
        }
        Type::Group(group) => last_ident(&group.elem),
        Type::Paren(paren) => last_ident(&paren.elem),
        _ => None,
    }
}

/// `tokens` placed at `span` (for diagnostics), each keeping how it resolves.
pub(crate) fn located_at(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|tree| match tree {
            TokenTree::Group(group) => {
                let mut moved = Group::new(group.delimiter(), located_at(group.stream(), span));
                moved.set_span(group.span().located_at(span));
                TokenTree::Group(moved)
            }
            mut other => {
                other.set_span(other.span().located_at(span));
                other
            }
        })
        .collect()
}

/// The visibility an item inside a new module needs to be seen as far as `vis` reaches.
pub(crate) fn nested_visibility(vis: &Visibility) -> Visibility {
    match vis {
        Visibility::Public(_) => vis.clone(),
        Visibility::Inherited => parse_quote!(pub(super)),
        Visibility::Restricted(restricted) => {
            let path = &restricted.path;
            let first = path.segments.first().map(|s| s.ident.to_string());
            match first.as_deref() {
                Some("crate") => vis.clone(),
                Some("self") if path.segments.len() == 1 => parse_quote!(pub(super)),
                _ => parse_quote!(pub(in super::#path)),
            }
        }
    }
}
