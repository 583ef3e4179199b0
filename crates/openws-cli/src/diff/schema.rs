//! Changes between two versions of a payload's JSON Schema.
//!
//! The keywords whose effect on the accepted set is clear (types, values,
//! bounds, properties, `required`, `additionalProperties`, `items`) are
//! compared one by one; annotations are ignored; any other keyword that
//! changed is reported as breaking both sides, since its effect is not
//! analysed.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::{BOTH, Change, HARMLESS, Impact, Kind, NARROWED, WIDENED, escape};

/// Keywords that document a schema without changing what it accepts.
const ANNOTATIONS: &[&str] = &[
    "$comment",
    "$id",
    "$schema",
    "default",
    "deprecated",
    "description",
    "examples",
    "readOnly",
    "title",
    "writeOnly",
];

/// Keywords that set a lower bound: raising one narrows the accepted set.
const LOWER_BOUNDS: &[&str] = &[
    "minimum",
    "exclusiveMinimum",
    "minLength",
    "minItems",
    "minProperties",
];

/// Keywords that set an upper bound: lowering one narrows the accepted set.
const UPPER_BOUNDS: &[&str] = &[
    "maximum",
    "exclusiveMaximum",
    "maxLength",
    "maxItems",
    "maxProperties",
];

/// Keywords that restrict values without an order: adding one narrows the set.
const RESTRICTIONS: &[&str] = &["pattern", "format", "multipleOf", "uniqueItems"];

/// Keywords compared by the functions of this module.
const ANALYSED: &[&str] = &[
    "type",
    "enum",
    "const",
    "properties",
    "required",
    "additionalProperties",
    "items",
];

/// Appends the changes from `old` to `new`, a schema at JSON pointer `at`.
pub(super) fn diff(at: &str, old: &Value, new: &Value, changes: &mut Vec<Change>) {
    if old == new {
        return;
    }
    let (Some(old), Some(new)) = (as_schema(old), as_schema(new)) else {
        changes.push(Change::new(
            at,
            Kind::SchemaChanged,
            "schema replaced (not analysed)",
            BOTH,
        ));
        return;
    };
    diff_types(at, &old, &new, changes);
    diff_values(at, &old, &new, changes);
    for keyword in LOWER_BOUNDS {
        diff_bound(at, keyword, &old, &new, Bound::Lower, changes);
    }
    for keyword in UPPER_BOUNDS {
        diff_bound(at, keyword, &old, &new, Bound::Upper, changes);
    }
    for keyword in RESTRICTIONS {
        diff_restriction(at, keyword, &old, &new, changes);
    }
    diff_properties(at, &old, &new, changes);
    diff_additional(at, &old, &new, changes);
    diff_items(at, &old, &new, changes);
    diff_unanalysed(at, &old, &new, changes);
}

/// A schema as a keyword map; `true` is the empty schema. `None` for `false` or a non-schema.
fn as_schema(value: &Value) -> Option<Map<String, Value>> {
    match value {
        Value::Object(map) => Some(map.clone()),
        Value::Bool(true) => Some(Map::new()),
        _ => None,
    }
}

/// How `new` relates to `old` as sets of accepted values.
fn relation<T>(old: &T, new: &T, subset: impl Fn(&T, &T) -> bool) -> Option<(Impact, Impact)> {
    match (subset(new, old), subset(old, new)) {
        (true, true) => None,
        (true, false) => Some(NARROWED),
        (false, true) => Some(WIDENED),
        (false, false) => Some(BOTH),
    }
}

fn diff_types(
    at: &str,
    old: &Map<String, Value>,
    new: &Map<String, Value>,
    changes: &mut Vec<Change>,
) {
    let (old_types, new_types) = (types(old), types(new));
    let Some(impact) = relation(&old_types, &new_types, types_within) else {
        return;
    };
    let kind = match impact {
        NARROWED => Kind::TypeNarrowed,
        WIDENED => Kind::TypeWidened,
        _ => Kind::TypeChanged,
    };
    let show = |types: &Option<BTreeSet<String>>| match types {
        None => "any".to_owned(),
        Some(types) => types.iter().cloned().collect::<Vec<_>>().join(" | "),
    };
    let description = format!(
        "type changed from {} to {}",
        show(&old_types),
        show(&new_types)
    );
    changes.push(Change::new(at, kind, description, impact));
}

/// The schema's `type`s; `None` when it does not restrict the type.
fn types(schema: &Map<String, Value>) -> Option<BTreeSet<String>> {
    match schema.get("type")? {
        Value::String(name) => Some(BTreeSet::from([name.clone()])),
        Value::Array(names) => Some(
            names
                .iter()
                .filter_map(|n| n.as_str().map(str::to_owned))
                .collect(),
        ),
        _ => None,
    }
}

/// Whether every type `inner` allows is allowed by `outer` (`number` includes `integer`).
fn types_within(inner: &Option<BTreeSet<String>>, outer: &Option<BTreeSet<String>>) -> bool {
    match (inner, outer) {
        (_, None) => true,
        (None, Some(_)) => false,
        (Some(inner), Some(outer)) => inner
            .iter()
            .all(|t| outer.contains(t) || (t == "integer" && outer.contains("number"))),
    }
}

fn diff_values(
    at: &str,
    old: &Map<String, Value>,
    new: &Map<String, Value>,
    changes: &mut Vec<Change>,
) {
    let (old_values, new_values) = (values(old), values(new));
    let within = |inner: &Option<Vec<Value>>, outer: &Option<Vec<Value>>| match (inner, outer) {
        (_, None) => true,
        (None, Some(_)) => false,
        (Some(inner), Some(outer)) => inner.iter().all(|v| outer.contains(v)),
    };
    let Some(impact) = relation(&old_values, &new_values, within) else {
        return;
    };
    let show = |values: &Option<Vec<Value>>| match values {
        None => "any value".to_owned(),
        Some(values) => values
            .iter()
            .map(Value::to_string)
            .collect::<Vec<_>>()
            .join(", "),
    };
    let description = format!(
        "allowed values changed from {} to {}",
        show(&old_values),
        show(&new_values)
    );
    changes.push(Change::new(
        at,
        constraint_kind(impact),
        description,
        impact,
    ));
}

/// The values `enum` or `const` allow; `None` when neither is present.
fn values(schema: &Map<String, Value>) -> Option<Vec<Value>> {
    if let Some(value) = schema.get("const") {
        return Some(vec![value.clone()]);
    }
    schema.get("enum")?.as_array().cloned()
}

fn constraint_kind(impact: (Impact, Impact)) -> Kind {
    match impact {
        NARROWED => Kind::ConstraintTightened,
        WIDENED => Kind::ConstraintLoosened,
        _ => Kind::ConstraintChanged,
    }
}

#[derive(Clone, Copy)]
enum Bound {
    Lower,
    Upper,
}

fn diff_bound(
    at: &str,
    keyword: &str,
    old: &Map<String, Value>,
    new: &Map<String, Value>,
    bound: Bound,
    changes: &mut Vec<Change>,
) {
    let number = |schema: &Map<String, Value>| schema.get(keyword).and_then(Value::as_f64);
    let (before, after) = (number(old), number(new));
    let tighter = match (before, after) {
        (None, None) => return,
        (Some(before), Some(after)) if before == after => return,
        (None, Some(_)) => true,
        (Some(_), None) => false,
        (Some(before), Some(after)) => match bound {
            Bound::Lower => after > before,
            Bound::Upper => after < before,
        },
    };
    let impact = if tighter { NARROWED } else { WIDENED };
    let show = |n: Option<f64>| n.map_or_else(|| "none".to_owned(), |n| n.to_string());
    let description = format!(
        "`{keyword}` changed from {} to {}",
        show(before),
        show(after)
    );
    changes.push(Change::new(
        at,
        constraint_kind(impact),
        description,
        impact,
    ));
}

fn diff_restriction(
    at: &str,
    keyword: &str,
    old: &Map<String, Value>,
    new: &Map<String, Value>,
    changes: &mut Vec<Change>,
) {
    // `uniqueItems: false` restricts nothing, like an absent keyword.
    let get = |schema: &Map<String, Value>| {
        schema
            .get(keyword)
            .filter(|value| **value != Value::Bool(false))
            .cloned()
    };
    let impact = match (get(old), get(new)) {
        (before, after) if before == after => return,
        (None, Some(_)) => NARROWED,
        (Some(_), None) => WIDENED,
        _ => BOTH,
    };
    let show = |schema: &Map<String, Value>| {
        get(schema).map_or_else(|| "none".to_owned(), |v| v.to_string())
    };
    let description = format!("`{keyword}` changed from {} to {}", show(old), show(new));
    changes.push(Change::new(
        at,
        constraint_kind(impact),
        description,
        impact,
    ));
}

fn diff_properties(
    at: &str,
    old: &Map<String, Value>,
    new: &Map<String, Value>,
    changes: &mut Vec<Change>,
) {
    let properties = |schema: &Map<String, Value>| {
        schema
            .get("properties")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default()
    };
    let required = |schema: &Map<String, Value>| -> BTreeSet<String> {
        schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|name| name.as_str().map(str::to_owned))
            .collect()
    };
    let (old_properties, new_properties) = (properties(old), properties(new));
    let (old_required, new_required) = (required(old), required(new));
    let closed = |schema: &Map<String, Value>| {
        schema.get("additionalProperties") == Some(&Value::Bool(false))
    };
    let property_at = |name: &str| format!("{at}/properties/{}", escape(name));

    for (name, old_property) in &old_properties {
        match new_properties.get(name) {
            Some(new_property) => diff(&property_at(name), old_property, new_property, changes),
            None => {
                let was_required = old_required.contains(name) && !new_required.contains(name);
                let senders = if closed(new) {
                    Impact::Breaking
                } else {
                    Impact::Compatible
                };
                let receivers = if was_required {
                    Impact::Breaking
                } else {
                    Impact::Compatible
                };
                let required = if was_required { "required " } else { "" };
                changes.push(Change::new(
                    property_at(name),
                    Kind::PropertyRemoved,
                    format!("{required}property `{name}` removed"),
                    (senders, receivers),
                ));
            }
        }
    }
    for name in new_properties.keys() {
        if old_properties.contains_key(name) {
            continue;
        }
        let (kind, impact, what) = if new_required.contains(name) {
            (Kind::RequiredPropertyAdded, NARROWED, "required")
        } else if closed(old) {
            (Kind::OptionalPropertyAdded, WIDENED, "optional")
        } else {
            (Kind::OptionalPropertyAdded, HARMLESS, "optional")
        };
        changes.push(Change::new(
            property_at(name),
            kind,
            format!("{what} property `{name}` added"),
            impact,
        ));
    }
    // Requirement changes of properties that exist on both sides (or on neither).
    let kept =
        |name: &String| old_properties.contains_key(name) == new_properties.contains_key(name);
    for name in new_required.difference(&old_required).filter(|n| kept(n)) {
        changes.push(Change::new(
            format!("{at}/required"),
            Kind::PropertyNowRequired,
            format!("property `{name}` is now required"),
            NARROWED,
        ));
    }
    for name in old_required.difference(&new_required).filter(|n| kept(n)) {
        changes.push(Change::new(
            format!("{at}/required"),
            Kind::PropertyNowOptional,
            format!("property `{name}` is now optional"),
            WIDENED,
        ));
    }
}

/// What `additionalProperties` allows.
#[derive(PartialEq)]
enum Extra<'a> {
    Any,
    None,
    Matching(&'a Value),
}

fn diff_additional(
    at: &str,
    old: &Map<String, Value>,
    new: &Map<String, Value>,
    changes: &mut Vec<Change>,
) {
    let (before, after) = (extra(old), extra(new));
    let at_additional = format!("{at}/additionalProperties");
    let (impact, description) = match (&before, &after) {
        _ if before == after => return,
        (Extra::Matching(before), Extra::Matching(after)) => {
            return diff(&at_additional, before, after, changes);
        }
        (Extra::Any, _) | (Extra::Matching(_), Extra::None) => {
            (NARROWED, "other properties are now restricted")
        }
        (Extra::None, _) | (Extra::Matching(_), Extra::Any) => {
            (WIDENED, "other properties are now allowed more freely")
        }
    };
    changes.push(Change::new(
        at_additional,
        constraint_kind(impact),
        description,
        impact,
    ));
}

fn extra(schema: &Map<String, Value>) -> Extra<'_> {
    match schema.get("additionalProperties") {
        None | Some(Value::Bool(true)) => Extra::Any,
        Some(Value::Bool(false)) => Extra::None,
        Some(other) => Extra::Matching(other),
    }
}

fn diff_items(
    at: &str,
    old: &Map<String, Value>,
    new: &Map<String, Value>,
    changes: &mut Vec<Change>,
) {
    let at_items = format!("{at}/items");
    match (old.get("items"), new.get("items")) {
        (before, after) if before == after => {}
        (Some(before), Some(after)) if !before.is_array() && !after.is_array() => {
            diff(&at_items, before, after, changes);
        }
        (None, Some(_)) => changes.push(Change::new(
            at_items,
            Kind::ConstraintTightened,
            "array items are now restricted",
            NARROWED,
        )),
        (Some(_), None) => changes.push(Change::new(
            at_items,
            Kind::ConstraintLoosened,
            "array items are no longer restricted",
            WIDENED,
        )),
        _ => changes.push(Change::new(
            at_items,
            Kind::SchemaChanged,
            "`items` changed (not analysed)",
            BOTH,
        )),
    }
}

/// Every other keyword that changed: its effect is not analysed, so it counts as breaking.
fn diff_unanalysed(
    at: &str,
    old: &Map<String, Value>,
    new: &Map<String, Value>,
    changes: &mut Vec<Change>,
) {
    let known = |keyword: &str| {
        [
            ANNOTATIONS,
            LOWER_BOUNDS,
            UPPER_BOUNDS,
            RESTRICTIONS,
            ANALYSED,
        ]
        .iter()
        .any(|list| list.contains(&keyword))
    };
    let keywords: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    for keyword in keywords {
        if !known(keyword) && old.get(keyword) != new.get(keyword) {
            changes.push(Change::new(
                format!("{at}/{}", escape(keyword)),
                Kind::SchemaChanged,
                format!("`{keyword}` changed (not analysed)"),
                BOTH,
            ));
        }
    }
}
