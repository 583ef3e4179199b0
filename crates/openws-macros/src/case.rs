//! Name conversions between Rust identifiers and wire names.

/// `joined_room` → `joinedRoom`: the default wire name of a message.
pub(crate) fn lower_camel(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper_next = false;
    for c in snake.trim_start_matches("r#").chars() {
        if c == '_' {
            upper_next = !out.is_empty();
        } else if upper_next {
            out.extend(c.to_uppercase());
            upper_next = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// `joinedRoom`, `joined_room`, `room.joined` → `JoinedRoom`, `JoinedRoom`,
/// `RoomJoined`: the name of a message's marker type. `None` when no
/// identifier can be made (no letters, or a leading digit).
pub(crate) fn upper_camel(name: &str) -> Option<String> {
    let mut out = String::with_capacity(name.len());
    for word in name.split(|c: char| !c.is_alphanumeric()) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.extend(first.to_uppercase());
            out.extend(chars);
        }
    }
    out.starts_with(|c: char| c.is_alphabetic()).then_some(out)
}

/// `ChatServer` → `chat_server`, `HTTPServer` → `http_server`: the name of a
/// role's module of marker types.
pub(crate) fn snake(camel: &str) -> String {
    let chars: Vec<char> = camel.trim_start_matches("r#").chars().collect();
    let mut out = String::with_capacity(chars.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if prev.is_lowercase() || prev.is_numeric() || (prev.is_uppercase() && next_lower) {
                out.push('_');
            }
        }
        out.extend(c.to_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions() {
        assert_eq!(lower_camel("joined_room"), "joinedRoom");
        assert_eq!(lower_camel("r#type"), "type");
        assert_eq!(lower_camel("_private_thing"), "privateThing");
        assert_eq!(upper_camel("sendMessage").as_deref(), Some("SendMessage"));
        assert_eq!(upper_camel("room.joined").as_deref(), Some("RoomJoined"));
        assert_eq!(upper_camel("2fa"), None);
        assert_eq!(snake("ChatServer"), "chat_server");
        assert_eq!(snake("HTTPServer"), "http_server");
        assert_eq!(snake("Client"), "client");
        assert_eq!(snake("Node2Peer"), "node2_peer");
    }
}
