//! A raw WebSocket client over TCP: the handshake by hand and frames byte by
//! byte, for input a WebSocket library refuses to produce (reserved bits,
//! unmasked frames, lying lengths, broken close codes).

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::client::TIMEOUT;

/// Opcode of a continuation frame.
pub const CONTINUATION: u8 = 0x0;
/// Opcode of a text frame.
pub const TEXT: u8 = 0x1;
/// Opcode of a close frame.
pub const CLOSE: u8 = 0x8;
/// Opcode of a ping frame.
pub const PING: u8 = 0x9;

/// The key of RFC 6455's example handshake (base64 of 16 bytes).
pub const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// How a frame is written: its flags, opcode and whether it is masked.
#[derive(Debug, Clone, Copy)]
pub struct Frame {
    /// The FIN bit: the last frame of a message.
    pub fin: bool,
    /// The three reserved bits (RSV1 = 4, RSV2 = 2, RSV3 = 1).
    pub rsv: u8,
    /// The opcode.
    pub opcode: u8,
    /// Whether the payload is masked (clients must mask).
    pub masked: bool,
}

impl Frame {
    /// A final, masked frame with `opcode`, as a well-behaved client writes it.
    pub const fn new(opcode: u8) -> Self {
        Self {
            fin: true,
            rsv: 0,
            opcode,
            masked: true,
        }
    }

    /// The same frame with the FIN bit cleared: more fragments follow.
    pub const fn fragment(mut self) -> Self {
        self.fin = false;
        self
    }

    /// The same frame with reserved bits `rsv` set.
    pub const fn rsv(mut self, rsv: u8) -> Self {
        self.rsv = rsv;
        self
    }

    /// The same frame without a mask.
    pub const fn unmasked(mut self) -> Self {
        self.masked = false;
        self
    }

    /// The header of this frame announcing `len` payload bytes (whatever follows).
    pub fn header(self, len: u64) -> Vec<u8> {
        let mut out = vec![(u8::from(self.fin) << 7) | ((self.rsv & 7) << 4) | (self.opcode & 0xf)];
        let mask_bit = if self.masked { 0x80 } else { 0 };
        match len {
            0..=125 => out.push(mask_bit | len as u8),
            126..=0xffff => {
                out.push(mask_bit | 126);
                out.extend_from_slice(&(len as u16).to_be_bytes());
            }
            _ => {
                out.push(mask_bit | 127);
                out.extend_from_slice(&len.to_be_bytes());
            }
        }
        if self.masked {
            out.extend_from_slice(&MASK);
        }
        out
    }

    /// The whole frame carrying `payload`.
    pub fn encode(self, payload: &[u8]) -> Vec<u8> {
        let mut out = self.header(payload.len() as u64);
        if self.masked {
            out.extend(payload.iter().zip(MASK.iter().cycle()).map(|(b, m)| b ^ m));
        } else {
            out.extend_from_slice(payload);
        }
        out
    }
}

/// The payload of a close frame with `code` and no reason.
pub fn close_payload(code: u16) -> Vec<u8> {
    code.to_be_bytes().to_vec()
}

/// A frame the server sent.
#[derive(Debug, PartialEq, Eq)]
pub enum Received {
    /// A close frame, with its code if it had one.
    Close(Option<u16>),
    /// Any other frame: its opcode and payload (as text, lossily).
    Other(u8, String),
    /// The server closed (or reset) the TCP connection.
    Eof,
}

/// A WebSocket connection driven byte by byte.
#[derive(Debug)]
pub struct RawSocket {
    stream: TcpStream,
}

impl RawSocket {
    /// Opens `ws://addr{path}` with a hand-written handshake; panics unless the server answers 101.
    pub async fn connect(addr: SocketAddr, path: &str) -> Self {
        let (status, stream) = handshake(addr, path, &[]).await;
        assert_eq!(status, 101, "upgrade of {path} refused");
        Self { stream }
    }

    /// Writes `frame` with `payload`.
    pub async fn send(&mut self, frame: Frame, payload: &[u8]) {
        self.send_bytes(&frame.encode(payload)).await;
    }

    /// Writes raw bytes. A failed write is ignored: the server may have closed
    /// already, and what it sent before is what the caller asserts on.
    pub async fn send_bytes(&mut self, bytes: &[u8]) {
        let _ = self.stream.write_all(bytes).await;
    }

    /// The next frame the server sends; panics if none arrives within [`TIMEOUT`].
    pub async fn recv(&mut self) -> Received {
        tokio::time::timeout(TIMEOUT, self.read_frame())
            .await
            .expect("no frame and no close within the timeout")
    }

    /// The code of the server's close frame, which must be the next frame it sends.
    pub async fn expect_close(&mut self) -> Option<u16> {
        match self.recv().await {
            Received::Close(code) => code,
            other => panic!("expected a close frame, got {other:?}"),
        }
    }

    async fn read_frame(&mut self) -> Received {
        let mut head = [0; 2];
        if self.stream.read_exact(&mut head).await.is_err() {
            return Received::Eof;
        }
        let len = match head[1] & 0x7f {
            126 => self.read_len::<2>().await,
            127 => self.read_len::<8>().await,
            len => Some(u64::from(len)),
        };
        let Some(len) = len.filter(|&len| len <= 1 << 20) else {
            return Received::Eof;
        };
        let mut payload = vec![0; len as usize];
        if self.stream.read_exact(&mut payload).await.is_err() {
            return Received::Eof;
        }
        match head[0] & 0xf {
            CLOSE => Received::Close(
                payload
                    .get(..2)
                    .map(|code| u16::from_be_bytes([code[0], code[1]])),
            ),
            opcode => Received::Other(opcode, String::from_utf8_lossy(&payload).into_owned()),
        }
    }

    async fn read_len<const N: usize>(&mut self) -> Option<u64> {
        let mut bytes = [0; N];
        self.stream.read_exact(&mut bytes).await.ok()?;
        Some(bytes.iter().fold(0, |len, &b| (len << 8) | u64::from(b)))
    }
}

/// Sends an upgrade request for `path` whose headers are the usual ones with
/// `overrides` replacing (or, with an empty value, removing) same-named ones;
/// returns the response status and the socket, positioned after the response head.
pub async fn handshake(
    addr: SocketAddr,
    path: &str,
    overrides: &[(&str, &str)],
) -> (u16, TcpStream) {
    let host = addr.to_string();
    let defaults = [
        ("Host", host.as_str()),
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Key", KEY),
        ("Sec-WebSocket-Version", "13"),
    ];
    let mut request = format!("GET {path} HTTP/1.1\r\n");
    for (name, value) in defaults {
        let value = overrides
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map_or(value, |(_, v)| v);
        if !value.is_empty() {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    request.push_str("\r\n");
    let exchange = async {
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        stream.write_all(request.as_bytes()).await.expect("write");
        // Byte by byte, so no frame after the response head is consumed.
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            let byte = stream.read_u8().await.expect("response head");
            head.push(byte);
        }
        (head, stream)
    };
    let (head, stream) = tokio::time::timeout(TIMEOUT, exchange)
        .await
        .expect("handshake timed out");
    let status = String::from_utf8_lossy(&head)
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status line");
    (status, stream)
}
