#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sso_fuzz_targets::jwks_parse(data));
