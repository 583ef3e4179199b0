//! Rust types from JSON Schemas: structs for objects, enums for string enums,
//! and `serde_json::Value` for whatever has no faithful Rust shape.

use std::collections::{HashMap, HashSet};
use std::fmt::Write;

use serde_json::{Map, Value};

use super::names::{Scope, pascal_case, snake_case};
use super::write_doc;

const VALUE: &str = "serde_json::Value";

/// The type definitions of one generated module.
#[derive(Debug, Default)]
pub(super) struct Types {
    /// Type names of the module.
    names: Scope,
    /// Emitted items, in order.
    items: Vec<String>,
    /// `$ref` targets already emitted: (definition name, schema text) → type name.
    defined: HashMap<(String, String), String>,
    /// Definitions being emitted (a reference to one of them is recursive: boxed).
    in_progress: HashSet<(String, String)>,
}

/// The schema a `$ref` is resolved in: the whole payload schema.
#[derive(Clone, Copy)]
struct Root<'a>(&'a Value);

impl Types {
    /// Reserves a type name for an item the caller writes itself.
    pub(super) fn reserve(&mut self, name: &str) {
        self.names.reserve(name);
    }

    /// A unique type name based on `name`.
    pub(super) fn claim(&mut self, name: &str) -> String {
        self.names.claim(pascal_case(name, "Type"))
    }

    /// Emits the payload type of message `message` (a struct, an enum or an
    /// alias) and returns its name.
    pub(super) fn payload(&mut self, message: &str, schema: &Value, doc: &str) -> String {
        let name = self.claim(message);
        let root = Root(schema);
        let doc = description(schema).unwrap_or(doc).to_owned();
        self.named(root, schema, &name, &doc);
        name
    }

    /// Every emitted item, in order.
    pub(super) fn into_items(self) -> Vec<String> {
        self.items
    }

    /// Emits `schema` as a type called `name` (claimed by the caller).
    fn named(&mut self, root: Root<'_>, schema: &Value, name: &str, doc: &str) {
        let schema = unwrap_single_all_of(schema);
        if let Some(object) = schema.as_object() {
            if let Some(values) = string_enum(object) {
                return self.enumeration(name, doc, &values);
            }
            if has_properties(object) && is_object_type(object) {
                return self.structure(root, object, name, doc);
            }
        }
        let target = self.expr(root, schema, &format!("{name}Value"));
        let mut item = String::new();
        write_doc(&mut item, "", doc);
        writeln!(item, "pub type {name} = {target};").unwrap();
        self.items.push(item);
    }

    /// The Rust type of `schema`; inline objects and enums are emitted as
    /// types named after `suggested`.
    fn expr(&mut self, root: Root<'_>, schema: &Value, suggested: &str) -> String {
        let schema = unwrap_single_all_of(schema);
        let Some(object) = schema.as_object() else {
            return VALUE.to_owned();
        };
        if let Some(reference) = object.get("$ref").and_then(Value::as_str) {
            return self.reference(root, reference);
        }
        if let Some(inner) = nullable_variant(object) {
            return format!("Option<{}>", self.expr(root, inner, suggested));
        }
        if let Some(values) = string_enum(object) {
            let name = self.names.claim(suggested.to_owned());
            let doc = description(schema).unwrap_or("One of the allowed values.");
            self.enumeration(&name, doc, &values);
            return name;
        }
        match object.get("type") {
            Some(Value::String(kind)) => self.of_type(root, object, kind, suggested),
            Some(Value::Array(kinds)) => {
                let kinds: Vec<&str> = kinds.iter().filter_map(Value::as_str).collect();
                match kinds.as_slice() {
                    [kind] => self.of_type(root, object, kind, suggested),
                    [kind, "null"] | ["null", kind] => {
                        format!("Option<{}>", self.of_type(root, object, kind, suggested))
                    }
                    _ => VALUE.to_owned(),
                }
            }
            None if has_properties(object) => self.of_type(root, object, "object", suggested),
            _ => VALUE.to_owned(),
        }
    }

    fn of_type(
        &mut self,
        root: Root<'_>,
        object: &Map<String, Value>,
        kind: &str,
        suggested: &str,
    ) -> String {
        let format = object.get("format").and_then(Value::as_str);
        match kind {
            "string" => "String".to_owned(),
            "boolean" => "bool".to_owned(),
            "null" => "()".to_owned(),
            "integer" => integer(format).to_owned(),
            "number" if format == Some("float") => "f32".to_owned(),
            "number" => "f64".to_owned(),
            "array" => match object.get("items") {
                Some(items) if items.is_object() => {
                    format!(
                        "Vec<{}>",
                        self.expr(root, items, &format!("{suggested}Item"))
                    )
                }
                _ => format!("Vec<{VALUE}>"),
            },
            "object" if has_properties(object) => {
                let name = self.names.claim(suggested.to_owned());
                let doc = object
                    .get("description")
                    .and_then(Value::as_str)
                    .unwrap_or("An object of the payload.");
                self.structure(root, object, &name, doc);
                name
            }
            "object" => match object.get("additionalProperties") {
                Some(values) if values.is_object() => format!(
                    "std::collections::BTreeMap<String, {}>",
                    self.expr(root, values, &format!("{suggested}Value"))
                ),
                _ => "serde_json::Map<String, serde_json::Value>".to_owned(),
            },
            _ => VALUE.to_owned(),
        }
    }

    /// The type of a local `$ref` (`#/$defs/Name`), emitted once per distinct definition.
    fn reference(&mut self, root: Root<'_>, reference: &str) -> String {
        let Some(target) = reference
            .strip_prefix('#')
            .and_then(|pointer| root.0.pointer(pointer))
        else {
            return VALUE.to_owned();
        };
        let def_name = reference.rsplit('/').next().unwrap_or_default();
        let key = (def_name.to_owned(), target.to_string());
        if let Some(name) = self.defined.get(&key) {
            return if self.in_progress.contains(&key) {
                format!("Box<{name}>")
            } else {
                name.clone()
            };
        }
        let name = self.claim(def_name);
        self.defined.insert(key.clone(), name.clone());
        self.in_progress.insert(key.clone());
        let doc = description(target)
            .unwrap_or("A type of the payload.")
            .to_owned();
        self.named(root, target, &name, &doc);
        self.in_progress.remove(&key);
        name
    }

    fn structure(&mut self, root: Root<'_>, object: &Map<String, Value>, name: &str, doc: &str) {
        let required: HashSet<&str> = object
            .get("required")
            .and_then(Value::as_array)
            .map(|names| names.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let empty = Map::new();
        let properties = object
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let mut fields = Scope::default();
        let mut body = String::new();
        for (property, schema) in properties {
            let ident = fields.claim(snake_case(property, "field"));
            let mut ty = self.expr(
                root,
                schema,
                &format!("{name}{}", pascal_case(property, "Field")),
            );
            let optional = !required.contains(property.as_str());
            if optional && !ty.starts_with("Option<") {
                ty = format!("Option<{ty}>");
            }
            let fallback = format!("`{property}`.");
            write_doc(&mut body, "    ", description(schema).unwrap_or(&fallback));
            if ident.trim_start_matches("r#") != property {
                writeln!(body, "    #[serde(rename = {property:?})]").unwrap();
            }
            if optional {
                writeln!(
                    body,
                    "    #[serde(default, skip_serializing_if = \"Option::is_none\")]"
                )
                .unwrap();
            }
            writeln!(body, "    pub {ident}: {ty},").unwrap();
        }
        let mut item = String::new();
        write_doc(&mut item, "", doc);
        item.push_str("#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]\n");
        writeln!(item, "pub struct {name} {{\n{body}}}").unwrap();
        self.items.push(item);
    }

    fn enumeration(&mut self, name: &str, doc: &str, values: &[&str]) {
        let mut variants = Scope::default();
        let mut body = String::new();
        for value in values {
            let variant = variants.claim(pascal_case(value, "Value"));
            writeln!(body, "    /// `{value:?}`.").unwrap();
            if variant != *value {
                writeln!(body, "    #[serde(rename = {value:?})]").unwrap();
            }
            writeln!(body, "    {variant},").unwrap();
        }
        let mut item = String::new();
        write_doc(&mut item, "", doc);
        item.push_str(
            "#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]\n",
        );
        writeln!(item, "pub enum {name} {{\n{body}}}").unwrap();
        self.items.push(item);
    }
}

fn description(schema: &Value) -> Option<&str> {
    schema.get("description").and_then(Value::as_str)
}

fn has_properties(object: &Map<String, Value>) -> bool {
    object
        .get("properties")
        .and_then(Value::as_object)
        .is_some_and(|properties| !properties.is_empty())
}

fn is_object_type(object: &Map<String, Value>) -> bool {
    match object.get("type") {
        None => true,
        Some(Value::String(kind)) => kind == "object",
        Some(_) => false,
    }
}

/// `{"allOf": [X]}` (how schemars attaches a description to a `$ref`) is X.
fn unwrap_single_all_of(schema: &Value) -> &Value {
    match schema
        .get("allOf")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
    {
        Some([only]) => only,
        _ => schema,
    }
}

/// `X` of `{"anyOf": [X, {"type": "null"}]}` (or `oneOf`, either order).
fn nullable_variant(object: &Map<String, Value>) -> Option<&Value> {
    let variants = object
        .get("anyOf")
        .or_else(|| object.get("oneOf"))?
        .as_array()?;
    let is_null = |schema: &Value| schema.get("type").and_then(Value::as_str) == Some("null");
    match variants.as_slice() {
        [a, b] if is_null(b) => Some(a),
        [a, b] if is_null(a) => Some(b),
        _ => None,
    }
}

/// The values of an `enum` made only of strings.
fn string_enum(object: &Map<String, Value>) -> Option<Vec<&str>> {
    let values = object.get("enum")?.as_array()?;
    let strings: Option<Vec<&str>> = values.iter().map(Value::as_str).collect();
    strings.filter(|strings| !strings.is_empty())
}

fn integer(format: Option<&str>) -> &'static str {
    match format {
        Some("int8") => "i8",
        Some("int16") => "i16",
        Some("int32") => "i32",
        Some("uint8") => "u8",
        Some("uint16") => "u16",
        Some("uint32") => "u32",
        Some("uint64" | "uint") => "u64",
        _ => "i64",
    }
}
