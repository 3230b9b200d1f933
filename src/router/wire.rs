//! RouterOS API wire format: length-prefixed words, sentences ended by an empty word.
//!
//! The client side is mikrotik-rs; this codec serves the simulator (and lets tests and the
//! benchmark count bytes). Decoding is incremental: words and even length prefixes may arrive
//! split across reads.

/// Largest word we accept (RouterOS only uses 32-bit lengths; 16 MiB is far beyond any real
/// word and keeps a hostile peer from making us allocate gigabytes).
pub const MAX_WORD_LEN: usize = 16 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("reserved control byte 0x{0:02X} in a length prefix")]
    ReservedControlByte(u8),
    #[error("word of {0} bytes exceeds the limit")]
    WordTooLong(usize),
}

/// Appends the length prefix of a word of `len` bytes.
pub fn encode_length(len: usize, out: &mut Vec<u8>) {
    let l = len as u64;
    if l < 0x80 {
        out.push(l as u8);
    } else if l < 0x4000 {
        out.extend_from_slice(&((l as u16) | 0x8000).to_be_bytes());
    } else if l < 0x20_0000 {
        let v = (l as u32) | 0xC0_0000;
        out.extend_from_slice(&v.to_be_bytes()[1..]);
    } else if l < 0x1000_0000 {
        out.extend_from_slice(&((l as u32) | 0xE000_0000).to_be_bytes());
    } else {
        out.push(0xF0);
        out.extend_from_slice(&(l as u32).to_be_bytes());
    }
}

pub fn encode_word(word: &[u8], out: &mut Vec<u8>) {
    encode_length(word.len(), out);
    out.extend_from_slice(word);
}

pub fn encode_sentence<W: AsRef<[u8]>>(words: &[W], out: &mut Vec<u8>) {
    for w in words {
        encode_word(w.as_ref(), out);
    }
    out.push(0);
}

/// Decodes a length prefix at the start of `buf`: `Ok(Some((len, prefix_bytes)))`, `Ok(None)`
/// when more bytes are needed.
pub fn decode_length(buf: &[u8]) -> Result<Option<(usize, usize)>, WireError> {
    let Some(&b0) = buf.first() else {
        return Ok(None);
    };
    let (need, value) = match b0 {
        0x00..=0x7F => return Ok(Some((b0 as usize, 1))),
        0x80..=0xBF => (2, u32::from(b0 & 0x3F)),
        0xC0..=0xDF => (3, u32::from(b0 & 0x1F)),
        0xE0..=0xEF => (4, u32::from(b0 & 0x0F)),
        0xF0 => (5, 0),
        other => return Err(WireError::ReservedControlByte(other)),
    };
    if buf.len() < need {
        return Ok(None);
    }
    let mut v = value;
    for &b in &buf[1..need] {
        v = (v << 8) | u32::from(b);
    }
    Ok(Some((v as usize, need)))
}

/// Incremental sentence decoder.
#[derive(Debug, Default)]
pub struct Decoder {
    buf: Vec<u8>,
    /// Where the next unread byte is; consumed bytes are compacted lazily.
    pos: usize,
    words: Vec<Vec<u8>>,
}

impl Decoder {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn feed(&mut self, data: &[u8]) {
        if self.pos > 0 && self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
        }
        self.buf.extend_from_slice(data);
    }

    /// The next complete sentence (its words, without the terminator). Empty sentences are
    /// skipped, as RouterOS does.
    pub fn next_sentence(&mut self) -> Result<Option<Vec<Vec<u8>>>, WireError> {
        loop {
            let Some((len, prefix)) = decode_length(&self.buf[self.pos..])? else {
                return Ok(None);
            };
            if len > MAX_WORD_LEN {
                return Err(WireError::WordTooLong(len));
            }
            let start = self.pos + prefix;
            if self.buf.len() < start + len {
                return Ok(None);
            }
            self.pos = start + len;
            if len == 0 {
                let sentence = std::mem::take(&mut self.words);
                self.compact();
                if sentence.is_empty() {
                    continue;
                }
                return Ok(Some(sentence));
            }
            self.words.push(self.buf[start..start + len].to_vec());
        }
    }

    fn compact(&mut self) {
        if self.pos > 64 * 1024 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_prefix_vectors() {
        let cases: &[(usize, &[u8])] = &[
            (0x00, &[0x00]),
            (0x7F, &[0x7F]),
            (0x80, &[0x80, 0x80]),
            (0x100, &[0x81, 0x00]),
            (0x3FFF, &[0xBF, 0xFF]),
            (0x4000, &[0xC0, 0x40, 0x00]),
            (0x1F_FFFF, &[0xDF, 0xFF, 0xFF]),
            (0x20_0000, &[0xE0, 0x20, 0x00, 0x00]),
            (0xFFF_FFFF, &[0xEF, 0xFF, 0xFF, 0xFF]),
            (0x1000_0000, &[0xF0, 0x10, 0x00, 0x00, 0x00]),
        ];
        for (len, bytes) in cases {
            let mut out = Vec::new();
            encode_length(*len, &mut out);
            assert_eq!(&out, bytes, "encode {len:#x}");
            assert_eq!(decode_length(bytes).unwrap(), Some((*len, bytes.len())), "decode {len:#x}");
            // Every proper prefix of the length bytes asks for more.
            for cut in 0..bytes.len() {
                assert_eq!(decode_length(&bytes[..cut]).unwrap(), None, "{len:#x} cut at {cut}");
            }
        }
    }

    #[test]
    fn reserved_control_bytes_are_errors() {
        for b in 0xF8..=0xFFu8 {
            assert_eq!(decode_length(&[b, 0, 0, 0, 0]), Err(WireError::ReservedControlByte(b)));
        }
    }

    fn words_of_len(lens: &[usize]) -> Vec<Vec<u8>> {
        lens.iter().enumerate().map(|(i, &l)| (0..l).map(|j| ((i + j) % 251) as u8).collect()).collect()
    }

    #[test]
    fn sentences_round_trip_at_boundaries_byte_by_byte() {
        // Word lengths whose prefixes contain 0x00 bytes (256 → 81 00), words holding 0x00.
        let lens = [1, 127, 128, 255, 256, 512, 0x3FFF, 0x4000, 0x1F_FFFF, 0x20_0000];
        let words = words_of_len(&lens);
        let mut wire = Vec::new();
        encode_sentence(&words, &mut wire);
        encode_sentence(&[b"!done".to_vec()], &mut wire);

        let mut whole = Decoder::new();
        whole.feed(&wire);
        assert_eq!(whole.next_sentence().unwrap().unwrap(), words);
        assert_eq!(whole.next_sentence().unwrap().unwrap(), vec![b"!done".to_vec()]);
        assert_eq!(whole.next_sentence().unwrap(), None);

        // The small words one byte at a time (the large ones make this quadratic in tests).
        let small = words_of_len(&[1, 127, 128, 255, 256, 512]);
        let mut wire = Vec::new();
        encode_sentence(&small, &mut wire);
        let mut d = Decoder::new();
        let mut got = None;
        for (i, b) in wire.iter().enumerate() {
            d.feed(std::slice::from_ref(b));
            if let Some(s) = d.next_sentence().unwrap() {
                assert_eq!(i, wire.len() - 1, "sentence completed early");
                got = Some(s);
            }
        }
        assert_eq!(got.unwrap(), small);
    }

    #[test]
    fn empty_sentences_are_skipped() {
        let mut wire = vec![0u8, 0u8];
        encode_sentence(&[b"/system/identity/print".to_vec()], &mut wire);
        let mut d = Decoder::new();
        d.feed(&wire);
        assert_eq!(d.next_sentence().unwrap().unwrap(), vec![b"/system/identity/print".to_vec()]);
    }

    #[test]
    fn five_byte_prefix_is_decoded_and_oversized_words_refused() {
        let mut d = Decoder::new();
        d.feed(&[0xF0, 0x10, 0x00, 0x00, 0x00]);
        assert_eq!(d.next_sentence(), Err(WireError::WordTooLong(0x1000_0000)));
    }
}
