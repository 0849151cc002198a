//! `state` and `nonce` values: 256 bits of caller-supplied randomness, base64url.

/// 32 bytes give 43 characters; both values are compared exactly, never parsed.
pub fn random_token(random: [u8; 32]) -> String {
    super::b64::encode(&random)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_is_url_safe_and_full_length() {
        let token = random_token([0xfe; 32]);
        assert_eq!(token.len(), 43);
        assert!(!token.contains(['+', '/', '=']));
        assert_ne!(random_token([0; 32]), random_token([1; 32]));
    }
}
