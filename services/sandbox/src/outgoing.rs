//! [`Outgoing`]: one webhook to deliver, what the scheduler holds for a retry and the
//! deliverer sends (its own module, so neither of the two depends on the other for it).

use bytes::Bytes;
use chrono::{DateTime, Utc};

/// A webhook to deliver.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// Id shared by every attempt of this delivery.
    pub delivery_id: u64,
    /// Receiver URL.
    pub url: String,
    pub webhook_type: String,
    pub webhook_code: String,
    /// The exact bytes sent (and hashed).
    pub body: Bytes,
    /// Simulated time of the first attempt.
    pub first_attempt: Option<DateTime<Utc>>,
}
