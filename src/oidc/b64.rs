//! base64url without padding (RFC 7515 section 2), the only encoding JOSE and PKCE use.
//!
//! Written out rather than taken from the `base64` crate, whose general-purpose engine
//! was 5 KB of the bundle for these two functions. The tests check it against that
//! crate, exhaustively for short inputs.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity((bytes.len() * 4).div_ceil(3));
    for chunk in bytes.chunks(3) {
        let byte = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let group = byte(0) << 16 | byte(1) << 8 | byte(2);
        // n bytes make n + 1 characters.
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(group >> (18 - 6 * i) & 63) as usize]));
        }
    }
    out
}

fn sextet(c: u8) -> Option<u32> {
    let value = match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'-' => 62,
        b'_' => 63,
        _ => return None,
    };
    Some(u32::from(value))
}

/// Strict decode: padding, `+`, `/`, whitespace, a dangling character and non-zero
/// bits after the last byte (a second spelling of the same bytes) are rejected.
pub fn decode(text: &str) -> Option<Vec<u8>> {
    let input = text.as_bytes();
    if input.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(input.len() / 4 * 3 + 2);
    for chunk in input.chunks(4) {
        let mut group = 0;
        for (i, c) in chunk.iter().enumerate() {
            group |= sextet(*c)? << (18 - 6 * i);
        }
        // n characters carry n - 1 whole bytes; the bits after them must be zero.
        let bytes = chunk.len() - 1;
        if group & (0x00ff_ffff >> (8 * bytes)) != 0 {
            return None;
        }
        for i in 0..bytes {
            out.push((group >> (16 - 8 * i)) as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;

    #[test]
    fn round_trips_and_rejects_non_url_alphabet() {
        assert_eq!(encode(&[0xfb, 0xff]), "-_8");
        assert_eq!(decode("-_8"), Some(vec![0xfb, 0xff]));
        assert_eq!(decode("+/8"), None);
        assert_eq!(decode("-_8="), None);
        assert_eq!(decode("a b"), None);
        assert_eq!(decode(""), Some(vec![]));
        // RFC 4648 section 10 vectors, unpadded.
        for (plain, coded) in [
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg"),
            ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(encode(plain.as_bytes()), coded);
            assert_eq!(decode(coded), Some(plain.as_bytes().to_vec()));
        }
    }

    #[test]
    fn rejects_a_dangling_character_and_non_canonical_trailing_bits() {
        assert_eq!(decode("Zm9vY"), None);
        // "Zg" and "Zm8" are "f" and "fo"; "Zh" and "Zm9" are the same bytes with stray
        // low bits set, a second spelling a strict decoder refuses.
        assert_eq!(decode("Zg"), Some(b"f".to_vec()));
        assert_eq!(decode("Zh"), None);
        assert_eq!(decode("Zm8"), Some(b"fo".to_vec()));
        assert_eq!(decode("Zm9"), None);
    }

    #[test]
    fn encodes_like_the_base64_crate() {
        // A fixed pseudo-random sequence (an LCG), every length up to 100.
        let mut seed: u32 = 0x1234_5678;
        for len in 0..=100 {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    (seed >> 24) as u8
                })
                .collect();
            let expected = URL_SAFE_NO_PAD.encode(&bytes);
            assert_eq!(encode(&bytes), expected);
            assert_eq!(decode(&expected), Some(bytes));
        }
    }

    #[test]
    fn decodes_every_short_string_like_the_base64_crate() {
        // Every string of up to 3 symbols over the alphabet plus the usual intruders.
        let mut symbols: Vec<char> = ALPHABET.iter().map(|b| char::from(*b)).collect();
        symbols.extend(['=', '+', '/', ' ', '.', '\n', 'é']);
        let mut strings = vec![String::new()];
        for _ in 0..3 {
            let longer: Vec<String> = strings
                .iter()
                .filter(|s| s.chars().count() == strings.last().map_or(0, |l| l.chars().count()))
                .flat_map(|s| symbols.iter().map(move |c| format!("{s}{c}")))
                .collect();
            strings.extend(longer);
        }
        assert!(strings.len() > 300_000);
        for s in &strings {
            assert_eq!(decode(s), URL_SAFE_NO_PAD.decode(s).ok(), "{s:?}");
        }
        // And 4- to 6-symbol strings from one valid group plus each short string.
        for s in strings.iter().filter(|s| s.chars().count() <= 2) {
            let long = format!("QUJD{s}");
            assert_eq!(
                decode(&long),
                URL_SAFE_NO_PAD.decode(&long).ok(),
                "{long:?}"
            );
        }
    }
}
