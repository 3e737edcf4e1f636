//! Whether and when an alert goes out to a person, decided the same way when the alert is
//! created (its first due time, or suppressed) and again just before each send (the person
//! may have changed their channels, preferences or quiet hours meanwhile).

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::kind::{AlertKind, Channel};
use super::schedule::{QuietHours, next_allowed};

/// What the notifier knows about a person when deciding (never their addresses themselves).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Recipient {
    /// Channels they enabled.
    pub channels: Vec<Channel>,
    /// Channels they gave an address for.
    pub addressed: Vec<Channel>,
    /// Their quiet hours and time zone.
    pub quiet_hours: Option<(QuietHours, Tz)>,
    /// `(kind, channel)` pairs they switched off.
    pub switched_off: BTreeSet<(AlertKind, Channel)>,
}

/// Why an alert is not sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SuppressReason {
    /// No contact data for the person (deleted, or never given).
    NoContact,
    /// The person did not enable the channel.
    ChannelOff,
    /// No address for the channel.
    NoAddress,
    /// The person switched this kind off on this channel (preferences or one-click unsubscribe).
    KindOff,
    /// This notifier does not run the channel.
    ChannelNotConfigured,
}

impl SuppressReason {
    /// What ListNotifications shows as its last error.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NoContact => "no contact data for the person",
            Self::ChannelOff => "channel not enabled by the person",
            Self::NoAddress => "no address for the channel",
            Self::KindOff => "switched off by the person",
            Self::ChannelNotConfigured => "channel not configured on this notifier",
        }
    }
}

/// The decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plan {
    /// Send at this time (the due time, or the end of quiet hours after it).
    SendAt(DateTime<Utc>),
    /// Do not send.
    Suppress(SuppressReason),
}

/// What to do with an alert of `kind` on `channel` for `recipient`, due at `due`. Protective
/// kinds ignore switched-off preferences (they cannot be switched off, and an older preference
/// row cannot mute them either); every kind waits for the end of quiet hours.
pub fn plan(
    kind: AlertKind,
    channel: Channel,
    recipient: Option<&Recipient>,
    configured: &[Channel],
    due: DateTime<Utc>,
) -> Plan {
    let Some(r) = recipient else {
        return Plan::Suppress(SuppressReason::NoContact);
    };
    if !configured.contains(&channel) {
        return Plan::Suppress(SuppressReason::ChannelNotConfigured);
    }
    if !r.channels.contains(&channel) {
        return Plan::Suppress(SuppressReason::ChannelOff);
    }
    if !r.addressed.contains(&channel) {
        return Plan::Suppress(SuppressReason::NoAddress);
    }
    if !kind.is_protective() && r.switched_off.contains(&(kind, channel)) {
        return Plan::Suppress(SuppressReason::KindOff);
    }
    Plan::SendAt(next_allowed(due, r.quiet_hours))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;

    use super::*;

    fn everyone() -> Recipient {
        Recipient {
            channels: Channel::ALL.to_vec(),
            addressed: Channel::ALL.to_vec(),
            quiet_hours: None,
            switched_off: BTreeSet::new(),
        }
    }

    #[test]
    fn sends_at_the_due_time_on_enabled_addressed_channels() {
        let due = Utc.with_ymd_and_hms(2026, 6, 1, 18, 0, 0).unwrap();
        for kind in AlertKind::ALL {
            for channel in Channel::ALL {
                assert_eq!(
                    plan(kind, channel, Some(&everyone()), &Channel::ALL, due),
                    Plan::SendAt(due)
                );
            }
        }
    }

    #[test]
    fn suppresses_with_the_reason() {
        let due = Utc::now();
        let all = Channel::ALL;
        let p = |r: &Recipient, configured: &[Channel]| {
            plan(
                AlertKind::AccountVerified,
                Channel::Sms,
                Some(r),
                configured,
                due,
            )
        };
        assert_eq!(
            plan(AlertKind::AccountVerified, Channel::Sms, None, &all, due),
            Plan::Suppress(SuppressReason::NoContact)
        );
        assert_eq!(
            p(&everyone(), &[Channel::Email]),
            Plan::Suppress(SuppressReason::ChannelNotConfigured)
        );
        let no_sms = Recipient {
            channels: vec![Channel::Email],
            ..everyone()
        };
        assert_eq!(p(&no_sms, &all), Plan::Suppress(SuppressReason::ChannelOff));
        let no_phone = Recipient {
            addressed: vec![Channel::Email, Channel::Push],
            ..everyone()
        };
        assert_eq!(
            p(&no_phone, &all),
            Plan::Suppress(SuppressReason::NoAddress)
        );
    }

    #[test]
    fn switched_off_kinds_are_suppressed_unless_protective() {
        let due = Utc::now();
        for kind in AlertKind::ALL {
            let r = Recipient {
                switched_off: [(kind, Channel::Email)].into_iter().collect(),
                ..everyone()
            };
            let got = plan(kind, Channel::Email, Some(&r), &Channel::ALL, due);
            if kind.is_protective() {
                assert_eq!(got, Plan::SendAt(due), "{kind}");
            } else {
                assert_eq!(got, Plan::Suppress(SuppressReason::KindOff), "{kind}");
            }
            assert_eq!(
                plan(kind, Channel::Push, Some(&r), &Channel::ALL, due),
                Plan::SendAt(due),
                "other channels unaffected"
            );
        }
    }

    #[test]
    fn quiet_hours_delay_every_kind() {
        let quiet = QuietHours::parse("22:00", "07:00").unwrap();
        let r = Recipient {
            quiet_hours: Some((quiet, chrono_tz::America::New_York)),
            ..everyone()
        };
        // 23:30 EST → 07:00 EST.
        let due = Utc.with_ymd_and_hms(2026, 1, 10, 4, 30, 0).unwrap();
        let morning = Utc.with_ymd_and_hms(2026, 1, 10, 12, 0, 0).unwrap();
        for kind in AlertKind::ALL {
            assert_eq!(
                plan(kind, Channel::Sms, Some(&r), &Channel::ALL, due),
                Plan::SendAt(morning)
            );
        }
    }
}
