//! Between the protobuf messages and the notifier's types.

use chrono::{DateTime, Utc};
use penny_proto::v1 as pb;
use tonic::Status;

use super::error::invalid;
use crate::dispatch::trace;
use crate::domain::contact::{ContactInput, PreferenceInput};
use crate::domain::{AlertKind, Channel, SendState};
use crate::notifier::contacts::ContactView;
use crate::store::alerts::Alert;

/// A protobuf timestamp.
pub fn timestamp(at: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: at.timestamp(),
        nanos: i32::try_from(at.timestamp_subsec_nanos()).unwrap_or(0),
    }
}

/// A channel from the wire (`None` when unspecified or unknown).
pub fn channel_in(value: i32) -> Option<Channel> {
    match pb::Channel::try_from(value).ok()? {
        pb::Channel::Email => Some(Channel::Email),
        pb::Channel::Sms => Some(Channel::Sms),
        pb::Channel::Push => Some(Channel::Push),
        pb::Channel::Unspecified => None,
    }
}

/// A channel on the wire.
pub fn channel_out(channel: Channel) -> pb::Channel {
    match channel {
        Channel::Email => pb::Channel::Email,
        Channel::Sms => pb::Channel::Sms,
        Channel::Push => pb::Channel::Push,
    }
}

/// A kind from the wire.
pub fn kind_in(value: i32) -> Option<AlertKind> {
    match pb::AlertKind::try_from(value).ok()? {
        pb::AlertKind::AccountVerified => Some(AlertKind::AccountVerified),
        pb::AlertKind::VerificationExpired => Some(AlertKind::VerificationExpired),
        pb::AlertKind::VerificationFailed => Some(AlertKind::VerificationFailed),
        pb::AlertKind::NumbersChanged => Some(AlertKind::NumbersChanged),
        pb::AlertKind::LoginRequired => Some(AlertKind::LoginRequired),
        pb::AlertKind::DepositPosted => Some(AlertKind::DepositPosted),
        pb::AlertKind::DepositReversed => Some(AlertKind::DepositReversed),
        pb::AlertKind::Unspecified => None,
    }
}

/// A kind on the wire.
pub fn kind_out(kind: AlertKind) -> pb::AlertKind {
    match kind {
        AlertKind::AccountVerified => pb::AlertKind::AccountVerified,
        AlertKind::VerificationExpired => pb::AlertKind::VerificationExpired,
        AlertKind::VerificationFailed => pb::AlertKind::VerificationFailed,
        AlertKind::NumbersChanged => pb::AlertKind::NumbersChanged,
        AlertKind::LoginRequired => pb::AlertKind::LoginRequired,
        AlertKind::DepositPosted => pb::AlertKind::DepositPosted,
        AlertKind::DepositReversed => pb::AlertKind::DepositReversed,
    }
}

/// The request as the validator takes it; unknown enum values are refused here.
pub fn contact_input(request: pb::UpsertContactRequest) -> Result<ContactInput, Status> {
    let mut channels = Vec::with_capacity(request.channels.len());
    for (i, value) in request.channels.iter().enumerate() {
        channels.push(
            channel_in(*value)
                .ok_or_else(|| invalid(&format!("channels[{i}]"), "is not a channel"))?,
        );
    }
    let preferences = request
        .preferences
        .iter()
        .map(|p| PreferenceInput {
            kind: kind_in(p.kind),
            channel: channel_in(p.channel),
            enabled: p.enabled,
        })
        .collect();
    Ok(ContactInput {
        user_id: request.user_id,
        email: request.email,
        phone: request.phone,
        push_url: request.push_url,
        channels,
        quiet_hours: request.quiet_hours.map(|q| (q.start, q.end)),
        time_zone: request.time_zone,
        locale: request.locale,
        preferences,
    })
}

/// A contact on the wire (its addresses shown to the caller who holds the `status` scope).
pub fn contact_out(view: &ContactView) -> pb::Contact {
    let c = &view.contact;
    let text = |v: &Option<penny_store::SecretString>| v.as_deref().cloned().unwrap_or_default();
    pb::Contact {
        user_id: c.user_id.clone(),
        email: text(&c.email),
        phone: text(&c.phone),
        push_url: text(&c.push_url),
        channels: c
            .channels
            .iter()
            .map(|ch| channel_out(*ch) as i32)
            .collect(),
        quiet_hours: c.quiet_hours.map(|q| {
            let (start, end) = q.to_strings();
            pb::QuietHours { start, end }
        }),
        time_zone: c
            .time_zone
            .map(|tz| tz.name().to_owned())
            .unwrap_or_default(),
        locale: c.locale.clone(),
        preferences: view
            .preferences
            .iter()
            .map(|(kind, channel, enabled, locked)| pb::Preference {
                kind: kind_out(*kind) as i32,
                channel: channel_out(*channel) as i32,
                enabled: *enabled,
                locked: *locked,
            })
            .collect(),
        updated_at: Some(timestamp(c.updated_at)),
    }
}

/// An alert on the wire: ids, states and its trace id, never an address or the facts.
pub fn notification_out(row: &Alert) -> pb::Notification {
    let state = match SendState::parse(&row.state) {
        Ok(SendState::Pending) => pb::NotificationState::Pending,
        Ok(SendState::Sending) => pb::NotificationState::Sending,
        Ok(SendState::Sent) => pb::NotificationState::Sent,
        Ok(SendState::Failed) => pb::NotificationState::Failed,
        Ok(SendState::Suppressed) => pb::NotificationState::Suppressed,
        Ok(SendState::Unknown) => pb::NotificationState::Unknown,
        Err(_) => pb::NotificationState::Unspecified,
    };
    pb::Notification {
        id: row.id.clone(),
        kind: row
            .kind
            .parse()
            .map(kind_out)
            .unwrap_or(pb::AlertKind::Unspecified) as i32,
        event_id: row.event_id.clone(),
        event_type: row.event_type.clone(),
        channel: row
            .channel
            .parse()
            .map(channel_out)
            .unwrap_or(pb::Channel::Unspecified) as i32,
        due_at: row.due_at.map(timestamp),
        state: state as i32,
        attempts: u32::try_from(row.attempts).unwrap_or(0),
        last_error: row.last_error.clone().unwrap_or_default(),
        provider_message_id: row.provider_message_id.clone().unwrap_or_default(),
        created_at: Some(timestamp(row.created_at)),
        sent_at: row.sent_at.map(timestamp),
        account_id: row.account_id.clone().unwrap_or_default(),
        trace_id: row
            .traceparent
            .as_deref()
            .and_then(trace::trace_id)
            .unwrap_or_default()
            .to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_round_trip() {
        for channel in Channel::ALL {
            assert_eq!(channel_in(channel_out(channel) as i32), Some(channel));
        }
        for kind in AlertKind::ALL {
            assert_eq!(kind_in(kind_out(kind) as i32), Some(kind));
        }
        assert_eq!(channel_in(0), None);
        assert_eq!(kind_in(99), None);
    }

    #[test]
    fn unknown_channels_are_refused_with_the_field() {
        let request = pb::UpsertContactRequest {
            user_id: "u".into(),
            channels: vec![1, 9],
            ..Default::default()
        };
        let status = contact_input(request).unwrap_err();
        assert_eq!(status.message(), "channels[1]: is not a channel");
    }
}
