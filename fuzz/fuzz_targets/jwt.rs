//! The pub/sub JWT check: any token is accepted or refused without panicking, an accepted one is in date; a
//! minted token for any subject and lifetime validates back to its claims, and a forged signature does not.
#![no_main]

use libfuzzer_sys::fuzz_target;
use understudy_fuzz::take_u64;
use understudy_core::proto::pubsub::auth::{AuthConfig, AuthError, JwtAlgorithm, mint, validate};

const ALGORITHMS: [JwtAlgorithm; 3] = [JwtAlgorithm::Hs256, JwtAlgorithm::Hs384, JwtAlgorithm::Hs512];

/// Replaces the first character of the signature with another base64url character.
fn forge(token: &str) -> String {
    let at = token.rfind('.').expect("a minted token has three parts") + 1;
    let mut forged = token.to_owned();
    let replacement = if forged.as_bytes().get(at) == Some(&b'A') {
        "B"
    } else {
        "A"
    };
    forged.replace_range(at..=at, replacement);
    forged
}

fuzz_target!(|data: &[u8]| {
    let mut data = data;
    let algorithm = ALGORITHMS[take_u64::<1>(&mut data) as usize % ALGORITHMS.len()];
    let now = take_u64::<5>(&mut data);
    let ttl = take_u64::<3>(&mut data);
    let cfg = AuthConfig::with_algorithm(b"fuzz-secret".to_vec(), algorithm);
    let text = String::from_utf8_lossy(data);

    if let Ok(claims) = validate(Some(&text), &cfg, now) {
        assert!(now < claims.exp);
        assert!(claims.nbf.is_none_or(|nbf| nbf <= now));
    }

    let token = mint(&cfg, &text, ttl, now);
    match validate(Some(&token), &cfg, now) {
        Ok(claims) => {
            assert!(ttl > 0);
            assert_eq!(claims.sub.as_deref(), Some(&*text));
            assert_eq!((claims.iat, claims.exp), (Some(now), now + ttl));
            assert_eq!(
                validate(Some(&forge(&token)), &cfg, now),
                Err(AuthError::InvalidSignature)
            );
        }
        Err(AuthError::Expired) => assert_eq!(ttl, 0),
        Err(AuthError::MalformedToken) => assert!(token.len() > understudy_sim::serve::jwt_auth::MAX_TOKEN_LEN),
        Err(other) => panic!("a minted token was refused: {other}"),
    }
});
