//! A voucher's code: derived from the server secret, batch and sequence (so a batch prints
//! again), read back from what a person types, and stored only as its keyed hash.

use uuid::Uuid;

use crate::crypto::hmac_sha256;

/// No 0/O, 1/I/L: a code read off paper is typed right.
pub const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
/// 12 characters of 31: about 59 bits, far beyond guessing at the rate limits below.
pub const CODE_LEN: usize = 12;

/// The code of voucher `seq` in `batch`, grouped `XXXX-XXXX-XXXX`.
pub fn derive_code(key: &[u8; 32], batch: Uuid, seq: i32) -> String {
    let mut chars = Vec::with_capacity(CODE_LEN);
    let mut round = 0u32;
    while chars.len() < CODE_LEN {
        let block = hmac_sha256(key, &[b"code", batch.as_bytes(), &seq.to_be_bytes(), &round.to_be_bytes()]);
        // Rejection sampling keeps every character equally likely.
        let limit = (256 / ALPHABET.len() * ALPHABET.len()) as u8;
        for b in block {
            if b < limit && chars.len() < CODE_LEN {
                chars.push(ALPHABET[b as usize % ALPHABET.len()] as char);
            }
        }
        round += 1;
    }
    let s: String = chars.into_iter().collect();
    format!("{}-{}-{}", &s[..4], &s[4..8], &s[8..])
}

/// A code as typed → its canonical form, or `None` when it cannot be one of ours.
pub fn normalize(input: &str) -> Option<String> {
    let s: String = input.chars().filter(|c| !matches!(c, '-' | ' ' | '\t')).map(|c| c.to_ascii_uppercase()).collect();
    (s.len() == CODE_LEN && s.bytes().all(|b| ALPHABET.contains(&b))).then_some(s)
}

/// What is stored of a code: its keyed hash.
pub fn code_hash(key: &[u8; 32], canonical: &str) -> String {
    hex::encode(hmac_sha256(key, &[b"hash", canonical.as_bytes()]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_derived_unambiguous_and_read_back() {
        let key = [7u8; 32];
        let batch = Uuid::from_u128(42);
        let a = derive_code(&key, batch, 1);
        assert_eq!(a, derive_code(&key, batch, 1), "the same code every time");
        assert_ne!(a, derive_code(&key, batch, 2));
        assert_ne!(a, derive_code(&[8u8; 32], batch, 1));
        assert_eq!(a.len(), CODE_LEN + 2);
        let canonical = normalize(&a).unwrap();
        assert!(canonical.bytes().all(|b| ALPHABET.contains(&b)));
        for typed in [a.to_lowercase(), a.replace('-', " "), a.replace('-', "")] {
            assert_eq!(normalize(&typed).as_deref(), Some(canonical.as_str()), "{typed}");
        }
        for bad in ["", "ABCD-EFGH-JKM", "ABCD-EFGH-JKMNP", "0BCD-EFGH-JKMN", "ABCD-EFGH-JKM1", "ABCDÉFGHJKMN"] {
            assert_eq!(normalize(bad), None, "{bad}");
        }
        assert_eq!(code_hash(&key, &canonical).len(), 64);
        assert_ne!(code_hash(&key, &canonical), code_hash(&[8u8; 32], &canonical), "keyed");
    }

    #[test]
    fn no_character_is_favoured() {
        let key = [1u8; 32];
        let mut counts = [0usize; 31];
        for seq in 1..=2_000 {
            for b in normalize(&derive_code(&key, Uuid::nil(), seq)).unwrap().bytes() {
                counts[ALPHABET.iter().position(|a| *a == b).unwrap()] += 1;
            }
        }
        // 24,000 characters: about 774 each; a modulo bias would skew the first few.
        assert!(counts.iter().all(|n| (650..=900).contains(n)), "{counts:?}");
    }
}
