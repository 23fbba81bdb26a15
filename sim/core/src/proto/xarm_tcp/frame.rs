//! The controller's private Modbus-TCP-like framing on port 502: a streaming decoder for requests
//! (transaction id, protocol, length, register, parameters) and the encoder of answers with their state byte.

/// Floats as the SDK writes register parameters: little-endian `f32`s.
pub fn f32s_le(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// Little-endian `f32`s read back (a trailing partial one ignored), widened to `f64`.
pub fn read_f32s_le(bytes: &[u8]) -> Vec<f64> {
    bytes
        .chunks_exact(4)
        .map(|c| f64::from(f32::from_le_bytes([c[0], c[1], c[2], c[3]])))
        .collect()
}

/// The private protocol identifier the SDK speaks (`PRIVATE_MODBUS_TCP_PROTOCOL`).
pub const PROTOCOL_PRIVATE: u16 = 0x0002;
/// The identifier the SDK switches to for its keep-alive period (firmware >= 1.8.6); answered like 2.
pub const PROTOCOL_PRIVATE_KEEPALIVE: u16 = 0x0003;
/// The SDK's heartbeat frame carries protocol 1 (`00 00 00 01 00 02 00 00`); it gets no answer.
pub const PROTOCOL_HEARTBEAT: u16 = 0x0001;
/// The largest `length` accepted (register plus parameters): the SDK's control buffer is 1024 bytes.
pub const MAX_LENGTH: u16 = 1024;
/// Bytes before the register: transaction id, protocol, length.
pub const HEADER_BYTES: usize = 6;

/// State byte bit 4: the arm cannot move now.
pub const STATE_NOT_READY: u8 = 0x10;
/// State byte bit 5: a controller warning is uncleared.
pub const STATE_WARN: u8 = 0x20;
/// State byte bit 6: a controller error is uncleared.
pub const STATE_ERROR: u8 = 0x40;

/// One request frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// Transaction id, echoed in the answer.
    pub transaction: u16,
    /// Protocol identifier (2 or 3), echoed in the answer.
    pub protocol: u16,
    /// The register (function) number.
    pub register: u8,
    /// The parameter bytes.
    pub params: Vec<u8>,
}

/// What the decoder found in the byte stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Incoming {
    /// A request to answer.
    Request(Request),
    /// The SDK's heartbeat (protocol 1): no answer.
    Heartbeat,
}

/// Why the byte stream cannot be read on: the connection is closed (the controller does the same with a
/// stream it cannot frame, since no later byte can be trusted to start a frame).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// A protocol identifier other than 1, 2 or 3 (0 is standard Modbus TCP, which port 502 does not serve here).
    #[error("protocol identifier {0} is not the controller's private protocol (2)")]
    Protocol(u16),
    /// A request with no register (`length` 0).
    #[error("a frame of length 0 has no register")]
    Empty,
    /// A `length` above [`MAX_LENGTH`].
    #[error("frame length {0} is over the limit of {MAX_LENGTH}")]
    TooLong(u16),
}

/// Splits a TCP byte stream into frames.
#[derive(Debug, Default)]
pub struct Decoder {
    buffer: Vec<u8>,
}

impl Decoder {
    /// Appends bytes read from the socket.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buffer.extend_from_slice(bytes);
    }

    /// Bytes held that do not yet form a whole frame.
    pub fn buffered(&self) -> usize {
        self.buffer.len()
    }

    /// The next whole frame, `Ok(None)` if more bytes are needed, or why the stream is unreadable.
    pub fn next_frame(&mut self) -> Result<Option<Incoming>, FrameError> {
        if self.buffer.len() < HEADER_BYTES {
            return Ok(None);
        }
        let transaction = u16::from_be_bytes([self.buffer[0], self.buffer[1]]);
        let protocol = u16::from_be_bytes([self.buffer[2], self.buffer[3]]);
        let length = u16::from_be_bytes([self.buffer[4], self.buffer[5]]);
        if !matches!(
            protocol,
            PROTOCOL_HEARTBEAT | PROTOCOL_PRIVATE | PROTOCOL_PRIVATE_KEEPALIVE
        ) {
            return Err(FrameError::Protocol(protocol));
        }
        if length > MAX_LENGTH {
            return Err(FrameError::TooLong(length));
        }
        let total = HEADER_BYTES + usize::from(length);
        if self.buffer.len() < total {
            return Ok(None);
        }
        let frame: Vec<u8> = self.buffer.drain(..total).collect();
        if protocol == PROTOCOL_HEARTBEAT {
            return Ok(Some(Incoming::Heartbeat));
        }
        let Some((&register, params)) = frame[HEADER_BYTES..].split_first() else {
            return Err(FrameError::Empty);
        };
        Ok(Some(Incoming::Request(Request {
            transaction,
            protocol,
            register,
            params: params.to_vec(),
        })))
    }
}

/// Encodes a request (what the SDK sends): for tests, the checker and the bench.
pub fn encode_request(transaction: u16, protocol: u16, register: u8, params: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_BYTES + 1 + params.len());
    out.extend_from_slice(&transaction.to_be_bytes());
    out.extend_from_slice(&protocol.to_be_bytes());
    out.extend_from_slice(&((params.len() + 1) as u16).to_be_bytes());
    out.push(register);
    out.extend_from_slice(params);
    out
}

/// Encodes the answer to `request`: the same transaction, protocol and register, the state byte, then `params`.
pub fn encode_answer(request: &Request, state: u8, params: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_BYTES + 2 + params.len());
    out.extend_from_slice(&request.transaction.to_be_bytes());
    out.extend_from_slice(&request.protocol.to_be_bytes());
    out.extend_from_slice(&((params.len() + 2) as u16).to_be_bytes());
    out.push(request.register);
    out.push(state);
    out.extend_from_slice(params);
    out
}

/// A decoded answer (the checker's and the tests' view of what the controller sent).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    /// Transaction id.
    pub transaction: u16,
    /// Protocol identifier.
    pub protocol: u16,
    /// Register.
    pub register: u8,
    /// State byte.
    pub state: u8,
    /// Parameters after the state byte.
    pub params: Vec<u8>,
}

/// Splits one answer off the front of `bytes`: `Some((answer, bytes used))` once a whole one is there.
pub fn decode_answer(bytes: &[u8]) -> Option<(Answer, usize)> {
    if bytes.len() < HEADER_BYTES {
        return None;
    }
    let length = usize::from(u16::from_be_bytes([bytes[4], bytes[5]]));
    let total = HEADER_BYTES + length;
    if length < 2 || bytes.len() < total {
        return None;
    }
    Some((
        Answer {
            transaction: u16::from_be_bytes([bytes[0], bytes[1]]),
            protocol: u16::from_be_bytes([bytes[2], bytes[3]]),
            register: bytes[6],
            state: bytes[7],
            params: bytes[8..total].to_vec(),
        },
        total,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_documented_enable_request_decodes_and_is_answered() {
        // `communication_protocol` p08: enable every joint.
        let mut decoder = Decoder::default();
        decoder.push(&[0x00, 0x01, 0x00, 0x02, 0x00, 0x03, 0x0B, 0x08]);
        assert_eq!(decoder.next_frame(), Ok(None));
        decoder.push(&[0x01]);
        let Ok(Some(Incoming::Request(request))) = decoder.next_frame() else {
            panic!("a whole frame")
        };
        assert_eq!(request.register, 11);
        assert_eq!(request.params, vec![8, 1]);
        assert_eq!(
            encode_answer(&request, STATE_NOT_READY, &[]),
            vec![0x00, 0x01, 0x00, 0x02, 0x00, 0x02, 0x0B, 0x10]
        );
        assert_eq!(decoder.buffered(), 0);
    }

    #[test]
    fn heartbeats_pass_and_foreign_protocols_end_the_stream() {
        let mut decoder = Decoder::default();
        decoder.push(&[0, 0, 0, 1, 0, 2, 0, 0]);
        decoder.push(&encode_request(7, PROTOCOL_PRIVATE_KEEPALIVE, 13, &[]));
        assert_eq!(decoder.next_frame(), Ok(Some(Incoming::Heartbeat)));
        let Ok(Some(Incoming::Request(request))) = decoder.next_frame() else {
            panic!("the request after the heartbeat")
        };
        assert_eq!((request.transaction, request.protocol), (7, 3));
        let mut decoder = Decoder::default();
        decoder.push(&[0, 1, 0, 0, 0, 6, 1, 3, 0, 0, 0, 1]);
        assert_eq!(decoder.next_frame(), Err(FrameError::Protocol(0)));
        let mut decoder = Decoder::default();
        decoder.push(&[0, 1, 0, 2, 0xFF, 0xFF]);
        assert_eq!(decoder.next_frame(), Err(FrameError::TooLong(0xFFFF)));
        let mut decoder = Decoder::default();
        decoder.push(&[0, 1, 0, 2, 0, 0]);
        assert_eq!(decoder.next_frame(), Err(FrameError::Empty));
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let mut decoder = Decoder::default();
            decoder.push(&bytes);
            while let Ok(Some(_)) = decoder.next_frame() {}
            let _ = decode_answer(&bytes);
        }

        #[test]
        fn requests_round_trip(tid in any::<u16>(), register in any::<u8>(),
                               params in proptest::collection::vec(any::<u8>(), 0..200)) {
            let mut decoder = Decoder::default();
            decoder.push(&encode_request(tid, PROTOCOL_PRIVATE, register, &params));
            let decoded = decoder.next_frame();
            prop_assert_eq!(decoded, Ok(Some(Incoming::Request(Request {
                transaction: tid, protocol: PROTOCOL_PRIVATE, register, params: params.clone(),
            }))));
            let request = Request { transaction: tid, protocol: 2, register, params: vec![] };
            let answer = encode_answer(&request, 0x20, &params);
            let (decoded, used) = decode_answer(&answer).unwrap();
            prop_assert_eq!(used, answer.len());
            prop_assert_eq!(decoded.params, params);
            prop_assert_eq!(decoded.state, 0x20);
        }
    }
}
