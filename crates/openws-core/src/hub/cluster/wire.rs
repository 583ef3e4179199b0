//! What nodes say to each other over the bus: a JSON header, then the
//! encoded frame as it goes on the WebSocket, untouched.
//!
//! `[header length: u32, big-endian][header: JSON][frame bytes]`

use bytes::{BufMut, Bytes, BytesMut};
use serde::{Deserialize, Serialize};

use crate::hub::{ConnectionInfo, Delivery, Target};
use crate::runtime::ConnectionId;

/// One message between nodes. `origin` is the sending node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub(super) enum Header {
    /// A broadcast, already delivered on its origin; the frame follows.
    Broadcast {
        origin: u64,
        network: String,
        target: Target,
        message: String,
        roles: Vec<String>,
    },
    /// A frame for one connection of the receiving node; the frame follows.
    Push {
        origin: u64,
        request: u64,
        network: String,
        to: ConnectionId,
        message: String,
        roles: Vec<String>,
    },
    /// Closes one connection of the receiving node, after its queued frames.
    Close {
        origin: u64,
        request: u64,
        network: String,
        to: ConnectionId,
        code: u16,
        reason: String,
    },
    /// The answer to a push or a close.
    Delivered {
        origin: u64,
        request: u64,
        delivery: Delivery,
    },
    /// Asks every node for its connections (or a room's members).
    Query {
        origin: u64,
        request: u64,
        network: String,
        room: Option<String>,
    },
    /// The answer to a query.
    Listed {
        origin: u64,
        request: u64,
        connections: Vec<ConnectionInfo>,
    },
    /// The sending node is alive.
    Heartbeat { origin: u64 },
}

impl Header {
    /// The node that sent it.
    pub(super) fn origin(&self) -> u64 {
        match self {
            Header::Broadcast { origin, .. }
            | Header::Push { origin, .. }
            | Header::Close { origin, .. }
            | Header::Delivered { origin, .. }
            | Header::Query { origin, .. }
            | Header::Listed { origin, .. }
            | Header::Heartbeat { origin } => *origin,
        }
    }
}

/// Why bytes from the bus are not a message of ours.
#[derive(Debug, thiserror::Error)]
pub(super) enum DecodeError {
    #[error("message shorter than its header length")]
    Truncated,
    #[error("bad header: {0}")]
    Header(#[from] serde_json::Error),
}

/// The bytes of `header` followed by `frame`.
pub(super) fn encode(header: &Header, frame: &[u8]) -> Bytes {
    let json = serde_json::to_vec(header).expect("a header always serializes");
    let mut bytes = BytesMut::with_capacity(4 + json.len() + frame.len());
    bytes.put_u32(u32::try_from(json.len()).expect("a header is far below 4 GiB"));
    bytes.put_slice(&json);
    bytes.put_slice(frame);
    bytes.freeze()
}

/// The header and the frame after it (sharing `bytes`, not copied).
pub(super) fn decode(bytes: &Bytes) -> Result<(Header, Bytes), DecodeError> {
    let length: [u8; 4] = bytes
        .get(..4)
        .and_then(|b| b.try_into().ok())
        .ok_or(DecodeError::Truncated)?;
    let end = 4usize
        .checked_add(u32::from_be_bytes(length) as usize)
        .filter(|&end| end <= bytes.len())
        .ok_or(DecodeError::Truncated)?;
    let header = serde_json::from_slice(&bytes[4..end])?;
    Ok((header, bytes.slice(end..)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broadcast_round_trips_with_its_frame_untouched() {
        let header = Header::Broadcast {
            origin: u64::MAX,
            network: "chat".into(),
            target: Target {
                rooms: vec!["r".into()],
                except: vec!["00000000000000ff-1".parse().unwrap()],
                role: Some("client".into()),
            },
            message: "said".into(),
            roles: vec!["client".into()],
        };
        let frame = br#"{"fromRole":"server","messageName":"said","payload":{}}"#;
        let (decoded, rest) = decode(&encode(&header, frame)).unwrap();
        assert_eq!(decoded, header);
        assert_eq!(&rest[..], frame);
    }

    #[test]
    fn a_close_round_trips_with_its_code_and_reason() {
        let header = Header::Close {
            origin: 7,
            request: 42,
            network: "chat".into(),
            to: "00000000000000ff-1".parse().unwrap(),
            code: 4001,
            reason: "kicked: \"spam\"".into(),
        };
        let (decoded, rest) = decode(&encode(&header, b"")).unwrap();
        assert_eq!(decoded, header);
        assert!(rest.is_empty());
    }

    #[test]
    fn foreign_bytes_are_refused_not_panicked_on() {
        for bytes in [
            &b""[..],
            b"\x00\x00",
            b"\x00\x00\x00\x09{}",
            b"\xff\xff\xff\xffxx",
        ] {
            assert!(matches!(
                decode(&Bytes::copy_from_slice(bytes)),
                Err(DecodeError::Truncated)
            ));
        }
        let mut wrong = Vec::from(&4u32.to_be_bytes()[..]);
        wrong.extend_from_slice(b"null");
        assert!(matches!(
            decode(&Bytes::from(wrong)),
            Err(DecodeError::Header(_))
        ));
    }
}
