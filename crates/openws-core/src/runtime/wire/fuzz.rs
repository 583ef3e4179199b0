//! Property tests of the wire format: random envelopes, ids and payloads,
//! and random text. Run longer with `PROPTEST_CASES` (see `docs/reliability.md`).

use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;

/// Any JSON value, keys and strings drawn small so they collide with the envelope's.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        "[a-c\"\\\\\u{e9}\u{1f600}]{0,4}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map("[a-c]|fromRole|payload|id", inner, 0..4)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// The text of an `id`: valid ones, and each kind the parser must refuse.
fn raw_id() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|f| json!(f).to_string()),
        "[a-z0-9\u{e9}-]{0,140}".prop_map(|s| json!(s).to_string()),
        "-?[1-9][0-9]{0,400}(\\.[0-9]{1,3})?([eE][+-]?[0-9]{1,4})?",
        "\\\\u[dD][89a-fA-F][0-9a-f]{2}".prop_map(|escape| format!("\"x{escape}\"")),
        json_value().prop_map(|v| v.to_string()),
    ]
}

/// An envelope's text: every field sometimes missing, wrong or odd.
fn envelope_text() -> impl Strategy<Value = String> {
    let name = prop_oneof![
        "[a-z]{1,6}".prop_map(|s| json!(s).to_string()),
        json_value().prop_map(|v| v.to_string()),
    ];
    let payload = prop_oneof![
        json_value().prop_map(|v| v.to_string()),
        json_value().prop_map(|v| json!(v.to_string()).to_string()),
    ];
    (
        prop::option::of(name.clone()),
        prop::option::of(name),
        prop::option::of(payload),
        prop::option::of(raw_id()),
    )
        .prop_map(|(role, message, payload, id)| {
            let fields = [
                ("fromRole", role),
                ("messageName", message),
                ("payload", payload),
                ("id", id),
            ];
            let fields: Vec<String> = fields
                .into_iter()
                .filter_map(|(key, value)| Some(format!("\"{key}\":{}", value?)))
                .collect();
            format!("{{{}}}", fields.join(","))
        })
}

/// Text that is sometimes an envelope, sometimes a damaged one, sometimes anything.
fn frame_text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => envelope_text(),
        1 => (envelope_text(), any::<prop::sample::Index>(), any::<char>()).prop_map(
            |(text, at, c)| {
                let mut chars: Vec<char> = text.chars().collect();
                let at = at.index(chars.len() + 1);
                chars.insert(at, c);
                chars.into_iter().collect()
            }
        ),
        1 => (envelope_text(), any::<prop::sample::Index>()).prop_map(|(text, at)| {
            text.chars().take(at.index(text.len() + 1)).collect()
        }),
        1 => any::<String>(),
    ]
}

proptest! {
    /// Parsing never panics, refusals are `bad_frame`, and every accepted id
    /// comes back in frames that parse as JSON (the id within its cap).
    #[test]
    fn envelopes_parse_or_are_refused_cleanly(text in frame_text()) {
        let id = match parse_envelope(&text) {
            Ok((envelope, id)) => {
                let _ = decode_payload(envelope.payload);
                id
            }
            Err((error, id)) => {
                prop_assert_eq!(error.code, ErrorCode::BadFrame);
                id
            }
        };
        if let Some(id) = id {
            prop_assert!(id.get().len() <= MAX_ID_BYTES);
            let message = message_frame("server", "m", &json!({}), Some(&id));
            let error = error_frame("server", &bad_frame("x"), Some(&id));
            for frame in [message, error] {
                let frame: Value = serde_json::from_slice(&frame).expect("frames are JSON");
                prop_assert_eq!(&frame["replyTo"], &serde_json::from_str::<Value>(id.get()).unwrap());
            }
        }
    }

    /// A payload decodes exactly when it is an object, or a string holding JSON.
    #[test]
    fn payloads_decode_or_are_refused_cleanly(payload in json_value(), as_string in any::<bool>()) {
        let text = if as_string { json!(payload.to_string()) } else { payload };
        let expected = match &text {
            Value::Object(_) => Some(text.clone()),
            Value::String(inner) => serde_json::from_str::<Value>(inner).ok(),
            _ => None,
        };
        let raw = RawValue::from_string(text.to_string()).expect("valid JSON");
        match decode_payload(&raw) {
            Ok(decoded) => prop_assert_eq!(Some(decoded), expected),
            Err(error) => {
                prop_assert_eq!(error.code, ErrorCode::BadFrame);
                prop_assert_eq!(expected, None);
            }
        }
    }
}
