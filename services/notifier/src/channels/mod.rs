//! The channels, each behind [`Transport`]: a new channel is one file implementing it, plus a
//! line where the app builds its [`Transports`].
//!
//! - [`email`]: SMTP with lettre (plain, STARTTLS or TLS, optional auth, pooled connections;
//!   `Message-ID` from the alert id; RFC 8058 one-click unsubscribe headers).
//! - [`sms`]: the common provider HTTP shape (`POST {base}/Accounts/{sid}/Messages.json`, form
//!   body, basic auth), honouring 429 `Retry-After`.
//! - [`push`]: a JSON POST to the person's endpoint signed by the Standard Webhooks scheme
//!   ([`signing`]).
//!
//! Every transport says precisely what happened ([`SendOutcome`]), because the send state
//! machine treats "nothing was delivered" and "maybe delivered" differently. Reasons are fixed
//! texts and status codes, never a server's own words (they can echo an address).

pub mod ceiling;
pub mod email;
pub mod push;
pub mod signing;
pub mod sms;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use penny_store::SecretString;

use crate::domain::{AlertKind, Channel, SendEvent};
use crate::templates::Rendered;

/// One alert, ready for a channel.
pub struct Outgoing {
    /// The alert id: the Message-ID and the webhook-id are derived from it, so every resend of
    /// one alert carries the same id.
    pub alert_id: String,
    /// What it is about.
    pub kind: AlertKind,
    /// The domain event it answers.
    pub event_id: String,
    /// The app's user id.
    pub user_id: String,
    /// Email address, phone number or push URL.
    pub address: SecretString,
    /// The texts.
    pub rendered: Rendered,
    /// The one-click unsubscribe URL (non-protective email).
    pub unsubscribe_url: Option<String>,
}

impl fmt::Debug for Outgoing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Outgoing")
            .field("alert_id", &self.alert_id)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// What a provider call came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SendOutcome {
    /// Accepted; the provider's id for it (or ours, where the channel carries it).
    Accepted {
        /// Message id.
        provider_id: String,
    },
    /// Refused for good.
    Rejected {
        /// Why (no personal data).
        reason: String,
    },
    /// Nothing was delivered; try later.
    Transient {
        /// Why.
        reason: String,
        /// The provider's `Retry-After`.
        retry_after: Option<Duration>,
    },
    /// The request was written and no usable answer came.
    Ambiguous {
        /// Why.
        reason: String,
    },
}

impl SendOutcome {
    /// The state-machine event.
    pub fn event(&self) -> SendEvent {
        match self {
            Self::Accepted { .. } => SendEvent::Accepted,
            Self::Rejected { .. } => SendEvent::Rejected,
            Self::Transient { retry_after, .. } => SendEvent::Transient {
                retry_after: *retry_after,
            },
            Self::Ambiguous { .. } => SendEvent::Ambiguous,
        }
    }

    /// A label for metrics: `sent`, `rejected`, `transient`, `unknown`.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Accepted { .. } => "sent",
            Self::Rejected { .. } => "rejected",
            Self::Transient { .. } => "transient",
            Self::Ambiguous { .. } => "unknown",
        }
    }

    /// The reason, when not accepted.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Self::Accepted { .. } => None,
            Self::Rejected { reason }
            | Self::Transient { reason, .. }
            | Self::Ambiguous { reason } => Some(reason),
        }
    }
}

/// A channel's way to the provider.
pub trait Transport: Send + Sync + fmt::Debug + 'static {
    /// Which channel it serves.
    fn channel(&self) -> Channel;

    /// Sends `message`. Never panics, never retries by itself: the state machine decides.
    fn send<'a>(&'a self, message: &'a Outgoing) -> BoxFuture<'a, SendOutcome>;
}

/// The configured transports, by channel. Cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct Transports {
    by_channel: BTreeMap<Channel, Arc<dyn Transport>>,
}

impl Transports {
    /// Adds `transport` for its channel.
    pub fn with(mut self, transport: Arc<dyn Transport>) -> Self {
        self.by_channel.insert(transport.channel(), transport);
        self
    }

    /// The transport of `channel`, if configured.
    pub fn get(&self, channel: Channel) -> Option<&Arc<dyn Transport>> {
        self.by_channel.get(&channel)
    }

    /// The configured channels.
    pub fn channels(&self) -> Vec<Channel> {
        self.by_channel.keys().copied().collect()
    }
}

/// Parses an HTTP `Retry-After` (seconds, or an HTTP date) into a wait from now.
pub fn retry_after(value: Option<&reqwest::header::HeaderValue>) -> Option<Duration> {
    let value = value?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = at.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        let h = |s: &str| HeaderValue::from_str(s).unwrap();
        assert_eq!(retry_after(Some(&h("3"))), Some(Duration::from_secs(3)));
        assert_eq!(
            retry_after(Some(&h("Wed, 21 Oct 2015 07:28:00 GMT"))),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after(Some(&h("soon"))), None);
        assert_eq!(retry_after(None), None);
    }
}
