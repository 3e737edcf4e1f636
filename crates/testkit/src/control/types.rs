//! The request and answer shapes of the sandbox control API, mirrored from
//! `services/sandbox/src/control` (over HTTP only: no dependency on the sandbox crate). Answers
//! ignore fields they do not know, so the sandbox may add some.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// `POST /__sandbox/link/complete`: the user finishing Link for a link token. Unset fields take
/// the sandbox's defaults (Houndstooth Bank, `user_good` / `microdeposits_good`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LinkCompletion {
    /// The link token from `/link/token/create`.
    pub link_token: String,
    /// Institution to link at.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub institution_id: Option<String>,
    /// Sandbox username (`user_good`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Sandbox password; `microdeposits_good` for Automated Micro-deposits, `pass_good` for
    /// instant Auth.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// The micro-deposits the account gets at exchange (`None`: one $0.01 credit).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deposit_shape: Option<super::DepositShape>,
    /// Same-Day: numbers typed instead of a bank login (sandbox: `110000000`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub routing_number: Option<String>,
    /// Same-Day: the account number typed (sandbox: `1111222233330000`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_number: Option<String>,
    /// Update mode on a Same-Day Item: the deposit's code (sandbox: `ABC`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

impl LinkCompletion {
    /// A Same-Day session: the sandbox's Same-Day numbers typed in Link.
    pub fn same_day(link_token: &str) -> Self {
        Self {
            link_token: link_token.to_owned(),
            routing_number: Some("110000000".to_owned()),
            account_number: Some("1111222233330000".to_owned()),
            ..Self::default()
        }
    }

    /// An update-mode session on a Same-Day Item, entering `code`.
    pub fn confirm_code(link_token: &str, code: &str) -> Self {
        Self {
            link_token: link_token.to_owned(),
            code: Some(code.to_owned()),
            ..Self::default()
        }
    }
}

/// What Link's `onSuccess` hands the integrator.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct LinkCompleted {
    /// The public token to exchange.
    pub public_token: String,
    /// Link's session id.
    pub link_session_id: String,
    /// Where the user linked (`None` for Same-Day: numbers typed, no bank chosen).
    pub institution: Option<Institution>,
    /// The linked accounts.
    pub accounts: Vec<LinkAccount>,
}

/// An institution in Link's metadata.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Institution {
    /// Plaid's institution id, e.g. `ins_109512`.
    pub institution_id: String,
    /// Its display name.
    pub name: String,
}

/// An account in Link's `onSuccess` metadata.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct LinkAccount {
    /// Plaid's `account_id`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Last four digits.
    pub mask: String,
    /// `depository`.
    #[serde(rename = "type")]
    pub account_type: String,
    /// `checking` or `savings`.
    pub subtype: String,
    /// `pending_automatic_verification`, … (`None` for instant-auth accounts).
    pub verification_status: Option<String>,
}

/// The simulated clock (`GET|POST /__sandbox/clock`).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub struct Clock {
    /// Simulated now.
    pub now: DateTime<Utc>,
    /// Simulated seconds per real second.
    pub speed: f64,
}

/// A signing key as `GET /__sandbox/keys` lists it (Plaid's `JWKPublicKey`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Jwk {
    /// The key id (a JWT header's `kid`).
    pub kid: String,
    /// `ES256`.
    pub alg: String,
    /// `P-256`.
    pub crv: String,
    /// `EC`.
    pub kty: String,
    /// `sig`.
    #[serde(rename = "use")]
    pub key_use: String,
    /// base64url x coordinate.
    pub x: String,
    /// base64url y coordinate.
    pub y: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds; `None` while the key is current.
    pub expired_at: Option<i64>,
}

/// `POST /__sandbox/keys/rotate`: the new key and the one it expired.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct KeyRotation {
    /// The new current key.
    pub kid: String,
    /// The key that was current until now.
    pub expired_kid: String,
}

/// `POST /__sandbox/webhooks/sign`: a `Plaid-Verification` token for a body of the caller's
/// choosing.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SignRequest {
    /// Signed byte for byte.
    pub body: String,
    /// Unix seconds; default now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    /// Replaces the whole claim set (for malformed tokens); `iat` is then ignored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claims: Option<serde_json::Value>,
    /// Sign with this key (current or expired); default the current one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
}

/// A signed token and the key that signed it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Signed {
    /// The `Plaid-Verification` header value (a JWT).
    #[serde(rename = "plaid_verification")]
    pub token: String,
    /// The signing key's id.
    pub kid: String,
}

/// An error the sandbox can force on an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ForcedError {
    /// 429 with the endpoint's own code (`AUTH_LIMIT` for `/auth/get`, …).
    RateLimitExceeded,
    /// 429 `RATE_LIMIT`.
    RateLimit,
    /// 429 `AUTH_LIMIT`.
    AuthLimit,
    /// 429 `ACCOUNTS_LIMIT`.
    AccountsLimit,
    /// 429 `ITEM_GET_LIMIT`.
    ItemGetLimit,
    /// 500 `API_ERROR` / `INTERNAL_SERVER_ERROR`.
    InternalServerError,
    /// 503 `API_ERROR` / `PLANNED_MAINTENANCE`.
    PlannedMaintenance,
}

/// `POST /__sandbox/faults` for one endpoint: a forced error and/or added latency, for the next
/// `count` calls or each call with a probability (else every call until cleared). A new fault
/// replaces the endpoint's previous one.
///
/// ```
/// use std::time::Duration;
/// use penny_testkit::{EndpointFault, ForcedError};
/// let fault = EndpointFault::error("/auth/get", ForcedError::InternalServerError).count(2);
/// let slow = EndpointFault::latency("/webhook_verification_key/get", Duration::from_millis(300));
/// # let _ = (fault, slow);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EndpointFault {
    /// A Plaid path (`/auth/get`) or `*` for every Plaid endpoint.
    pub endpoint: String,
    /// The error to answer with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ForcedError>,
    /// Only the next `count` matching calls.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    /// Each call with this probability (0 < p ≤ 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
    /// Delay before answering, in milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
}

impl EndpointFault {
    /// Every call of `endpoint` answers `error`.
    pub fn error(endpoint: impl Into<String>, error: ForcedError) -> Self {
        Self {
            endpoint: endpoint.into(),
            error: Some(error),
            count: None,
            probability: None,
            latency_ms: None,
        }
    }

    /// Every call of `endpoint` is answered `latency` later.
    pub fn latency(endpoint: impl Into<String>, latency: Duration) -> Self {
        Self {
            endpoint: endpoint.into(),
            error: None,
            count: None,
            probability: None,
            latency_ms: Some(u64::try_from(latency.as_millis()).unwrap_or(u64::MAX)),
        }
    }

    /// Only the next `n` calls.
    #[must_use]
    pub fn count(mut self, n: u32) -> Self {
        self.count = Some(n);
        self
    }

    /// Each call with probability `p`.
    #[must_use]
    pub fn probability(mut self, p: f64) -> Self {
        self.probability = Some(p);
        self
    }
}

/// Webhook delivery faults (`POST /__sandbox/faults {"webhooks": …}`); they replace the
/// previous ones as a whole. Unset fields are off.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WebhookFaults {
    /// Send every webhook this many times (1..=10).
    pub duplicates: Option<u32>,
    /// Hold webhooks until this many wait, then send them newest first (2..=100).
    pub reorder_window: Option<u32>,
    /// Drop the next n webhooks.
    pub drop_next: Option<u32>,
    /// Drop each webhook with this probability.
    pub drop_probability: Option<f64>,
}

impl WebhookFaults {
    /// Drop the next `n` webhooks.
    pub fn drop_next(n: u32) -> Self {
        Self {
            drop_next: Some(n),
            ..Self::default()
        }
    }

    /// Drop each webhook with probability `p` (`1.0`: all of them).
    pub fn drop_probability(p: f64) -> Self {
        Self {
            drop_probability: Some(p),
            ..Self::default()
        }
    }

    /// Send every webhook `n` times.
    pub fn duplicates(n: u32) -> Self {
        Self {
            duplicates: Some(n),
            ..Self::default()
        }
    }

    /// Hold webhooks until `n` wait, then send them newest first.
    pub fn reorder_window(n: u32) -> Self {
        Self {
            reorder_window: Some(n),
            ..Self::default()
        }
    }
}

/// The active faults (`GET /__sandbox/faults`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ActiveFaults {
    /// Endpoint faults, by endpoint.
    pub endpoints: Vec<ActiveEndpointFault>,
    /// Webhook faults.
    pub webhooks: WebhookFaults,
}

/// An endpoint fault in force.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ActiveEndpointFault {
    /// The Plaid path or `*`.
    pub endpoint: String,
    /// The forced error.
    pub error: Option<ForcedError>,
    /// Calls left to affect (`None`: until cleared).
    pub remaining: Option<u32>,
    /// Probability per call (`None`: every call).
    pub probability: Option<f64>,
    /// Added latency in milliseconds.
    pub latency_ms: Option<u64>,
}

/// How a webhook delivery attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(from = "String")]
pub enum DeliveryOutcome {
    /// The receiver answered 200.
    Delivered,
    /// Another status or a transport error (Plaid retries).
    Failed,
    /// Dropped by a fault, never sent.
    Dropped,
    /// An outcome this client does not know yet.
    Other,
}

impl From<String> for DeliveryOutcome {
    fn from(s: String) -> Self {
        match s.as_str() {
            "delivered" => Self::Delivered,
            "failed" => Self::Failed,
            "dropped" => Self::Dropped,
            _ => Self::Other,
        }
    }
}

/// One entry of the webhook delivery log (`GET /__sandbox/webhooks`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct WebhookAttempt {
    /// Shared by every attempt of one delivery (injected duplicates get their own).
    pub delivery_id: u64,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// The receiver.
    pub url: String,
    /// `webhook_type`.
    pub webhook_type: String,
    /// `webhook_code`.
    pub webhook_code: String,
    /// The body as sent.
    pub body: String,
    /// How it ended.
    pub outcome: DeliveryOutcome,
    /// The HTTP status received.
    pub status: Option<u16>,
    /// The transport error.
    pub error: Option<String>,
    /// Simulated time of the attempt.
    pub sim_time: DateTime<Utc>,
    /// Wall time of the attempt.
    pub wall_time: DateTime<Utc>,
    /// Simulated time of the next retry, when one is scheduled.
    pub next_retry_at: Option<DateTime<Utc>>,
}

/// `GET /__sandbox/stats`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct SandboxStats {
    /// Counters by Plaid path.
    pub endpoints: BTreeMap<String, EndpointStats>,
    /// Items in the sandbox.
    pub items: u64,
    /// Timers waiting on the simulated clock.
    pub pending_timers: u64,
}

impl SandboxStats {
    /// The counters of `path` (zero when the sandbox does not list it).
    pub fn endpoint(&self, path: &str) -> EndpointStats {
        self.endpoints.get(path).copied().unwrap_or_default()
    }
}

/// Call counters of one endpoint since the last reset.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub struct EndpointStats {
    /// Requests received.
    pub calls: u64,
    /// 200 answers.
    pub ok: u64,
    /// Error answers (429 included).
    pub errors: u64,
    /// 429 answers (rate limits and injected 429s).
    pub rate_limited: u64,
}

/// Which of Plaid's rate-limit tables the sandbox enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RateLimitMode {
    /// No limits.
    Off,
    /// Plaid's Sandbox limits.
    Sandbox,
    /// Plaid's Production limits.
    Production,
}

/// Limits of one endpoint per minute; `None` is unlimited.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limit {
    /// Per Item.
    pub per_item: Option<u32>,
    /// Per client id.
    pub per_client: Option<u32>,
}

/// `POST /__sandbox/rate_limits`: a mode (which resets the table to Plaid's) and overrides that
/// replace both limits of their endpoint.
///
/// ```
/// use penny_testkit::{Limit, RateLimitMode, RateLimits};
/// let limits = RateLimits::mode(RateLimitMode::Off).limit(
///     "/auth/get",
///     Limit { per_client: Some(4), per_item: Some(15) },
/// );
/// # let _ = limits;
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RateLimits {
    /// The table to start from; `None` keeps the current one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<RateLimitMode>,
    /// Limits by Plaid path.
    pub overrides: BTreeMap<String, Limit>,
}

impl RateLimits {
    /// Switches to `mode`'s table.
    pub fn mode(mode: RateLimitMode) -> Self {
        Self {
            mode: Some(mode),
            overrides: BTreeMap::new(),
        }
    }

    /// Overrides the limits of `endpoint`.
    #[must_use]
    pub fn limit(mut self, endpoint: impl Into<String>, limit: Limit) -> Self {
        self.overrides.insert(endpoint.into(), limit);
        self
    }
}

/// The limits in force (`GET /__sandbox/rate_limits`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RateLimitTable {
    /// The table in use.
    pub mode: RateLimitMode,
    /// Limited endpoints by Plaid path.
    pub limits: BTreeMap<String, Limit>,
}
