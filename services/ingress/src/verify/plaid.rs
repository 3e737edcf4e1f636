//! [`KeySource`] over the shared Plaid client's `/webhook_verification_key/get`.

use futures::FutureExt as _;
use futures::future::BoxFuture;
use penny_plaid::{PlaidClient, PlaidError};

use super::source::{FetchError, KeySource, VerificationKey};

/// Fetches verification keys from Plaid (or the sandbox) with the shared client.
#[derive(Debug, Clone)]
pub struct PlaidKeySource {
    client: PlaidClient,
}

impl PlaidKeySource {
    /// Wraps a Plaid client.
    pub fn new(client: PlaidClient) -> Self {
        Self { client }
    }
}

/// Plaid answers an unknown key id (or one from the other environment) with HTTP 400
/// `INVALID_INPUT` / `INVALID_WEBHOOK_VERIFICATION_KEY_ID`: only that makes the kid invalid.
/// Every other failure (5xx, 429, timeouts, our own credentials being refused) says nothing
/// about the webhook, so it must not turn into a 401 that Plaid would never retry.
fn classify(err: &PlaidError) -> FetchError {
    if err.http_status() == Some(400) && err.error_type() == Some("INVALID_INPUT") {
        FetchError::Rejected
    } else {
        if !err.is_retryable() {
            tracing::error!(error = %err, "verification key fetch failed on our side (check PENNY_PLAID_* settings)");
        }
        FetchError::Unavailable(err.to_string())
    }
}

impl KeySource for PlaidKeySource {
    fn fetch<'a>(&'a self, kid: &'a str) -> BoxFuture<'a, Result<VerificationKey, FetchError>> {
        async move {
            let response = self
                .client
                .webhook_verification_key_get(kid)
                .await
                .map_err(|e| classify(&e))?;
            let key = response.key;
            Ok(VerificationKey {
                kid: key.kid,
                alg: key.alg,
                crv: key.crv,
                kty: key.kty,
                x: key.x,
                y: key.y,
                created_at: key.created_at,
                expired_at: key.expired_at,
            })
        }
        .boxed()
    }
}
