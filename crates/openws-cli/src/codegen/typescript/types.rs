//! JSON Schema to TypeScript types.
//!
//! Covers what payload schemas use: `type` (one or several), `properties` and
//! `required`, `additionalProperties`, `items` and tuples, `enum` and `const`,
//! `anyOf` / `oneOf` (unions), `allOf` (intersections), `nullable`, and
//! `$ref`s to the payload's own `definitions` / `$defs`, which become named
//! types. Anything else is `unknown`: the type never claims more than the
//! schema says.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

/// Named TypeScript declarations built from schemas, with unique names.
#[derive(Debug, Default)]
pub(super) struct Declarations {
    /// Names taken, by declarations or by the caller ([`Declarations::reserve`]).
    taken: BTreeSet<String>,
    /// Schemas already declared, with their names, to share one declaration.
    declared: Vec<(Value, String)>,
    /// The TypeScript text, in declaration order.
    text: String,
}

/// How a payload's `$ref`s map to declared names.
type Refs = BTreeMap<String, String>;

impl Declarations {
    /// Keeps `name` free for the caller's own declarations.
    pub(super) fn reserve(&mut self, name: &str) {
        self.taken.insert(name.to_owned());
    }

    /// The declarations so far.
    pub(super) fn text(&self) -> &str {
        &self.text
    }

    /// Declares the type of a payload `schema`, named after its `title` or `fallback`;
    /// returns the name. An identical schema declared before is reused.
    pub(super) fn declare_payload(&mut self, schema: &Value, fallback: &str) -> String {
        let mut refs = Refs::new();
        for keyword in ["definitions", "$defs"] {
            let Some(Value::Object(definitions)) = schema.get(keyword) else {
                continue;
            };
            // Names first, so definitions may refer to each other (or themselves).
            let named: Vec<(&String, &Value, String)> = definitions
                .iter()
                .map(|(name, definition)| {
                    let type_name = self.name_for(definition, name);
                    refs.insert(format!("#/{keyword}/{name}"), type_name.clone());
                    (name, definition, type_name)
                })
                .collect();
            for (_, definition, type_name) in named {
                self.declare(&type_name, definition, &refs);
            }
        }
        let title = schema
            .get("title")
            .and_then(Value::as_str)
            .unwrap_or(fallback);
        if let Some(name) = self.existing(schema) {
            return name;
        }
        let name = self.unique(&pascal_case(title));
        self.declare(&name, schema, &refs);
        name
    }

    /// The name of an identical schema already declared, or a fresh name from `base`.
    fn name_for(&mut self, schema: &Value, base: &str) -> String {
        self.existing(schema)
            .unwrap_or_else(|| self.unique(&pascal_case(base)))
    }

    fn existing(&self, schema: &Value) -> Option<String> {
        self.declared
            .iter()
            .find(|(declared, _)| declared == schema)
            .map(|(_, name)| name.clone())
    }

    /// `base`, or `base2`, `base3`, ... whichever is free; marks it taken.
    fn unique(&mut self, base: &str) -> String {
        let mut name = base.to_owned();
        let mut n = 2;
        while self.taken.contains(&name) {
            name = format!("{base}{n}");
            n += 1;
        }
        self.taken.insert(name.clone());
        name
    }

    /// Appends `export interface name {..}` (an object schema) or `export type name = ..;`.
    fn declare(&mut self, name: &str, schema: &Value, refs: &Refs) {
        if self.declared.iter().any(|(_, declared)| declared == name) {
            return;
        }
        self.declared.push((schema.clone(), name.to_owned()));
        let mut declaration = doc_comment(schema, "");
        let body = ts_type(schema, refs, 0);
        if is_plain_object(schema) && body.starts_with('{') {
            declaration.push_str(&format!("export interface {name} {body}\n\n"));
        } else {
            declaration.push_str(&format!("export type {name} = {body};\n\n"));
        }
        self.text.push_str(&declaration);
    }
}

/// Whether the schema is only an object shape (an interface can declare it).
fn is_plain_object(schema: &Value) -> bool {
    let Some(map) = schema.as_object() else {
        return false;
    };
    let only_object = match map.get("type") {
        None => map.contains_key("properties"),
        Some(Value::String(t)) => t == "object",
        Some(_) => false,
    };
    only_object
        && map.get("properties").is_some_and(Value::is_object)
        && ![
            "anyOf", "oneOf", "allOf", "enum", "const", "$ref", "nullable",
        ]
        .iter()
        .any(|k| map.contains_key(*k))
}

/// The TypeScript type of `schema`; `depth` is the nesting level, for indentation.
pub(super) fn ts_type(schema: &Value, refs: &Refs, depth: usize) -> String {
    let map = match schema {
        Value::Bool(true) => return "unknown".to_owned(),
        Value::Bool(false) => return "never".to_owned(),
        Value::Object(map) => map,
        _ => return "unknown".to_owned(),
    };
    let mut ty = base_type(map, refs, depth);
    if map.get("nullable") == Some(&Value::Bool(true)) && ty != "unknown" {
        ty = union([ty, "null".to_owned()]);
    }
    ty
}

fn base_type(map: &Map<String, Value>, refs: &Refs, depth: usize) -> String {
    if let Some(Value::String(reference)) = map.get("$ref") {
        return refs
            .get(reference)
            .cloned()
            .unwrap_or_else(|| "unknown".to_owned());
    }
    if let Some(value) = map.get("const") {
        return literal(value);
    }
    if let Some(Value::Array(values)) = map.get("enum") {
        return union(values.iter().map(literal));
    }
    for keyword in ["anyOf", "oneOf"] {
        if let Some(Value::Array(options)) = map.get(keyword) {
            return union(options.iter().map(|o| ts_type(o, refs, depth)));
        }
    }
    if let Some(Value::Array(parts)) = map.get("allOf") {
        let parts: Vec<String> = parts
            .iter()
            .map(|p| ts_type(p, refs, depth))
            .filter(|p| p != "unknown")
            .map(|p| wrap(&p))
            .collect();
        return if parts.is_empty() {
            "unknown".to_owned()
        } else {
            parts.join(" & ")
        };
    }
    let types: Vec<&str> = match map.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ if map.contains_key("properties") || map.contains_key("additionalProperties") => {
            vec!["object"]
        }
        _ if map.contains_key("items") => vec!["array"],
        _ => return "unknown".to_owned(),
    };
    union(types.into_iter().map(|t| match t {
        "string" => "string".to_owned(),
        "number" | "integer" => "number".to_owned(),
        "boolean" => "boolean".to_owned(),
        "null" => "null".to_owned(),
        "array" => array_type(map, refs, depth),
        "object" => object_type(map, refs, depth),
        _ => "unknown".to_owned(),
    }))
}

fn array_type(map: &Map<String, Value>, refs: &Refs, depth: usize) -> String {
    let tuple = |items: &Vec<Value>| {
        let items: Vec<String> = items.iter().map(|i| ts_type(i, refs, depth)).collect();
        format!("[{}]", items.join(", "))
    };
    if let Some(Value::Array(items)) = map.get("prefixItems") {
        return tuple(items);
    }
    match map.get("items") {
        Some(Value::Array(items)) => tuple(items),
        Some(items) => format!("{}[]", wrap(&ts_type(items, refs, depth))),
        None => "unknown[]".to_owned(),
    }
}

fn object_type(map: &Map<String, Value>, refs: &Refs, depth: usize) -> String {
    let additional = match map.get("additionalProperties") {
        None | Some(Value::Bool(true)) => "unknown".to_owned(),
        Some(Value::Bool(false)) => "never".to_owned(),
        Some(schema) => ts_type(schema, refs, depth),
    };
    let Some(Value::Object(properties)) = map
        .get("properties")
        .filter(|p| p.as_object().is_some_and(|p| !p.is_empty()))
    else {
        return format!("Record<string, {additional}>");
    };
    let required: BTreeSet<&str> = map
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let indent = "  ".repeat(depth + 1);
    let mut body = String::from("{\n");
    for (name, property) in properties {
        body.push_str(&doc_comment(property, &indent));
        let optional = if required.contains(name.as_str()) {
            ""
        } else {
            "?"
        };
        body.push_str(&format!(
            "{indent}{}{optional}: {};\n",
            property_key(name),
            ts_type(property, refs, depth + 1)
        ));
    }
    body.push_str(&"  ".repeat(depth));
    body.push('}');
    body
}

/// `A | B`, without duplicates; `unknown` absorbs the rest.
fn union(types: impl IntoIterator<Item = String>) -> String {
    let mut seen: Vec<String> = Vec::new();
    for ty in types {
        if !seen.contains(&ty) {
            seen.push(ty);
        }
    }
    if seen.iter().any(|t| t == "unknown") {
        return "unknown".to_owned();
    }
    match seen.len() {
        0 => "never".to_owned(),
        1 => seen.remove(0),
        _ => seen.iter().map(|t| wrap(t)).collect::<Vec<_>>().join(" | "),
    }
}

/// Parenthesizes a union or intersection so it can be an array element or a union member.
fn wrap(ty: &str) -> String {
    let top_level_operator = {
        let mut depth = 0i32;
        ty.chars().any(|c| {
            match c {
                '{' | '[' | '(' | '<' => depth += 1,
                '}' | ']' | ')' | '>' => depth -= 1,
                '|' | '&' if depth == 0 => return true,
                _ => {}
            }
            false
        })
    };
    if top_level_operator {
        format!("({ty})")
    } else {
        ty.to_owned()
    }
}

/// A JSON value as a TypeScript literal type (JSON literals are TS literals).
fn literal(value: &Value) -> String {
    match value {
        Value::Object(_) | Value::Array(_) => "unknown".to_owned(),
        scalar => scalar.to_string(),
    }
}

/// A property name, quoted when it is not an identifier.
pub(super) fn property_key(name: &str) -> String {
    if is_identifier(name) {
        name.to_owned()
    } else {
        Value::String(name.to_owned()).to_string()
    }
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// `chat-room_v2` -> `ChatRoomV2`; a name that would start with a digit gets a `T`.
pub(super) fn pascal_case(name: &str) -> String {
    let mut out = String::new();
    for word in name.split(|c: char| !c.is_ascii_alphanumeric()) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars);
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'T');
    }
    out
}

/// A `/** .. */` comment from the schema's `description`, or nothing.
pub(super) fn doc_comment(schema: &Value, indent: &str) -> String {
    match schema.get("description").and_then(Value::as_str) {
        Some(text) => doc_text(text, indent),
        None => String::new(),
    }
}

/// `text` as a `/** .. */` comment at `indent`.
pub(super) fn doc_text(text: &str, indent: &str) -> String {
    let text = text.trim().replace("*/", "*\\/");
    if text.is_empty() {
        return String::new();
    }
    let lines: Vec<&str> = text.lines().collect();
    if let [line] = lines.as_slice() {
        return format!("{indent}/** {line} */\n");
    }
    let mut comment = format!("{indent}/**\n");
    for line in lines {
        comment.push_str(&format!("{indent} * {line}\n").replace(" * \n", " *\n"));
    }
    comment.push_str(&format!("{indent} */\n"));
    comment
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn ty(schema: Value) -> String {
        ts_type(&schema, &Refs::new(), 0)
    }

    #[test]
    fn scalars_unions_and_literals() {
        assert_eq!(ty(json!({"type": "string"})), "string");
        assert_eq!(ty(json!({"type": "integer"})), "number");
        assert_eq!(ty(json!({"type": ["string", "null"]})), "string | null");
        assert_eq!(ty(json!({"enum": ["a", "b", 3]})), "\"a\" | \"b\" | 3");
        assert_eq!(ty(json!({"const": true})), "true");
        assert_eq!(
            ty(json!({"type": "string", "nullable": true})),
            "string | null"
        );
        assert_eq!(ty(json!({})), "unknown");
        assert_eq!(ty(json!(false)), "never");
        assert_eq!(
            ty(json!({"anyOf": [{"type": "string"}, {"type": "number"}]})),
            "string | number"
        );
    }

    #[test]
    fn arrays_tuples_and_records() {
        assert_eq!(
            ty(json!({"type": "array", "items": {"type": "string"}})),
            "string[]"
        );
        assert_eq!(
            ty(json!({"type": "array", "items": {"type": ["string", "null"]}})),
            "(string | null)[]"
        );
        assert_eq!(
            ty(json!({"type": "array", "prefixItems": [{"type": "string"}, {"type": "number"}]})),
            "[string, number]"
        );
        assert_eq!(ty(json!({"type": "object"})), "Record<string, unknown>");
        assert_eq!(
            ty(json!({"type": "object", "additionalProperties": {"type": "number"}})),
            "Record<string, number>"
        );
    }

    #[test]
    fn objects_mark_optional_properties_and_quote_odd_keys() {
        let schema = json!({
            "type": "object",
            "properties": {
                "id": {"type": "string", "description": "Who"},
                "the-tags": {"type": "array", "items": {"type": "string"}},
                "inner": {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
            },
            "required": ["id"]
        });
        assert_eq!(
            ty(schema),
            "{\n  /** Who */\n  id: string;\n  inner?: {\n    n: number;\n  };\n  \"the-tags\"?: string[];\n}"
        );
    }

    #[test]
    fn definitions_become_named_types_and_identical_payloads_share_one() {
        let mut declarations = Declarations::default();
        declarations.reserve("Point");
        let payload = json!({
            "title": "Path",
            "type": "object",
            "properties": {"points": {"type": "array", "items": {"$ref": "#/$defs/Point"}}},
            "required": ["points"],
            "$defs": {"Point": {"type": "object", "properties": {"x": {"type": "number"}}, "required": ["x"]}}
        });
        assert_eq!(declarations.declare_payload(&payload, "draw"), "Path");
        assert_eq!(declarations.declare_payload(&payload, "redraw"), "Path");
        assert_eq!(
            declarations.text(),
            "export interface Point2 {\n  x: number;\n}\n\n\
             export interface Path {\n  points: Point2[];\n}\n\n"
        );
    }

    #[test]
    fn names() {
        assert_eq!(pascal_case("chat-room_v2"), "ChatRoomV2");
        assert_eq!(pascal_case("createRoom"), "CreateRoom");
        assert_eq!(pascal_case("2fa"), "T2fa");
        assert_eq!(property_key("userId"), "userId");
        assert_eq!(property_key("user id"), "\"user id\"");
    }
}
