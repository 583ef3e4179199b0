//! The checks every adapter applies to a WebSocket upgrade request before
//! upgrading it (RFC 6455, section 4.2.1), whatever its framework accepts.

use http::{HeaderMap, StatusCode};

use crate::Rejection;

/// Checks the upgrade headers the frameworks let through: `Sec-WebSocket-Version`
/// must be `13` and `Sec-WebSocket-Key` the base64 encoding of 16 bytes.
///
/// A failed check is a `400 Bad Request` rejection saying which header is wrong.
///
/// ```
/// use http::HeaderMap;
///
/// let mut headers = HeaderMap::new();
/// headers.insert("sec-websocket-version", "13".parse().unwrap());
/// headers.insert("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==".parse().unwrap());
/// assert!(openws_core::check_upgrade(&headers).is_ok());
///
/// headers.insert("sec-websocket-key", "not base64".parse().unwrap());
/// assert_eq!(openws_core::check_upgrade(&headers).unwrap_err().status(), 400);
/// ```
pub fn check_upgrade(headers: &HeaderMap) -> Result<(), Rejection> {
    let refuse = |message: &str| Err(Rejection::new(StatusCode::BAD_REQUEST, message));
    if headers
        .get(http::header::SEC_WEBSOCKET_VERSION)
        .is_none_or(|version| version != "13")
    {
        return refuse("only WebSocket version 13 is supported (Sec-WebSocket-Version: 13)");
    }
    if !headers
        .get(http::header::SEC_WEBSOCKET_KEY)
        .is_some_and(|key| is_websocket_key(key.as_bytes()))
    {
        return refuse("Sec-WebSocket-Key must be the base64 encoding of 16 bytes");
    }
    Ok(())
}

/// Whether `key` is the canonical base64 encoding of 16 bytes: 22 digits,
/// the last one carrying 4 zero bits, then `==`.
fn is_websocket_key(key: &[u8]) -> bool {
    let Some((digits, padding)) = key.split_first_chunk::<22>() else {
        return false;
    };
    let is_digit = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/');
    padding == b"=="
        && digits.iter().all(is_digit)
        && matches!(digits[21], b'A' | b'Q' | b'g' | b'w')
}

#[cfg(test)]
mod tests {
    use super::is_websocket_key;

    #[test]
    fn accepts_only_base64_of_16_bytes() {
        assert!(is_websocket_key(b"dGhlIHNhbXBsZSBub25jZQ=="));
        assert!(is_websocket_key(b"AAAAAAAAAAAAAAAAAAAAAA=="));
        assert!(is_websocket_key(b"+/+/+/+/+/+/+/+/+/+/+w=="));
        for bad in [
            &b""[..],
            b"AAAAAAAAAAAAAAAAAAAA",
            b"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            b"dGhlIHNhbXBsZSBub25jZQ=",
            b"dGhlIHNhbXBsZSBub25jZQ===",
            b"dGhlIHNhbXBsZSBub25j*Q==",
            b"dGhlIHNhbXBsZSBub25jZR==",
            b"dGhlIHNhbXBsZSBub25jZQ-=",
        ] {
            assert!(!is_websocket_key(bad), "{}", String::from_utf8_lossy(bad));
        }
    }
}
