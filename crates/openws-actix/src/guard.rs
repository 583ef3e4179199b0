//! Every frame header checked as its bytes arrive, before actix-http parses the frame.
//!
//! actix-http's parser compares a frame's length with the limit only once the
//! whole frame is buffered (a header announcing 1 GiB makes it buffer 1 GiB
//! first, and one announcing 2^63 bytes waits forever), and it ignores the
//! reserved bits. The [`Scanner`] sees the request payload's bytes first (the
//! reader feeds it each chunk): it follows the frame boundaries, checks each
//! header against RFC 6455 and the size limit, and says where the first broken
//! header starts, so the reader parses only the frames before it.

const CONTINUATION: u8 = 0x0;
const TEXT: u8 = 0x1;
const BINARY: u8 = 0x2;
const CLOSE: u8 = 0x8;
const PING: u8 = 0x9;
const PONG: u8 = 0xa;

/// Why the guard ended a connection's payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Violation {
    /// A frame, or the fragments of a message, exceed the limit (close with 1009).
    TooBig,
    /// A broken RFC 6455 framing rule (close with 1002), described for the close reason.
    Protocol(&'static str),
}

/// Follows frame boundaries and message state over the bytes of one connection.
#[derive(Debug)]
pub(crate) struct Scanner {
    max_bytes: u64,
    /// The header being read, and how many of its bytes have arrived.
    header: [u8; 14],
    header_len: usize,
    /// Payload bytes of the current frame still to pass.
    payload_left: u64,
    /// Bytes of the fragmented data message in progress, if one is.
    message: Option<u64>,
}

impl Scanner {
    /// A scanner refusing frames and messages over `max_bytes`.
    pub(crate) fn new(max_bytes: usize) -> Self {
        Self {
            max_bytes: max_bytes as u64,
            header: [0; 14],
            header_len: 0,
            payload_left: 0,
            message: None,
        }
    }

    /// Follows `bytes`; on a broken header, returns how many bytes precede it
    /// (the frames before it are fine) and the violation.
    pub(crate) fn feed(&mut self, bytes: &[u8]) -> Result<(), (usize, Violation)> {
        let mut at = 0;
        // Where the header being read starts in `bytes` (0 if it began in an earlier chunk).
        let mut header_start = 0;
        while at < bytes.len() {
            if self.payload_left > 0 {
                let skip = self.payload_left.min((bytes.len() - at) as u64);
                self.payload_left -= skip;
                at += skip as usize;
                continue;
            }
            if self.header_len == 0 {
                header_start = at;
            }
            self.header[self.header_len] = bytes[at];
            self.header_len += 1;
            at += 1;
            match self.check_header() {
                Ok(Some(payload_len)) => {
                    self.payload_left = payload_len;
                    self.header_len = 0;
                }
                Ok(None) => {}
                Err(violation) => return Err((header_start, violation)),
            }
        }
        Ok(())
    }

    /// Checks the header bytes read so far; `Some(len)` once the header is complete.
    fn check_header(&mut self) -> Result<Option<u64>, Violation> {
        use Violation::Protocol;
        let [first, second, ..] = self.header;
        let (fin, opcode) = (first & 0x80 != 0, first & 0x0f);
        let control = opcode >= CLOSE;
        if self.header_len == 1 {
            return if first & 0x70 != 0 {
                Err(Protocol("reserved bits set"))
            } else if !matches!(opcode, CONTINUATION | TEXT | BINARY | CLOSE | PING | PONG) {
                Err(Protocol("reserved opcode"))
            } else if control && !fin {
                Err(Protocol("fragmented control frame"))
            } else if opcode == CONTINUATION && self.message.is_none() {
                Err(Protocol("continuation frame without a message to continue"))
            } else if matches!(opcode, TEXT | BINARY) && self.message.is_some() {
                Err(Protocol("new message inside a fragmented message"))
            } else {
                Ok(None)
            };
        }
        let short_len = second & 0x7f;
        if self.header_len == 2 {
            if second & 0x80 == 0 {
                return Err(Protocol("unmasked client frame"));
            }
            if control && short_len > 125 {
                return Err(Protocol("control frame longer than 125 bytes"));
            }
            if opcode == CLOSE && short_len == 1 {
                return Err(Protocol("one-byte close frame"));
            }
        }
        let len_bytes = match short_len {
            126 => 2,
            127 => 8,
            _ => 0,
        };
        if self.header_len < 2 + len_bytes + 4 {
            return Ok(None);
        }
        let len = match len_bytes {
            0 => u64::from(short_len),
            _ => self.header[2..2 + len_bytes]
                .iter()
                .fold(0, |len, &b| (len << 8) | u64::from(b)),
        };
        if control {
            return Ok(Some(len));
        }
        let message = self.message.unwrap_or(0).saturating_add(len);
        if len > self.max_bytes || message > self.max_bytes {
            return Err(Violation::TooBig);
        }
        self.message = (!fin).then_some(message);
        Ok(Some(len))
    }
}

/// Whether a peer may send close code `code` (RFC 6455, section 7.4): the
/// defined codes a peer may put on the wire, and the application range.
pub(crate) fn is_valid_close_code(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const MASK: [u8; 4] = [1, 2, 3, 4];

    fn frame(first: u8, len: u64) -> Vec<u8> {
        let mut out = vec![first];
        match len {
            0..=125 => out.push(0x80 | len as u8),
            126..=0xffff => {
                out.push(0x80 | 126);
                out.extend_from_slice(&(len as u16).to_be_bytes());
            }
            _ => {
                out.push(0x80 | 127);
                out.extend_from_slice(&len.to_be_bytes());
            }
        }
        out.extend_from_slice(&MASK);
        out.resize(out.len() + len.min(1 << 16) as usize, b'x');
        out
    }

    fn verdict(bytes: &[u8]) -> Result<(), (usize, Violation)> {
        Scanner::new(1024).feed(bytes)
    }

    #[test]
    fn passes_valid_frames_and_fragmented_messages() {
        let mut bytes = frame(0x81, 10);
        bytes.extend(frame(0x01, 500));
        bytes.extend(frame(0x89, 125));
        bytes.extend(frame(0x80, 524));
        bytes.extend(frame(0x88, 2));
        assert_eq!(verdict(&bytes), Ok(()));
    }

    #[test]
    fn refuses_oversized_frames_from_the_header() {
        for len in [1025, 1 << 30, 1 << 63, u64::MAX] {
            let header = &frame(0x81, len)[..14];
            assert_eq!(verdict(header), Err((0, Violation::TooBig)), "{len}");
        }
        let mut bytes = frame(0x01, 1000);
        bytes.extend(frame(0x80, 25));
        assert_eq!(verdict(&bytes), Err((1008, Violation::TooBig)));
    }

    #[test]
    fn refuses_framing_violations_where_they_start() {
        let ok = frame(0x81, 3);
        for bad in [
            frame(0xc1, 3),
            frame(0x91, 3),
            frame(0x80, 3),
            frame(0x83, 0),
            frame(0x8b, 0),
            frame(0x09, 1),
            frame(0x89, 126),
            frame(0x88, 1),
            {
                let mut unmasked = frame(0x81, 3);
                unmasked[1] &= 0x7f;
                unmasked
            },
        ] {
            let mut bytes = ok.clone();
            bytes.extend(&bad);
            let (at, violation) = verdict(&bytes).expect_err("violation");
            assert_eq!(at, ok.len());
            assert!(matches!(violation, Violation::Protocol(_)), "{bad:02x?}");
        }
        let mut nested = frame(0x01, 3);
        nested.extend(frame(0x81, 3));
        assert!(matches!(verdict(&nested), Err((9, Violation::Protocol(_)))));
    }

    /// A frame header with random flags, opcode, mask bit and length, then its payload.
    fn random_frame() -> impl Strategy<Value = Vec<u8>> {
        let opcode = prop::sample::select([0x0, 0x1, 0x2, 0x3, 0x8, 0x9, 0xa, 0xb].as_slice());
        let len = prop_oneof![8 => 0u64..300, 1 => 300u64..70_000, 1 => any::<u64>()];
        (
            any::<bool>(),
            prop::bool::weighted(0.1),
            opcode,
            prop::bool::weighted(0.95),
            len,
        )
            .prop_map(|(fin, rsv, opcode, masked, len)| {
                let first = (u8::from(fin) << 7) | (u8::from(rsv) << 6) | opcode;
                let mut bytes = frame(first, len);
                if !masked {
                    bytes[1] &= 0x7f;
                }
                bytes
            })
    }

    proptest! {
        /// However the bytes are cut into chunks, the scanner reaches the same
        /// verdict, reported from the same header; it never panics.
        #[test]
        fn chunking_never_changes_the_verdict(
            frames in prop::collection::vec(random_frame(), 1..6),
            cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..6),
        ) {
            let bytes = frames.concat();
            let whole = Scanner::new(1024).feed(&bytes);
            let mut cuts: Vec<usize> = cuts.iter().map(|cut| cut.index(bytes.len() + 1)).collect();
            cuts.extend([0, bytes.len()]);
            cuts.sort_unstable();
            let mut scanner = Scanner::new(1024);
            let chunked = cuts.windows(2).find_map(|pair| {
                let result = scanner.feed(&bytes[pair[0]..pair[1]]);
                result.err().map(|(at, violation)| (pair[0] + at, violation))
            });
            match (whole, chunked) {
                (Ok(()), None) => {}
                (Err((whole_at, expected)), Some((at, violation))) => {
                    prop_assert_eq!(violation, expected);
                    prop_assert!(whole_at <= at && at < whole_at + 14);
                }
                (whole, chunked) => prop_assert!(false, "{:?} vs {:?}", whole, chunked),
            }
        }
    }

    #[test]
    fn knows_valid_close_codes() {
        for code in [1000, 1001, 1002, 1003, 1007, 1011, 3000, 4999] {
            assert!(is_valid_close_code(code), "{code}");
        }
        for code in [0, 999, 1004, 1005, 1006, 1015, 2999, 5000] {
            assert!(!is_valid_close_code(code), "{code}");
        }
    }
}
