//! The generator on a spec with every schema shape it maps: the generated
//! module (kept in `tests/generated/`) compiles and reads and writes the wire JSON.

use openws_client::MessageFrame;
use openws_core::spec::Document;
use serde_json::json;

// A test crate uses a part of the module, privately.
#[allow(dead_code, unreachable_pub)]
mod shop {
    include!("generated/shop_buyer.rs");
}

use shop::{Address, PlaceOrder, PlaceOrderItemsItem, PlaceOrderPriority, Received};

#[test]
fn generated_module_is_current() {
    let spec = Document::from_path(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/shop.openws.json"
    ))
    .expect("a valid spec");
    let source = openws_client::codegen::rust(&spec, "shop", "buyer").expect("generates");
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/generated/shop_buyer.rs");
    if std::env::var_os("OPENWS_BLESS").is_some() {
        std::fs::write(path, &source).expect("write");
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == source,
        "{path} is stale: run `OPENWS_BLESS=1 cargo test -p openws-client --test codegen`"
    );
    assert!(!source.contains("send_audit"), "only auditors send `audit`");
}

#[test]
fn payload_types_write_the_wire_json() {
    let order = PlaceOrder {
        items: vec![PlaceOrderItemsItem {
            sku: "tea".into(),
            qty: 2,
        }],
        priority: PlaceOrderPriority::RushHour,
        ship_to: Address {
            street: "1 Main St".into(),
            forward: Some(Box::new(Address {
                street: "2 Side St".into(),
                forward: None,
            })),
        },
        bill_to: None,
        gift: Some(true),
        note: None,
        r#type: "retail".into(),
        field_2fa: Some("123456".into()),
        weights: Some([("tea".to_owned(), 0.5)].into_iter().collect()),
        extra: None,
    };
    let wire = serde_json::to_value(&order).unwrap();
    assert_eq!(
        wire,
        json!({
            "items": [{"sku": "tea", "qty": 2}],
            "priority": "rush-hour",
            "shipTo": {"street": "1 Main St", "forward": {"street": "2 Side St"}},
            "gift": true,
            "type": "retail",
            "2fa": "123456",
            "weights": {"tea": 0.5}
        })
    );
    assert_eq!(serde_json::from_value::<PlaceOrder>(wire).unwrap(), order);
}

#[test]
fn received_messages_decode_by_name() {
    let frame = |name: &str, payload| MessageFrame {
        from_role: "server".into(),
        message_name: name.into(),
        payload,
        reply_to: None,
    };
    let placed = Received::decode(&frame(
        "orderPlaced",
        json!({"orderId": "o1", "total": 3.5, "status": "held"}),
    ))
    .unwrap();
    let Received::OrderPlaced(placed) = placed;
    assert_eq!(placed.order_id, "o1");
    assert_eq!(placed.status, shop::OrderPlacedStatus::Held);
    assert!(Received::decode(&frame("refund", json!({}))).is_err());
    assert!(Received::decode(&frame("orderPlaced", json!({"orderId": 1}))).is_err());
}
