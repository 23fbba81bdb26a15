//! Pure JWT checks for the `?token=` query parameter of `/wss` (rule 11: bad or missing → 401).
//! The caller passes the current Unix time; nothing here reads a clock, logs, or does I/O.
//!
//! Policy (simulator-defined): HMAC only (HS256 by default), the header `alg` must equal the
//! configured one, `exp` is required and the token is expired once `now >= exp`, an `nbf` in
//! the future (`now < nbf`) is rejected, and there is no leeway. Checks run in this order:
//! presence, shape (three base64url parts, JSON header with a string `alg`), `alg: none`,
//! algorithm match, signature, claims object, `exp` present, expiry, `nbf`.
//! Tokens and secrets never appear in errors or `Debug` output.

use std::collections::HashSet;
use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Tokens longer than this many bytes are rejected as malformed without decoding.
pub const MAX_TOKEN_LEN: usize = 8192;

/// Longest echo of a foreign `alg` value in [`AuthError::UnexpectedAlgorithm`], in chars.
const MAX_ECHOED_ALG_CHARS: usize = 16;

/// The HMAC algorithms the simulator can be configured with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum JwtAlgorithm {
    /// HMAC-SHA256 (the default).
    #[default]
    Hs256,
    /// HMAC-SHA384.
    Hs384,
    /// HMAC-SHA512.
    Hs512,
}

impl JwtAlgorithm {
    /// The JOSE name, as found in a token header (`"HS256"`, ...).
    pub fn name(self) -> &'static str {
        match self {
            JwtAlgorithm::Hs256 => "HS256",
            JwtAlgorithm::Hs384 => "HS384",
            JwtAlgorithm::Hs512 => "HS512",
        }
    }

    /// Parses a JOSE name (exact case); `None` for anything but the three HMAC names.
    pub fn from_name(name: &str) -> Option<JwtAlgorithm> {
        match name {
            "HS256" => Some(JwtAlgorithm::Hs256),
            "HS384" => Some(JwtAlgorithm::Hs384),
            "HS512" => Some(JwtAlgorithm::Hs512),
            _ => None,
        }
    }

    fn jwt(self) -> Algorithm {
        match self {
            JwtAlgorithm::Hs256 => Algorithm::HS256,
            JwtAlgorithm::Hs384 => Algorithm::HS384,
            JwtAlgorithm::Hs512 => Algorithm::HS512,
        }
    }
}

/// Verification settings: the one accepted algorithm and the shared secret.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthConfig {
    /// The only algorithm accepted (and used by [`mint`]).
    pub algorithm: JwtAlgorithm,
    secret: Vec<u8>,
}

impl AuthConfig {
    /// HS256 with the given secret bytes.
    pub fn new(secret: impl Into<Vec<u8>>) -> AuthConfig {
        AuthConfig::with_algorithm(secret, JwtAlgorithm::Hs256)
    }

    /// The given algorithm with the given secret bytes.
    pub fn with_algorithm(secret: impl Into<Vec<u8>>, algorithm: JwtAlgorithm) -> AuthConfig {
        AuthConfig {
            algorithm,
            secret: secret.into(),
        }
    }
}

impl fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthConfig")
            .field("algorithm", &self.algorithm)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// The claims of an accepted token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Subject, if the token has a string `sub`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// Issued-at (Unix seconds), if present and a non-negative integer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<u64>,
    /// Not-before (Unix seconds, rounded up), if present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    /// Expiry (Unix seconds, rounded down).
    pub exp: u64,
}

/// Why a token was refused. [`AuthError::reason`] is the stable text for `{"error": ...}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthError {
    /// No token, or an empty one.
    MissingToken,
    /// Not three base64url parts, bad header/claims JSON, bad claim types, or too long.
    MalformedToken,
    /// The signature does not match the secret.
    InvalidSignature,
    /// The header says `alg: none` (any case).
    AlgorithmNone,
    /// The header names another algorithm (sanitized, truncated copy of it).
    UnexpectedAlgorithm(String),
    /// The claims have no `exp` (or `exp: null`).
    MissingExp,
    /// `now >= exp`.
    Expired,
    /// `now < nbf`.
    NotYetValid,
}

impl AuthError {
    /// Stable short reason, e.g. `"token expired"`.
    pub fn reason(&self) -> String {
        match self {
            AuthError::MissingToken => "missing token".into(),
            AuthError::MalformedToken => "malformed token".into(),
            AuthError::InvalidSignature => "invalid signature".into(),
            AuthError::AlgorithmNone => "algorithm none is not allowed".into(),
            AuthError::UnexpectedAlgorithm(alg) if alg.is_empty() => "unexpected algorithm".into(),
            AuthError::UnexpectedAlgorithm(alg) => format!("unexpected algorithm {alg}"),
            AuthError::MissingExp => "missing exp claim".into(),
            AuthError::Expired => "token expired".into(),
            AuthError::NotYetValid => "token not yet valid".into(),
        }
    }

    /// The HTTP 401 body: `{"error":"<reason>"}`.
    pub fn json_body(&self) -> String {
        serde_json::json!({ "error": self.reason() }).to_string()
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason())
    }
}

impl std::error::Error for AuthError {}

/// Validates `token` against `cfg` at Unix time `now_unix_secs` (see the module doc for the order).
pub fn validate(token: Option<&str>, cfg: &AuthConfig, now_unix_secs: u64) -> Result<Claims, AuthError> {
    let token = token.filter(|t| !t.is_empty()).ok_or(AuthError::MissingToken)?;
    if token.len() > MAX_TOKEN_LEN {
        return Err(AuthError::MalformedToken);
    }
    let header_alg = header_alg(token)?;
    if header_alg.eq_ignore_ascii_case("none") {
        return Err(AuthError::AlgorithmNone);
    }
    if header_alg != cfg.algorithm.name() {
        return Err(AuthError::UnexpectedAlgorithm(sanitize_alg(&header_alg)));
    }
    let claims = verify_signature(token, cfg)?;
    check_claims(&claims, now_unix_secs)
}

/// Mints a token for `sub` with `iat = now` and `exp = now + ttl_secs` (saturating).
pub fn mint(cfg: &AuthConfig, sub: &str, ttl_secs: u64, now_unix_secs: u64) -> String {
    let claims = Claims {
        sub: Some(sub.to_owned()),
        iat: Some(now_unix_secs),
        nbf: None,
        exp: now_unix_secs.saturating_add(ttl_secs),
    };
    jsonwebtoken::encode(
        &Header::new(cfg.algorithm.jwt()),
        &claims,
        &EncodingKey::from_secret(&cfg.secret),
    )
    .expect("HMAC signing of plain claims cannot fail")
}

/// Splits off and decodes the header, returning its `alg` string.
fn header_alg(token: &str) -> Result<String, AuthError> {
    let mut parts = token.split('.');
    let (Some(header), Some(_), Some(_), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(AuthError::MalformedToken);
    };
    let bytes = URL_SAFE_NO_PAD.decode(header).map_err(|_| AuthError::MalformedToken)?;
    let value: Value = serde_json::from_slice(&bytes).map_err(|_| AuthError::MalformedToken)?;
    match value.get("alg") {
        Some(Value::String(alg)) => Ok(alg.clone()),
        _ => Err(AuthError::MalformedToken),
    }
}

/// Keeps only `[A-Za-z0-9_-]`, at most [`MAX_ECHOED_ALG_CHARS`] of them, for the reason text.
fn sanitize_alg(alg: &str) -> String {
    alg.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .take(MAX_ECHOED_ALG_CHARS)
        .collect()
}

/// Verifies the signature with `jsonwebtoken` (its own time checks off) and returns the claims.
fn verify_signature(token: &str, cfg: &AuthConfig) -> Result<Value, AuthError> {
    let mut validation = Validation::new(cfg.algorithm.jwt());
    validation.leeway = 0;
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims = HashSet::new();
    let key = DecodingKey::from_secret(&cfg.secret);
    match jsonwebtoken::decode::<Value>(token, &key, &validation) {
        Ok(data) => Ok(data.claims),
        Err(err) => Err(match err.kind() {
            ErrorKind::InvalidSignature => AuthError::InvalidSignature,
            ErrorKind::InvalidAlgorithm => AuthError::UnexpectedAlgorithm(cfg.algorithm.name().into()),
            _ => AuthError::MalformedToken,
        }),
    }
}

/// How a NumericDate should be rounded when it is not an integer.
#[derive(Clone, Copy)]
enum Round {
    Down,
    Up,
}

/// Reads a NumericDate claim: absent/null → `Ok(None)`, non-number → malformed,
/// negative → 0.
fn numeric_date(claims: &Value, key: &str, round: Round) -> Result<Option<u64>, AuthError> {
    match claims.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => {
            if let Some(u) = n.as_u64() {
                Ok(Some(u))
            } else if n.as_i64().is_some() {
                Ok(Some(0))
            } else {
                let f = n.as_f64().ok_or(AuthError::MalformedToken)?;
                let r = match round {
                    Round::Down => f.floor(),
                    Round::Up => f.ceil(),
                };
                // Float-to-int `as` saturates: negatives become 0, huge values u64::MAX.
                Ok(Some(r as u64))
            }
        }
        Some(_) => Err(AuthError::MalformedToken),
    }
}

fn check_claims(claims: &Value, now: u64) -> Result<Claims, AuthError> {
    if !claims.is_object() {
        return Err(AuthError::MalformedToken);
    }
    let sub = match claims.get("sub") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(AuthError::MalformedToken),
    };
    let exp = numeric_date(claims, "exp", Round::Down)?.ok_or(AuthError::MissingExp)?;
    let nbf = numeric_date(claims, "nbf", Round::Up)?;
    if now >= exp {
        return Err(AuthError::Expired);
    }
    if nbf.is_some_and(|nbf| now < nbf) {
        return Err(AuthError::NotYetValid);
    }
    Ok(Claims {
        sub,
        iat: claims.get("iat").and_then(Value::as_u64),
        nbf,
        exp,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    const NOW: u64 = 1_700_000_000;
    const SECRET: &[u8] = b"sim-secret";

    fn cfg() -> AuthConfig {
        AuthConfig::new(SECRET)
    }

    fn b64(v: &Value) -> String {
        URL_SAFE_NO_PAD.encode(v.to_string())
    }

    /// Builds `header.payload.signature` by hand, signing with `sign_as` (or no signature).
    fn craft(header: &Value, claims: &Value, sign_as: Option<Algorithm>, secret: &[u8]) -> String {
        let message = format!("{}.{}", b64(header), b64(claims));
        let sig = match sign_as {
            Some(alg) => jsonwebtoken::crypto::sign(message.as_bytes(), &EncodingKey::from_secret(secret), alg)
                .expect("test signing"),
            None => String::new(),
        };
        format!("{message}.{sig}")
    }

    fn hs256(claims: Value) -> String {
        craft(
            &json!({"alg": "HS256", "typ": "JWT"}),
            &claims,
            Some(Algorithm::HS256),
            SECRET,
        )
    }

    fn check(token: &str) -> Result<Claims, AuthError> {
        validate(Some(token), &cfg(), NOW)
    }

    #[test]
    fn minted_token_validates() {
        let token = mint(&cfg(), "alice", 60, NOW);
        let claims = check(&token).expect("valid");
        assert_eq!(
            claims,
            Claims {
                sub: Some("alice".into()),
                iat: Some(NOW),
                nbf: None,
                exp: NOW + 60,
            }
        );
    }

    #[test]
    fn configured_algorithm_is_used_and_enforced() {
        let c = AuthConfig::with_algorithm(SECRET, JwtAlgorithm::Hs512);
        let token = mint(&c, "bob", 10, NOW);
        assert!(validate(Some(&token), &c, NOW).is_ok());
        assert_eq!(check(&token), Err(AuthError::UnexpectedAlgorithm("HS512".into())));
        assert_eq!(JwtAlgorithm::from_name("HS384"), Some(JwtAlgorithm::Hs384));
        assert_eq!(JwtAlgorithm::from_name("none"), None);
        assert_eq!(JwtAlgorithm::default().name(), "HS256");
    }

    #[test]
    fn missing_token() {
        assert_eq!(validate(None, &cfg(), NOW), Err(AuthError::MissingToken));
        assert_eq!(check(""), Err(AuthError::MissingToken));
    }

    #[test]
    fn malformed_tokens() {
        let good = hs256(json!({"exp": NOW + 10}));
        let mut parts = good.split('.');
        let (h, p, s) = (
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default(),
        );
        let not_json_claims = {
            let message = format!("{h}.{}", URL_SAFE_NO_PAD.encode("not json"));
            let sig =
                jsonwebtoken::crypto::sign(message.as_bytes(), &EncodingKey::from_secret(SECRET), Algorithm::HS256)
                    .expect("test signing");
            format!("{message}.{sig}")
        };
        let cases = [
            "abc".to_string(),
            "a.b".into(),
            format!("{h}.{p}.{s}.x"),
            format!("!!!.{p}.{s}"),
            format!("{}.{p}.{s}", URL_SAFE_NO_PAD.encode("{not json")),
            format!("{}.{p}.{s}", b64(&json!({"typ": "JWT"}))),
            format!("{}.{p}.{s}", b64(&json!({"alg": 256}))),
            format!("{}.{p}.{s}", b64(&json!(["HS256"]))),
            format!("{h}.{p}.***"),
            not_json_claims,
            hs256(json!(["exp"])),
            hs256(json!({"exp": "tomorrow"})),
            hs256(json!({"exp": NOW + 10, "nbf": "x"})),
            hs256(json!({"exp": NOW + 10, "sub": 5})),
            "a".repeat(MAX_TOKEN_LEN + 1),
        ];
        for token in &cases {
            assert_eq!(check(token), Err(AuthError::MalformedToken), "{token:.60}");
        }
    }

    #[test]
    fn invalid_signature() {
        let foreign = craft(
            &json!({"alg": "HS256"}),
            &json!({"exp": NOW + 10}),
            Some(Algorithm::HS256),
            b"other-secret",
        );
        assert_eq!(check(&foreign), Err(AuthError::InvalidSignature));
        // Same signature, tampered claims.
        let good = hs256(json!({"sub": "a", "exp": NOW + 10}));
        let sig = good.rsplit('.').next().unwrap_or_default();
        let tampered = format!(
            "{}.{}.{sig}",
            b64(&json!({"alg": "HS256", "typ": "JWT"})),
            b64(&json!({"sub": "root", "exp": NOW + 10}))
        );
        assert_eq!(check(&tampered), Err(AuthError::InvalidSignature));
        // Unsigned HS256 token.
        let unsigned = craft(&json!({"alg": "HS256"}), &json!({"exp": NOW + 10}), None, SECRET);
        assert_eq!(check(&unsigned), Err(AuthError::InvalidSignature));
    }

    #[test]
    fn algorithm_none_in_any_case() {
        for alg in ["none", "None", "NONE", "nOnE"] {
            let token = craft(&json!({"alg": alg}), &json!({"exp": NOW + 10}), None, SECRET);
            assert_eq!(check(&token), Err(AuthError::AlgorithmNone), "{alg}");
            // Even with a (meaningless) signature part attached.
            let signed = format!("{token}c2ln");
            assert_eq!(check(&signed), Err(AuthError::AlgorithmNone));
        }
    }

    #[test]
    fn unexpected_algorithms() {
        let hs384 = craft(
            &json!({"alg": "HS384"}),
            &json!({"exp": NOW + 10}),
            Some(Algorithm::HS384),
            SECRET,
        );
        assert_eq!(check(&hs384), Err(AuthError::UnexpectedAlgorithm("HS384".into())));
        let rs256 = format!("{}.{}.c2ln", b64(&json!({"alg": "RS256"})), b64(&json!({})));
        assert_eq!(check(&rs256), Err(AuthError::UnexpectedAlgorithm("RS256".into())));
        let weird = format!(
            "{}.{}.c2ln",
            b64(&json!({"alg": "hs256\"<script>very-long-algorithm-name"})),
            b64(&json!({}))
        );
        let err = check(&weird).expect_err("rejected");
        assert_eq!(err.reason(), "unexpected algorithm hs256scriptvery-");
        let empty = format!("{}.{}.c2ln", b64(&json!({"alg": ""})), b64(&json!({})));
        assert_eq!(
            check(&empty).map_err(|e| e.reason()),
            Err("unexpected algorithm".to_string())
        );
    }

    #[test]
    fn missing_exp() {
        assert_eq!(check(&hs256(json!({"sub": "a"}))), Err(AuthError::MissingExp));
        assert_eq!(check(&hs256(json!({"exp": null}))), Err(AuthError::MissingExp));
        assert_eq!(check(&hs256(json!({}))), Err(AuthError::MissingExp));
    }

    #[test]
    fn expiry_has_no_leeway() {
        assert_eq!(check(&hs256(json!({"exp": NOW}))), Err(AuthError::Expired));
        assert_eq!(check(&hs256(json!({"exp": NOW - 1}))), Err(AuthError::Expired));
        assert_eq!(check(&hs256(json!({"exp": -5}))), Err(AuthError::Expired));
        assert_eq!(check(&hs256(json!({"exp": NOW as f64 + 0.5}))), Err(AuthError::Expired));
        assert!(check(&hs256(json!({"exp": NOW + 1}))).is_ok());
        assert!(check(&hs256(json!({"exp": NOW as f64 + 1.5}))).is_ok());
        let token = mint(&cfg(), "a", 30, NOW);
        assert!(validate(Some(&token), &cfg(), NOW + 29).is_ok());
        assert_eq!(validate(Some(&token), &cfg(), NOW + 30), Err(AuthError::Expired));
    }

    #[test]
    fn not_yet_valid() {
        let token = hs256(json!({"exp": NOW + 100, "nbf": NOW + 1}));
        assert_eq!(check(&token), Err(AuthError::NotYetValid));
        assert!(validate(Some(&token), &cfg(), NOW + 1).is_ok());
        assert_eq!(
            check(&hs256(json!({"exp": NOW + 100, "nbf": NOW as f64 + 0.5}))),
            Err(AuthError::NotYetValid)
        );
        let ok = check(&hs256(json!({"exp": NOW + 100, "nbf": NOW, "iat": NOW})));
        assert_eq!(ok.map(|c| (c.nbf, c.iat)), Ok((Some(NOW), Some(NOW))));
    }

    #[test]
    fn reasons_and_bodies_are_stable() {
        let table = [
            (AuthError::MissingToken, "missing token"),
            (AuthError::MalformedToken, "malformed token"),
            (AuthError::InvalidSignature, "invalid signature"),
            (AuthError::AlgorithmNone, "algorithm none is not allowed"),
            (
                AuthError::UnexpectedAlgorithm("HS384".into()),
                "unexpected algorithm HS384",
            ),
            (AuthError::MissingExp, "missing exp claim"),
            (AuthError::Expired, "token expired"),
            (AuthError::NotYetValid, "token not yet valid"),
        ];
        for (err, reason) in table {
            assert_eq!(err.reason(), reason);
            assert_eq!(err.to_string(), reason);
            assert_eq!(err.json_body(), json!({ "error": reason }).to_string());
        }
        assert_eq!(AuthError::Expired.json_body(), r#"{"error":"token expired"}"#);
    }

    #[test]
    fn secrets_are_not_in_debug_output() {
        let shown = format!("{:?}", cfg());
        assert!(!shown.contains("sim-secret"), "{shown}");
        assert!(shown.contains("Hs256"));
    }

    fn numeric_claim() -> impl Strategy<Value = Value> {
        prop_oneof![
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            Just(Value::Null),
        ]
    }

    proptest! {
        #[test]
        fn random_strings_never_panic(s in ".*", now in any::<u64>()) {
            let _ = validate(Some(&s), &cfg(), now);
        }

        #[test]
        fn random_three_part_tokens_never_panic(
            a in "[A-Za-z0-9_-]{0,40}",
            b in "[A-Za-z0-9_-]{0,40}",
            c in "[A-Za-z0-9_=+/-]{0,40}",
        ) {
            let _ = check(&format!("{a}.{b}.{c}"));
        }

        #[test]
        fn random_claims_never_panic_and_signed_ones_verify(
            exp in numeric_claim(),
            nbf in numeric_claim(),
            now in any::<u64>(),
        ) {
            let token = hs256(json!({"exp": exp, "nbf": nbf}));
            let res = validate(Some(&token), &cfg(), now);
            prop_assert!(!matches!(
                res,
                Err(AuthError::InvalidSignature
                    | AuthError::MalformedToken
                    | AuthError::AlgorithmNone)
            ));
        }
    }
}
