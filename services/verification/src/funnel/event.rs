//! A Link callback as the funnel keeps it: [`LinkEvent`] (validated, see `input`) and the key
//! that makes a resent event the same event.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

/// Which Link callback an event came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Callback {
    /// `onEvent`.
    OnEvent,
    /// `onExit`.
    OnExit,
    /// `onSuccess`.
    OnSuccess,
}

impl Callback {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OnEvent => "on_event",
            Self::OnExit => "on_exit",
            Self::OnSuccess => "on_success",
        }
    }

    /// The callback a stored name stands for.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::OnEvent, Self::OnExit, Self::OnSuccess]
            .into_iter()
            .find(|c| c.as_str() == s)
    }
}

/// An account listed by onSuccess (the fields the funnel and timelines read).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuccessAccount {
    pub account_id: String,
    pub verification_status: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub mask: String,
    #[serde(default)]
    pub subtype: String,
}

/// One validated Link callback. Empty strings stand for metadata Link did not send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkEvent {
    pub callback: Callback,
    /// onEvent's eventName (empty otherwise).
    pub event_name: String,
    /// Link's timestamp, at microsecond precision (the databases').
    pub occurred_at: DateTime<Utc>,
    pub view_name: String,
    pub institution_id: String,
    pub mfa_type: String,
    pub error_type: String,
    pub error_code: String,
    pub exit_status: String,
    pub request_id: String,
    /// onSuccess's accounts (empty otherwise).
    pub accounts: Vec<SuccessAccount>,
}

impl LinkEvent {
    /// An onEvent `name` (with `view`, or "") at `at`, without other metadata.
    pub fn on_event(name: &str, view: &str, at: DateTime<Utc>) -> Self {
        Self {
            callback: Callback::OnEvent,
            event_name: name.to_owned(),
            occurred_at: at,
            view_name: view.to_owned(),
            institution_id: String::new(),
            mfa_type: String::new(),
            error_type: String::new(),
            error_code: String::new(),
            exit_status: String::new(),
            request_id: String::new(),
            accounts: Vec::new(),
        }
    }

    /// What identifies the event across resends: the same callback, name and view at the same
    /// Link timestamp is the same event (Link sends no event id).
    pub fn key(&self) -> String {
        format!(
            "{}|{}|{}|{}",
            self.callback.as_str(),
            self.event_name,
            self.view_name,
            self.occurred_at
                .to_rfc3339_opts(SecondsFormat::Micros, true)
        )
    }

    /// Whether it ends the session by leaving Link: onExit, or onEvent `EXIT` (which Link fires
    /// alongside onExit).
    pub fn is_exit(&self) -> bool {
        self.callback == Callback::OnExit
            || (self.callback == Callback::OnEvent && self.event_name == "EXIT")
    }
}

/// One `RecordLinkEvents` call, validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionInput {
    pub link_session_id: String,
    pub user_id: String,
    /// The flow the backend says the Link token offered, when it is one flow.
    pub flow: Option<crate::domain::Flow>,
    /// Deduplicated by key, ordered by Link's timestamp.
    pub events: Vec<LinkEvent>,
}
