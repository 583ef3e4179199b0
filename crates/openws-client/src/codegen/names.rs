//! Rust identifiers from the names a spec uses (camelCase, kebab-case, anything).

use std::collections::HashSet;

const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "dyn", "else", "enum", "extern", "false",
    "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub",
    "ref", "return", "static", "struct", "trait", "true", "type", "unsafe", "use", "where",
    "while", "abstract", "become", "box", "do", "final", "macro", "override", "priv", "try",
    "typeof", "unsized", "virtual", "yield",
];

/// Keywords that cannot be raw identifiers.
const NOT_RAW: &[&str] = &["self", "Self", "super", "crate", "_"];

/// The ASCII words of `name`: split at everything else and at case changes (`HTTPServer` → `HTTP`, `Server`).
fn words(name: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let chars: Vec<char> = name.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            continue;
        }
        let prev = i.checked_sub(1).map(|p| chars[p]);
        let next = chars.get(i + 1).copied();
        let boundary = c.is_ascii_uppercase()
            && prev.is_some_and(|p| {
                p.is_ascii_lowercase()
                    || p.is_ascii_digit()
                    || (p.is_ascii_uppercase() && next.is_some_and(|n| n.is_ascii_lowercase()))
            });
        if boundary && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        current.push(c);
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// `joinRoom` → `JoinRoom`; empty or digit-led names get a prefix.
pub(super) fn pascal_case(name: &str, fallback: &str) -> String {
    let mut out: String = words(name)
        .iter()
        .map(|word| {
            let mut chars = word.chars();
            let first = chars.next().map(|c| c.to_uppercase().collect::<String>());
            first.unwrap_or_default() + &chars.as_str().to_lowercase()
        })
        .collect();
    if out.is_empty() {
        out = fallback.to_owned();
    } else if out.starts_with(|c: char| c.is_ascii_digit()) {
        out = format!("{fallback}{out}");
    }
    if out == "Self" {
        "Self_".to_owned()
    } else {
        out
    }
}

/// `roomId` → `room_id`; keywords become raw identifiers (`type` → `r#type`).
pub(super) fn snake_case(name: &str, fallback: &str) -> String {
    let mut out = words(name)
        .iter()
        .map(|word| word.to_lowercase())
        .collect::<Vec<_>>()
        .join("_");
    if out.is_empty() {
        out = fallback.to_owned();
    } else if out.starts_with(|c: char| c.is_ascii_digit()) {
        out = format!("{fallback}_{out}");
    }
    escape_keyword(out)
}

fn escape_keyword(ident: String) -> String {
    if NOT_RAW.contains(&ident.as_str()) {
        format!("{ident}_")
    } else if KEYWORDS.contains(&ident.as_str()) {
        format!("r#{ident}")
    } else {
        ident
    }
}

/// Identifiers already used in one scope; [`Scope::claim`] makes each new one unique.
#[derive(Debug, Default)]
pub(super) struct Scope {
    taken: HashSet<String>,
}

impl Scope {
    /// `ident`, or `ident2`, `ident3`... (`ident_2` for snake case) if taken.
    pub(super) fn claim(&mut self, ident: String) -> String {
        if self.taken.insert(ident.clone()) {
            return ident;
        }
        let separator = if ident.contains('_') || ident.starts_with(char::is_lowercase) {
            "_"
        } else {
            ""
        };
        let base = ident.trim_start_matches("r#");
        (2..)
            .map(|n| format!("{base}{separator}{n}"))
            .find(|candidate| self.taken.insert(candidate.clone()))
            .expect("some suffix is free")
    }

    /// Marks `ident` as taken without claiming a variant of it.
    pub(super) fn reserve(&mut self, ident: &str) {
        self.taken.insert(ident.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_cases() {
        assert_eq!(pascal_case("joinRoom", "T"), "JoinRoom");
        assert_eq!(pascal_case("HTTPServer", "T"), "HttpServer");
        assert_eq!(pascal_case("room-stats_v2", "T"), "RoomStatsV2");
        assert_eq!(pascal_case("1st", "V"), "V1st");
        assert_eq!(pascal_case("", "V"), "V");
        assert_eq!(pascal_case("self", "V"), "Self_");
        assert_eq!(snake_case("roomId", "f"), "room_id");
        assert_eq!(snake_case("URLPath", "f"), "url_path");
        assert_eq!(snake_case("type", "f"), "r#type");
        assert_eq!(snake_case("self", "f"), "self_");
        assert_eq!(snake_case("9lives", "field"), "field_9lives");
        assert_eq!(snake_case("$", "field"), "field");
        assert_eq!(snake_case("été", "field"), "t");
        assert_eq!(snake_case("日本", "field"), "field");
    }

    #[test]
    fn scopes_make_names_unique() {
        let mut scope = Scope::default();
        assert_eq!(scope.claim("Ping".into()), "Ping");
        assert_eq!(scope.claim("Ping".into()), "Ping2");
        assert_eq!(scope.claim("room_id".into()), "room_id");
        assert_eq!(scope.claim("room_id".into()), "room_id_2");
        assert_eq!(scope.claim("r#type".into()), "r#type");
        assert_eq!(scope.claim("r#type".into()), "type_2");
    }
}
