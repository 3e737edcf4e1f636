//! Parsing and checking of the `Plaid-Verification` compact JWS, separate from key lookup:
//! split into segments, read the JOSE header without trusting it, pin `alg` to ES256, decode the
//! signature (checked by the caller with the cached key), then read the claims.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;

use crate::error::Rejection;

/// Longest `kid` we will look up. Plaid's are UUIDs (36 chars); anything much longer is junk.
pub(crate) const MAX_KID_LEN: usize = 128;

/// Longest token we will look at. A Plaid token is about 300 bytes.
const MAX_TOKEN_LEN: usize = 4096;

/// A token split into its three segments; nothing in it is trusted yet.
#[derive(Debug)]
pub(crate) struct RawToken<'a> {
    /// `base64url(header) "." base64url(claims)`: the bytes the signature covers.
    pub signing_input: &'a str,
    /// The base64url claims segment.
    pub claims_b64: &'a str,
    /// The base64url signature segment.
    pub signature_b64: &'a str,
    /// The header's `kid`, already checked to be present and sane.
    pub kid: String,
}

#[derive(Deserialize)]
struct JoseHeader {
    alg: Option<String>,
    kid: Option<String>,
}

/// The claims Plaid puts in the token. Both are optional here so that a missing claim gets its
/// own rejection reason instead of a generic parse failure.
#[derive(Deserialize)]
pub(crate) struct Claims {
    pub iat: Option<i64>,
    pub request_body_sha256: Option<String>,
}

/// Splits the token and checks its header: exactly three segments, a JSON header with
/// `alg == "ES256"` (nothing else, not `none`, not HS256 with a public key as secret) and a `kid`.
pub(crate) fn parse(token: &str) -> Result<RawToken<'_>, Rejection> {
    let token = token.trim_matches(' ');
    if token.is_empty() {
        return Err(Rejection::MissingSignature);
    }
    if token.len() > MAX_TOKEN_LEN {
        return Err(Rejection::MalformedToken);
    }
    let mut parts = token.split('.');
    let (Some(header_b64), Some(claims_b64), Some(signature_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Rejection::MalformedToken);
    };
    if header_b64.is_empty() || claims_b64.is_empty() {
        return Err(Rejection::MalformedToken);
    }
    let header_json = URL_SAFE_NO_PAD
        .decode(header_b64)
        .map_err(|_| Rejection::MalformedToken)?;
    let header: JoseHeader =
        serde_json::from_slice(&header_json).map_err(|_| Rejection::MalformedToken)?;
    if header.alg.as_deref() != Some("ES256") {
        return Err(Rejection::UnsupportedAlg);
    }
    let kid = match header.kid {
        Some(kid) if !kid.is_empty() => kid,
        _ => return Err(Rejection::MissingKid),
    };
    if kid.len() > MAX_KID_LEN || kid.chars().any(char::is_control) {
        return Err(Rejection::MalformedToken);
    }
    let signing_input = &token[..header_b64.len() + 1 + claims_b64.len()];
    Ok(RawToken {
        signing_input,
        claims_b64,
        signature_b64,
        kid,
    })
}

/// The ES256 signature in its JOSE form (the 64-byte `r || s`), or `None` when the segment is
/// not exactly that.
pub(crate) fn signature(raw: &RawToken<'_>) -> Option<[u8; 64]> {
    let mut signature = [0u8; 64];
    matches!(
        URL_SAFE_NO_PAD.decode_slice(raw.signature_b64, &mut signature),
        Ok(64)
    )
    .then_some(signature)
}

/// Decodes the claims. Call it only once the signature verified.
pub(crate) fn claims(raw: &RawToken<'_>) -> Result<Claims, Rejection> {
    let claims_json = URL_SAFE_NO_PAD
        .decode(raw.claims_b64)
        .map_err(|_| Rejection::InvalidClaims)?;
    serde_json::from_slice(&claims_json).map_err(|_| Rejection::InvalidClaims)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> String {
        URL_SAFE_NO_PAD.encode(s)
    }

    #[test]
    fn header_checks() {
        let claims = b64(r#"{"iat":1}"#);
        let tok = |h: &str| format!("{}.{claims}.c2ln", b64(h));
        assert!(matches!(parse(""), Err(Rejection::MissingSignature)));
        assert!(matches!(parse("a.b"), Err(Rejection::MalformedToken)));
        assert!(matches!(parse("a.b.c.d"), Err(Rejection::MalformedToken)));
        assert!(matches!(parse("!!!.b.c"), Err(Rejection::MalformedToken)));
        assert!(matches!(
            parse(&tok(r#"{"alg":"none","kid":"k"}"#)),
            Err(Rejection::UnsupportedAlg)
        ));
        assert!(matches!(
            parse(&tok(r#"{"alg":"HS256","kid":"k"}"#)),
            Err(Rejection::UnsupportedAlg)
        ));
        assert!(matches!(
            parse(&tok(r#"{"alg":"es256","kid":"k"}"#)),
            Err(Rejection::UnsupportedAlg)
        ));
        assert!(matches!(
            parse(&tok(r#"{"kid":"k"}"#)),
            Err(Rejection::UnsupportedAlg)
        ));
        assert!(matches!(
            parse(&tok(r#"{"alg":"ES256"}"#)),
            Err(Rejection::MissingKid)
        ));
        assert!(matches!(
            parse(&tok(r#"{"alg":"ES256","kid":""}"#)),
            Err(Rejection::MissingKid)
        ));
        let long = format!(
            r#"{{"alg":"ES256","kid":"{}"}}"#,
            "k".repeat(MAX_KID_LEN + 1)
        );
        assert!(matches!(parse(&tok(&long)), Err(Rejection::MalformedToken)));
        let ok = tok(r#"{"alg":"ES256","kid":"abc","typ":"JWT"}"#);
        let raw = parse(&ok).expect("valid header");
        assert_eq!(raw.kid, "abc");
        assert_eq!(raw.signature_b64, "c2ln");
        assert_eq!(raw.signing_input, &ok[..ok.len() - 5]);
    }
}
