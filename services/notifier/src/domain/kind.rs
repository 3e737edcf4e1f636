//! What an alert is about ([`AlertKind`]) and where it goes ([`Channel`]), with the rules that
//! belong to each: which kinds protect the user (and so cannot be switched off), and which
//! channels carry an id their receivers deduplicate by (and so may be resent after an unknown
//! outcome).

use std::fmt;
use std::str::FromStr;

/// What an alert is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AlertKind {
    /// The account is verified: "your account ••••0000 is ready".
    AccountVerified,
    /// Verification expired: link again.
    VerificationExpired,
    /// Verification failed: link again.
    VerificationFailed,
    /// The bank changed the account's numbers.
    NumbersChanged,
    /// The bank needs the user to log in again: "reconnect your bank".
    LoginRequired,
    /// A Same-Day micro-deposit is in the account: "check your statement and confirm".
    DepositPosted,
    /// The micro-deposit was returned or failed: link again.
    DepositReversed,
}

impl AlertKind {
    /// Every kind.
    pub const ALL: [AlertKind; 7] = [
        Self::AccountVerified,
        Self::VerificationExpired,
        Self::VerificationFailed,
        Self::NumbersChanged,
        Self::LoginRequired,
        Self::DepositPosted,
        Self::DepositReversed,
    ];

    /// The stored name, also the template's file name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AccountVerified => "account_verified",
            Self::VerificationExpired => "verification_expired",
            Self::VerificationFailed => "verification_failed",
            Self::NumbersChanged => "numbers_changed",
            Self::LoginRequired => "login_required",
            Self::DepositPosted => "deposit_posted",
            Self::DepositReversed => "deposit_reversed",
        }
    }

    /// Whether the kind protects the user: it tells them their account cannot be used, or
    /// changed under them. Such kinds cannot be switched off (preferences, one-click
    /// unsubscribe) and their email carries no unsubscribe headers.
    pub fn is_protective(self) -> bool {
        match self {
            Self::VerificationExpired
            | Self::VerificationFailed
            | Self::NumbersChanged
            | Self::DepositReversed => true,
            Self::AccountVerified | Self::LoginRequired | Self::DepositPosted => false,
        }
    }
}

impl fmt::Display for AlertKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AlertKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown alert kind {s:?}"))
    }
}

/// Where an alert goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Channel {
    /// Email over SMTP.
    Email,
    /// SMS over the provider's HTTP API.
    Sms,
    /// A signed HTTP POST (Standard Webhooks) to the person's push endpoint.
    Push,
}

impl Channel {
    /// Every channel.
    pub const ALL: [Channel; 3] = [Self::Email, Self::Sms, Self::Push];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Sms => "sms",
            Self::Push => "push",
        }
    }

    /// Whether every send carries an id of ours that receivers deduplicate by (email: the
    /// `Message-ID`; push: the Standard Webhooks `webhook-id`, which receivers must treat as an
    /// idempotency key). Only such channels are resent after an unknown outcome; an SMS API
    /// has no such id, so an unknown SMS waits for an operator instead of risking a second text.
    pub fn dedupes_by_id(self) -> bool {
        match self {
            Self::Email | Self::Push => true,
            Self::Sms => false,
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Channel {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| format!("unknown channel {s:?} (email | sms | push)"))
    }
}

/// Parses a comma-separated channel list (`email,sms,push`), without duplicates.
pub fn parse_channels(list: &str) -> Result<Vec<Channel>, String> {
    let mut out: Vec<Channel> = Vec::new();
    for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let channel: Channel = name.parse()?;
        if !out.contains(&channel) {
            out.push(channel);
        }
    }
    out.sort();
    Ok(out)
}

/// A channel list as configuration gives it (`email,sms,push`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelList(pub Vec<Channel>);

impl FromStr for ChannelList {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_channels(s).map(Self)
    }
}

/// The stored form of a channel list.
pub fn channels_to_string(channels: &[Channel]) -> String {
    channels
        .iter()
        .map(|c| c.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for kind in AlertKind::ALL {
            assert_eq!(kind.as_str().parse::<AlertKind>().unwrap(), kind);
        }
        for channel in Channel::ALL {
            assert_eq!(channel.as_str().parse::<Channel>().unwrap(), channel);
        }
        assert!("fax".parse::<Channel>().is_err());
    }

    #[test]
    fn protective_kinds_are_the_ones_that_tell_the_user_to_act() {
        let protective: Vec<_> = AlertKind::ALL
            .into_iter()
            .filter(|k| k.is_protective())
            .collect();
        assert_eq!(
            protective,
            [
                AlertKind::VerificationExpired,
                AlertKind::VerificationFailed,
                AlertKind::NumbersChanged,
                AlertKind::DepositReversed
            ]
        );
    }

    #[test]
    fn channel_lists_parse_sorted_without_duplicates() {
        assert_eq!(
            parse_channels("push, email,push").unwrap(),
            [Channel::Email, Channel::Push]
        );
        assert_eq!(
            channels_to_string(&[Channel::Email, Channel::Sms]),
            "email,sms"
        );
        assert!(parse_channels("email,pager").is_err());
        assert!(parse_channels("").unwrap().is_empty());
    }
}
