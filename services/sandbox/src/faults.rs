//! Fault injection: forced errors and latency per endpoint, and webhook delivery faults.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::endpoint::Endpoint;
use crate::error::ApiError;

/// Errors that can be forced on an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ForcedError {
    /// 429 with the endpoint's own code (AUTH_LIMIT for /auth/get, ...).
    RateLimitExceeded,
    /// 429 RATE_LIMIT.
    RateLimit,
    /// 429 AUTH_LIMIT.
    AuthLimit,
    /// 429 ACCOUNTS_LIMIT.
    AccountsLimit,
    /// 429 ITEM_GET_LIMIT.
    ItemGetLimit,
    /// 500 API_ERROR / INTERNAL_SERVER_ERROR.
    InternalServerError,
    /// 503 API_ERROR / PLANNED_MAINTENANCE.
    PlannedMaintenance,
}

impl ForcedError {
    fn to_error(self, ep: Endpoint) -> ApiError {
        match self {
            ForcedError::RateLimitExceeded => ApiError::rate_limit(ep.rate_limit_code()),
            ForcedError::RateLimit => ApiError::rate_limit("RATE_LIMIT"),
            ForcedError::AuthLimit => ApiError::rate_limit("AUTH_LIMIT"),
            ForcedError::AccountsLimit => ApiError::rate_limit("ACCOUNTS_LIMIT"),
            ForcedError::ItemGetLimit => ApiError::rate_limit("ITEM_GET_LIMIT"),
            ForcedError::InternalServerError => ApiError::internal(),
            ForcedError::PlannedMaintenance => ApiError::planned_maintenance(),
        }
    }
}

/// `POST /__sandbox/faults` body for an endpoint fault.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointFaultRequest {
    /// Plaid path (`/auth/get`) or `*` for every Plaid endpoint.
    pub endpoint: String,
    /// Error to answer with.
    pub error: Option<ForcedError>,
    /// Affect only the next `count` matching calls.
    pub count: Option<u32>,
    /// Affect each call with this probability (0 < p <= 1).
    pub probability: Option<f64>,
    /// Delay added before answering.
    pub latency_ms: Option<u64>,
}

/// An active endpoint fault.
#[derive(Debug, Clone, Serialize)]
pub struct EndpointFault {
    /// Plaid path or `*`.
    pub endpoint: String,
    /// Forced error.
    pub error: Option<ForcedError>,
    /// Calls left to affect (`None`: until cleared).
    pub remaining: Option<u32>,
    /// Probability per call (`None`: every call).
    pub probability: Option<f64>,
    /// Added latency.
    pub latency_ms: Option<u64>,
}

/// Webhook delivery faults.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookFaults {
    /// Send every webhook this many times (2..=10).
    pub duplicates: Option<u32>,
    /// Hold webhooks until this many are waiting, then send them newest first (2..=100).
    pub reorder_window: Option<u32>,
    /// Drop the next n webhooks.
    pub drop_next: Option<u32>,
    /// Drop each webhook with this probability.
    pub drop_probability: Option<f64>,
}

impl WebhookFaults {
    /// Checks ranges; the message says what is wrong.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(k) = self.duplicates
            && !(1..=10).contains(&k)
        {
            return Err("webhooks.duplicates must be between 1 and 10".into());
        }
        if let Some(n) = self.reorder_window
            && !(2..=100).contains(&n)
        {
            return Err("webhooks.reorder_window must be between 2 and 100".into());
        }
        if let Some(p) = self.drop_probability {
            check_probability(p, "webhooks.drop_probability")?;
        }
        Ok(())
    }
}

fn check_probability(p: f64, name: &str) -> Result<(), String> {
    if p.is_finite() && p > 0.0 && p <= 1.0 {
        Ok(())
    } else {
        Err(format!("{name} must be a number in (0, 1]"))
    }
}

/// What a call must suffer.
#[derive(Debug, Default)]
pub struct Hit {
    /// Sleep this long first.
    pub latency: Option<Duration>,
    /// Then answer with this error.
    pub error: Option<ApiError>,
}

/// Active endpoint faults.
#[derive(Debug, Default)]
pub struct Faults {
    active: AtomicBool,
    rules: Mutex<HashMap<String, EndpointFault>>,
}

impl Faults {
    /// Validates and installs a fault (replacing the endpoint's previous one).
    pub fn add(&self, req: EndpointFaultRequest) -> Result<EndpointFault, String> {
        if req.endpoint != "*" && Endpoint::from_path(&req.endpoint).is_none() {
            return Err(format!(
                "endpoint must be a Plaid path served by the sandbox (e.g. /auth/get) or \"*\", got {:?}",
                req.endpoint
            ));
        }
        if req.error.is_none() && req.latency_ms.is_none() {
            return Err("give at least one of error and latency_ms".into());
        }
        if req.count == Some(0) {
            return Err("count must be at least 1".into());
        }
        if let Some(p) = req.probability {
            check_probability(p, "probability")?;
        }
        if req.latency_ms.is_some_and(|ms| ms > 60_000) {
            return Err("latency_ms must be at most 60000".into());
        }
        let fault = EndpointFault {
            endpoint: req.endpoint,
            error: req.error,
            remaining: req.count,
            probability: req.probability,
            latency_ms: req.latency_ms,
        };
        let mut rules = self.rules.lock().unwrap_or_else(|e| e.into_inner());
        rules.insert(fault.endpoint.clone(), fault.clone());
        self.active.store(true, Ordering::Release);
        Ok(fault)
    }

    /// Removes every endpoint fault.
    pub fn clear(&self) {
        self.rules.lock().unwrap_or_else(|e| e.into_inner()).clear();
        self.active.store(false, Ordering::Release);
    }

    /// Active faults.
    pub fn list(&self) -> Vec<EndpointFault> {
        let rules = self.rules.lock().unwrap_or_else(|e| e.into_inner());
        let mut v: Vec<_> = rules.values().cloned().collect();
        v.sort_by(|a, b| a.endpoint.cmp(&b.endpoint));
        v
    }

    /// The fault a call to `ep` suffers, if any (consumes one `count`).
    pub fn check(&self, ep: Endpoint) -> Option<Hit> {
        if !self.active.load(Ordering::Acquire) {
            return None;
        }
        let mut rules = self.rules.lock().unwrap_or_else(|e| e.into_inner());
        let key = if rules.contains_key(ep.path()) {
            ep.path()
        } else {
            "*"
        };
        let rule = rules.get_mut(key)?;
        if let Some(p) = rule.probability
            && rand::random::<f64>() >= p
        {
            return None;
        }
        let hit = Hit {
            latency: rule.latency_ms.map(Duration::from_millis),
            error: rule.error.map(|e| e.to_error(ep)),
        };
        if let Some(n) = rule.remaining.as_mut() {
            *n -= 1;
            if *n == 0 {
                rules.remove(key);
                self.active.store(!rules.is_empty(), Ordering::Release);
            }
        }
        Some(hit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(endpoint: &str, error: Option<ForcedError>, count: Option<u32>) -> EndpointFaultRequest {
        EndpointFaultRequest {
            endpoint: endpoint.into(),
            error,
            count,
            probability: None,
            latency_ms: None,
        }
    }

    #[test]
    fn count_limits_the_fault() {
        let f = Faults::default();
        f.add(req(
            "/auth/get",
            Some(ForcedError::RateLimitExceeded),
            Some(2),
        ))
        .expect("valid");
        for _ in 0..2 {
            let hit = f.check(Endpoint::AuthGet).expect("hit");
            assert_eq!(hit.error.expect("error").error_code, "AUTH_LIMIT");
        }
        assert!(f.check(Endpoint::AuthGet).is_none());
        assert!(f.list().is_empty());
    }

    #[test]
    fn wildcard_and_specific() {
        let f = Faults::default();
        f.add(req("*", Some(ForcedError::InternalServerError), None))
            .expect("valid");
        f.add(req(
            "/item/get",
            Some(ForcedError::PlannedMaintenance),
            None,
        ))
        .expect("valid");
        let e = f
            .check(Endpoint::AuthGet)
            .and_then(|h| h.error)
            .expect("error");
        assert_eq!(e.status.as_u16(), 500);
        let e = f
            .check(Endpoint::ItemGet)
            .and_then(|h| h.error)
            .expect("error");
        assert_eq!(e.status.as_u16(), 503);
        f.clear();
        assert!(f.check(Endpoint::AuthGet).is_none());
    }

    #[test]
    fn invalid_requests_are_refused() {
        let f = Faults::default();
        assert!(
            f.add(req("/nope", Some(ForcedError::RateLimit), None))
                .is_err()
        );
        assert!(f.add(req("/auth/get", None, None)).is_err());
        assert!(
            f.add(req("/auth/get", Some(ForcedError::RateLimit), Some(0)))
                .is_err()
        );
        let mut r = req("/auth/get", Some(ForcedError::RateLimit), None);
        r.probability = Some(1.5);
        assert!(f.add(r).is_err());
        let w = WebhookFaults {
            duplicates: Some(11),
            ..Default::default()
        };
        assert!(w.validate().is_err());
    }
}
