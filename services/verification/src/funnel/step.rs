//! The steps of the micro-deposit funnel and which Link callback reaches which.
//!
//! The seed's automated micro-deposit session is OPEN, SELECT_INSTITUTION, SUBMIT_CREDENTIALS,
//! TRANSITION_VIEW (NUMBERS), TRANSITION_VIEW (CONNECTED), HANDOFF, then onSuccess with an
//! account `pending_automatic_verification`. CONNECTED is a view name in Link's documentation;
//! an event *named* CONNECTED counts too (the lenient reading of the seed's list).

use penny_proto::v1 as pb;

use super::event::{Callback, LinkEvent};

/// A funnel step, in Link's order (`Ord` follows it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Step {
    /// OPEN.
    Opened,
    /// SELECT_INSTITUTION (or MATCHED_SELECT_INSTITUTION).
    InstitutionSelected,
    /// SUBMIT_CREDENTIALS.
    CredentialsSubmitted,
    /// SUBMIT_MFA or TRANSITION_VIEW MFA.
    Mfa,
    /// TRANSITION_VIEW NUMBERS.
    Numbers,
    /// TRANSITION_VIEW CONNECTED.
    Connected,
    /// HANDOFF.
    Handoff,
    /// onSuccess with an account pending (automatic or manual) verification.
    SuccessPending,
}

impl Step {
    /// Every step, in order.
    pub const ALL: [Step; 8] = [
        Self::Opened,
        Self::InstitutionSelected,
        Self::CredentialsSubmitted,
        Self::Mfa,
        Self::Numbers,
        Self::Connected,
        Self::Handoff,
        Self::SuccessPending,
    ];

    /// The step `event` reaches, if any.
    pub fn of(event: &LinkEvent) -> Option<Step> {
        match event.callback {
            Callback::OnSuccess => event
                .accounts
                .iter()
                .any(|a| a.verification_status.starts_with("pending_"))
                .then_some(Self::SuccessPending),
            Callback::OnExit => None,
            Callback::OnEvent => match (event.event_name.as_str(), event.view_name.as_str()) {
                ("OPEN", _) => Some(Self::Opened),
                ("SELECT_INSTITUTION" | "MATCHED_SELECT_INSTITUTION", _) => {
                    Some(Self::InstitutionSelected)
                }
                ("SUBMIT_CREDENTIALS", _) => Some(Self::CredentialsSubmitted),
                ("SUBMIT_MFA", _) | ("TRANSITION_VIEW", "MFA") => Some(Self::Mfa),
                ("TRANSITION_VIEW", "NUMBERS") => Some(Self::Numbers),
                ("TRANSITION_VIEW", "CONNECTED") | ("CONNECTED", _) => Some(Self::Connected),
                ("HANDOFF", _) => Some(Self::Handoff),
                _ => None,
            },
        }
    }

    /// A short name for metric labels and tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Opened => "opened",
            Self::InstitutionSelected => "institution_selected",
            Self::CredentialsSubmitted => "credentials_submitted",
            Self::Mfa => "mfa",
            Self::Numbers => "numbers",
            Self::Connected => "connected",
            Self::Handoff => "handoff",
            Self::SuccessPending => "success_pending",
        }
    }

    /// The protobuf enum value.
    pub fn to_proto(self) -> pb::LinkFunnelStep {
        match self {
            Self::Opened => pb::LinkFunnelStep::Opened,
            Self::InstitutionSelected => pb::LinkFunnelStep::InstitutionSelected,
            Self::CredentialsSubmitted => pb::LinkFunnelStep::CredentialsSubmitted,
            Self::Mfa => pb::LinkFunnelStep::Mfa,
            Self::Numbers => pb::LinkFunnelStep::Numbers,
            Self::Connected => pb::LinkFunnelStep::Connected,
            Self::Handoff => pb::LinkFunnelStep::Handoff,
            Self::SuccessPending => pb::LinkFunnelStep::SuccessPending,
        }
    }
}
