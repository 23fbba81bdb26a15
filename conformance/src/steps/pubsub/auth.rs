//! Pub/sub authentication and transport steps: the valid token, crafted bad tokens (`{token:KIND}` in a path),
//! raw upgrades that read the 401, TLS handshakes, and the simulator's token and transcript hygiene.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cucumber::{given, then, when};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use understudy_sim::serve::pubsub::PubsubOptions;

use crate::client::{self, REPLY_TIMEOUT, Transport, Trust};
use crate::steps::Check;
use crate::steps::pubsub::{ENDPOINT, PubsubState};

/// The scenario's valid token: minted by the in-process simulator, or `--token` for a physical target.
pub(super) async fn valid_token(world: &mut Check) -> Result<String, String> {
    if let Some(token) = &world.state::<PubsubState>().token {
        return Ok(token.clone());
    }
    let given = world.run()?.config.token.clone();
    let token = match given {
        Some(token) => token,
        None if world.run()?.target.has_control() => world
            .control(ENDPOINT, "token", &json!({}))
            .await?
            .get("token")
            .and_then(Value::as_str)
            .ok_or("the simulator's token command answered no token")?
            .to_string(),
        None => {
            let url = world.url(ENDPOINT).await?;
            url.split_once('?')
                .and_then(|(_, query)| understudy_core::proto::http::query_param(query, "token"))
                .filter(|t| !t.is_empty())
                .ok_or("the pub/sub target needs a token: pass --token JWT")?
        }
    };
    world.state::<PubsubState>().token = Some(token.clone());
    world.state::<PubsubState>().tokens_used.push(token.clone());
    Ok(token)
}

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

fn sign(alg: Algorithm, claims: &Value, secret: &[u8]) -> Result<String, String> {
    jsonwebtoken::encode(&Header::new(alg), claims, &EncodingKey::from_secret(secret))
        .map_err(|e| format!("cannot sign a test token: {e}"))
}

fn wall_clock_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// A token of the given kind. Kinds that need a valid signature with odd claims are signed with the
/// in-process simulator's secret; a physical target's secret is never known, so those are `@sim-only`.
async fn crafted(world: &mut Check, kind: &str) -> Result<String, String> {
    let claims = json!({"sub": "understudy-check", "exp": wall_clock_secs() + 3600});
    let unsigned = |header: Value| format!("{}.{}.", b64(&header), b64(&claims));
    let token = match kind {
        "" => return valid_token(world).await,
        "percent-encoded" => valid_token(world).await?.replace('.', "%2E"),
        "two-parts" => format!("{}.{}", b64(&json!({"alg": "HS256"})), b64(&claims)),
        "header-not-json" => format!("{}.{}.c2ln", URL_SAFE_NO_PAD.encode("not json"), b64(&claims)),
        "header-without-alg" => format!("{}c2ln", unsigned(json!({"typ": "JWT"}))),
        "too-long" => {
            let valid = valid_token(world).await?;
            let padding = 8193usize.saturating_sub(valid.len());
            format!("{valid}{}", "A".repeat(padding))
        }
        "alg-none" => unsigned(json!({"alg": "none", "typ": "JWT"})),
        "alg-NoNe" => unsigned(json!({"alg": "NoNe", "typ": "JWT"})),
        "alg-HS384" => format!("{}{}", unsigned(json!({"alg": "HS384", "typ": "JWT"})), "A".repeat(64)),
        "alg-RS256" => format!("{}{}", unsigned(json!({"alg": "RS256", "typ": "JWT"})), "A".repeat(342)),
        "wrong-key" => sign(Algorithm::HS256, &claims, b"not the device's secret")?,
        "tampered" => {
            let valid = valid_token(world).await?;
            let mut parts = valid.split('.');
            let (Some(header), Some(_), Some(signature)) = (parts.next(), parts.next(), parts.next()) else {
                return Err("the valid token is not a three-part JWT".into());
            };
            let forged = json!({"sub": "root", "exp": wall_clock_secs() + 86_400 * 365});
            format!("{header}.{}.{signature}", b64(&forged))
        }
        "announced" => announcement(world, "pubsub-token").await?,
        _ => {
            let what = format!("a {{token:{kind}}} signed with the device's secret, which only it shares");
            let sim = world.target()?.in_process(&what)?.simulator().await?;
            let now = sim.clock().unix_ms() / 1000;
            let secret = PubsubOptions::default().jwt_secret;
            let claims = match kind {
                "expired" => json!({"sub": "s", "exp": now - 1}),
                "expiring-now" => json!({"sub": "s", "exp": now}),
                "not-yet-valid" => json!({"sub": "s", "exp": now + 60, "nbf": now + 1}),
                "valid-from-now" => json!({"sub": "s", "exp": now + 60, "nbf": now}),
                "no-exp" => json!({"sub": "s"}),
                "exp-as-text" => json!({"sub": "s", "exp": "tomorrow"}),
                "sub-as-number" => json!({"sub": 7, "exp": now + 60}),
                "claims-an-array" => json!([1, 2]),
                other => return Err(format!("unknown token kind {{token:{other}}}")),
            };
            sign(Algorithm::HS256, &claims, secret.as_bytes())?
        }
    };
    Ok(token)
}

/// What the in-process simulator announced under `key` (a token, a certificate file).
async fn announcement(world: &mut Check, key: &str) -> Result<String, String> {
    let what = format!("the simulator's announced {key}");
    let sim = world.target()?.in_process(&what)?.simulator().await?;
    sim.announcements()
        .into_iter()
        .find(|(k, _)| *k == key)
        .map(|(_, value)| value)
        .ok_or_else(|| format!("the simulator announced no {key}"))
}

/// Replaces every `{token}` / `{token:KIND}` in `template` with such a token, remembering each one sent.
async fn expand(world: &mut Check, template: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("{token") {
        let end = rest[start..]
            .find('}')
            .map(|e| start + e)
            .ok_or_else(|| format!("unclosed placeholder in {template}"))?;
        out.push_str(&rest[..start]);
        let kind = rest[start + "{token".len()..end].trim_start_matches(':');
        let token = crafted(world, kind).await?;
        world.state::<PubsubState>().tokens_used.push(token.replace("%2E", "."));
        out.push_str(&token);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[when(regex = r#"^I ask to open the pub/sub socket at "(.*)"$"#)]
async fn upgrade(world: &mut Check, template: String) -> Result<(), String> {
    let path = expand(world, &template).await?;
    let (transport, authority) = world.http_target(ENDPOINT).await?;
    world.http = Some(client::upgrade_request_via(&transport, &authority, &path).await?);
    Ok(())
}

#[given(regex = r#"^the simulator mints a token valid for (\d+) s$"#)]
async fn short_token(world: &mut Check, ttl: u64) -> Result<(), String> {
    let reply = world.control(ENDPOINT, "token", &json!({"ttl_s": ttl})).await?;
    let token = reply["token"].as_str().ok_or("no token in the answer")?.to_string();
    world.state::<PubsubState>().tokens_used.push(token.clone());
    world.state::<PubsubState>().token = Some(token);
    Ok(())
}

#[then(regex = r#"^the announced development token is for "(.*)" and valid for (\d+) hours$"#)]
async fn announced_token(world: &mut Check, sub: String, hours: u64) -> Result<(), String> {
    let token = crafted(world, "announced").await?;
    let claims = token
        .split('.')
        .nth(1)
        .and_then(|part| URL_SAFE_NO_PAD.decode(part).ok())
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
        .ok_or("the announced token has no readable claims")?;
    let lifetime = claims["exp"].as_u64().zip(claims["iat"].as_u64()).map(|(e, i)| e - i);
    if claims["sub"] == sub.as_str() && lifetime == Some(hours * 3600) {
        Ok(())
    } else {
        Err(format!(
            "the announced token's claims are sub {}, exp - iat {lifetime:?}",
            claims["sub"]
        ))
    }
}

// ---- TLS ------------------------------------------------------------------------------------------------

#[then(regex = r"^the pub/sub socket is served over TLS$")]
async fn served_over_tls(world: &mut Check) -> Result<(), String> {
    let url = world.url(ENDPOINT).await?;
    if url.starts_with("wss://") {
        Ok(())
    } else {
        Err(format!("the pub/sub socket is {}, not wss://", client::redact(&url)))
    }
}

#[then(regex = r#"^a TLS client that trusts only the announced "(.*)" certificate completes a handshake as "(.*)"$"#)]
async fn trusted_handshake(world: &mut Check, key: String, name: String) -> Result<(), String> {
    let url = world.url(ENDPOINT).await?;
    let path = announcement(world, &key).await?;
    let transport = Transport::tls(&Trust::PemFiles(vec![path.into()]))?;
    transport
        .open(client::authority_of(&url), Some(&name))
        .await
        .map(|_| ())
        .map_err(String::from)
}

#[when(regex = r"^a TLS client that trusts no certificate fails its handshake with the pub/sub port$")]
async fn distrustful_handshake(world: &mut Check) -> Result<(), String> {
    let url = world.url(ENDPOINT).await?;
    let transport = Transport::tls(&Trust::PemFiles(Vec::new()))?;
    match transport.open(client::authority_of(&url), None).await {
        Err(_) => Ok(()),
        Ok(_) => Err("a client that trusts no certificate completed a TLS handshake".into()),
    }
}

#[when(regex = r"^I send a plain HTTP request to the pub/sub port without TLS$")]
async fn plain_on_tls(world: &mut Check) -> Result<(), String> {
    let url = world.url(ENDPOINT).await?;
    let authority = client::authority_of(&url).to_string();
    let answer = async {
        let mut stream = tokio::net::TcpStream::connect(&authority)
            .await
            .map_err(|e| format!("cannot connect to {authority}: {e}"))?;
        stream
            .write_all(b"GET /wss HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
            .await
            .map_err(|e| e.to_string())?;
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer).await;
        Ok::<Vec<u8>, String>(answer)
    };
    let answer = tokio::time::timeout(REPLY_TIMEOUT * 3, answer)
        .await
        .map_err(|_| "the pub/sub port kept a plain HTTP connection open".to_string())??;
    if String::from_utf8_lossy(&answer).contains("HTTP/1.1 ") {
        Err("the TLS port answered plain HTTP".into())
    } else {
        Ok(())
    }
}

// ---- the simulator's own hygiene (@sim-only) -------------------------------------------------------------

#[given(regex = r"^the simulator records a transcript$")]
async fn record_transcript(world: &mut Check) -> Result<(), String> {
    Ok(world.target()?.record_transcript()?)
}

#[then(regex = r#"^after shutdown the transcript records the path "(.*)" and none of the tokens sent$"#)]
async fn transcript_clean(world: &mut Check, path: String) -> Result<(), String> {
    world.close_all().await;
    let target = world.target()?;
    target.in_process("reading the simulator's transcript")?.shutdown().await;
    let file = target.transcript().cloned().ok_or("no transcript was asked for")?;
    let text = std::fs::read_to_string(&file).map_err(|e| format!("cannot read the transcript: {e}"))?;
    if !text.contains(&format!(r#""kind":"open","data":"{path}""#)) {
        return Err(format!("the transcript records no open of {path}"));
    }
    if text.contains("token=") {
        return Err("the transcript holds a query string with a token (rule PUBSUB-30)".into());
    }
    for token in &world.state::<PubsubState>().tokens_used {
        if token
            .split('.')
            .filter(|p| p.len() >= 8)
            .any(|part| text.contains(part))
        {
            return Err("the transcript holds (part of) a token (rule PUBSUB-30)".into());
        }
    }
    Ok(())
}
