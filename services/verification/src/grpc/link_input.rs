//! `RecordLinkEvents` input: from the request to a [`SessionInput`], or `INVALID_ARGUMENT`
//! naming the field (`events[2].timestamp: is required`). Nothing is stored unless every event
//! of the call is valid.
//!
//! Names and codes are checked for Link's shapes (upper snake case event and view names and
//! error codes, lower snake case exit statuses), which also bounds what reaches metric labels.
//! Unknown event names are accepted: Link adds new ones over time.

use std::collections::HashSet;

use chrono::{DateTime, Duration, SubsecRound, TimeZone, Utc};
use penny_proto::v1 as pb;
use tonic::Status;

use super::error::{id_field, invalid, user_id_field};
use crate::domain::Flow;
use crate::funnel::{Callback, LinkEvent, SessionInput, SuccessAccount};

/// Most events one call may carry.
pub const MAX_EVENTS: usize = 200;
/// Longest name, code or status accepted.
const MAX_NAME_LEN: usize = 64;
/// How far ahead of penny's clock a Link timestamp may be (device clocks drift).
const MAX_FUTURE: Duration = Duration::hours(24);

/// Validates a `RecordLinkEvents` request.
pub fn session_input(
    req: pb::RecordLinkEventsRequest,
    now: DateTime<Utc>,
) -> Result<SessionInput, Status> {
    let link_session_id = id_field("link_session_id", &req.link_session_id)?.to_owned();
    let user_id = user_id_field("user_id", &req.user_id)?.to_owned();
    if req.events.is_empty() {
        return Err(invalid("events", "at least one event is required"));
    }
    if req.events.len() > MAX_EVENTS {
        return Err(invalid("events", "at most 200 events per call"));
    }
    let flow = match pb::LinkFlow::try_from(req.flow) {
        Ok(pb::LinkFlow::Automated) => Some(Flow::Automated),
        Ok(pb::LinkFlow::SameDay) => Some(Flow::SameDay),
        Ok(pb::LinkFlow::Unspecified | pb::LinkFlow::AutomatedAndSameDay) => None,
        Err(_) => return Err(invalid("flow", "unknown LinkFlow value")),
    };
    let mut seen = HashSet::new();
    let mut events = Vec::with_capacity(req.events.len());
    for (i, event) in req.events.into_iter().enumerate() {
        let event = link_event(&format!("events[{i}]"), event, now)?;
        if seen.insert(event.key()) {
            events.push(event);
        }
    }
    events.sort_by_key(|e| e.occurred_at);
    Ok(SessionInput {
        link_session_id,
        user_id,
        flow,
        events,
    })
}

fn link_event(at: &str, e: pb::LinkEvent, now: DateTime<Utc>) -> Result<LinkEvent, Status> {
    let field = |name: &str| format!("{at}.{name}");
    let callback = match pb::LinkCallback::try_from(e.callback) {
        Ok(pb::LinkCallback::OnEvent) => Callback::OnEvent,
        Ok(pb::LinkCallback::OnExit) => Callback::OnExit,
        Ok(pb::LinkCallback::OnSuccess) => Callback::OnSuccess,
        Ok(pb::LinkCallback::Unspecified) | Err(_) => {
            return Err(invalid(
                &field("callback"),
                "must be ON_EVENT, ON_EXIT or ON_SUCCESS",
            ));
        }
    };
    match (callback, e.event_name.is_empty()) {
        (Callback::OnEvent, true) => {
            return Err(invalid(&field("event_name"), "is required for ON_EVENT"));
        }
        (Callback::OnExit | Callback::OnSuccess, false) => {
            return Err(invalid(&field("event_name"), "is only for ON_EVENT"));
        }
        _ => {}
    }
    let occurred_at = timestamp(&field("timestamp"), e.timestamp, now)?;
    if callback != Callback::OnSuccess && !e.accounts.is_empty() {
        return Err(invalid(&field("accounts"), "are only for ON_SUCCESS"));
    }
    if callback == Callback::OnSuccess && e.accounts.is_empty() {
        return Err(invalid(
            &field("accounts"),
            "onSuccess lists at least one account",
        ));
    }
    let accounts = e
        .accounts
        .into_iter()
        .enumerate()
        .map(|(j, a)| success_account(&field(&format!("accounts[{j}]")), a))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(LinkEvent {
        callback,
        event_name: upper_name(&field("event_name"), e.event_name)?,
        occurred_at,
        view_name: upper_name(&field("view_name"), e.view_name)?,
        institution_id: optional_id(&field("institution_id"), e.institution_id)?,
        mfa_type: lower_name(&field("mfa_type"), e.mfa_type)?,
        error_type: upper_name(&field("error_type"), e.error_type)?,
        error_code: upper_name(&field("error_code"), e.error_code)?,
        exit_status: lower_name(&field("exit_status"), e.exit_status)?,
        request_id: optional_id(&field("request_id"), e.request_id)?,
        accounts,
    })
}

fn success_account(at: &str, a: pb::LinkAccount) -> Result<SuccessAccount, Status> {
    let account_id = id_field(&format!("{at}.account_id"), &a.account_id)?.to_owned();
    let text = |name: &str, value: String, max: usize| {
        if value.chars().count() > max || value.chars().any(char::is_control) {
            Err(invalid(
                &format!("{at}.{name}"),
                "is too long or has control characters",
            ))
        } else {
            Ok(value)
        }
    };
    Ok(SuccessAccount {
        account_id,
        verification_status: lower_name(
            &format!("{at}.verification_status"),
            a.verification_status,
        )?,
        name: text("name", a.name, 256)?,
        mask: text("mask", a.mask, 8)?,
        subtype: text("subtype", a.subtype, MAX_NAME_LEN)?,
    })
}

/// Link's timestamp: required, a real instant, not before Link existed nor a day ahead.
fn timestamp(
    field: &str,
    ts: Option<prost_types::Timestamp>,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, Status> {
    let ts = ts.ok_or_else(|| invalid(field, "is required (Link's metadata.timestamp)"))?;
    let at = u32::try_from(ts.nanos)
        .ok()
        .and_then(|nanos| Utc.timestamp_opt(ts.seconds, nanos).single())
        .ok_or_else(|| invalid(field, "is not a valid timestamp"))?;
    let earliest = Utc.with_ymd_and_hms(2013, 1, 1, 0, 0, 0).single();
    if earliest.is_some_and(|e| at < e) || at > now + MAX_FUTURE {
        return Err(invalid(
            field,
            "is out of range (before 2013 or more than a day ahead)",
        ));
    }
    Ok(at.trunc_subsecs(6))
}

/// An optional `UPPER_SNAKE` name (event names, view names, error types and codes).
fn upper_name(field: &str, value: String) -> Result<String, Status> {
    shaped(
        field,
        value,
        |c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_',
        "UPPER_SNAKE_CASE",
    )
}

/// An optional `lower_snake` name (exit statuses, verification statuses, MFA types).
fn lower_name(field: &str, value: String) -> Result<String, Status> {
    shaped(
        field,
        value,
        |c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_',
        "lower_snake_case",
    )
}

fn shaped(
    field: &str,
    value: String,
    ok: impl Fn(char) -> bool,
    shape: &str,
) -> Result<String, Status> {
    if value.is_empty() {
        return Ok(value);
    }
    if value.len() > MAX_NAME_LEN || !value.chars().all(ok) {
        return Err(invalid(
            field,
            &format!("must be {shape}, at most 64 characters"),
        ));
    }
    Ok(value)
}

fn optional_id(field: &str, value: String) -> Result<String, Status> {
    if value.is_empty() {
        return Ok(value);
    }
    id_field(field, &value)?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(name: &str, seconds: i64) -> pb::LinkEvent {
        pb::LinkEvent {
            callback: pb::LinkCallback::OnEvent as i32,
            event_name: name.into(),
            timestamp: Some(prost_types::Timestamp { seconds, nanos: 0 }),
            ..Default::default()
        }
    }

    fn request(events: Vec<pb::LinkEvent>) -> pb::RecordLinkEventsRequest {
        pb::RecordLinkEventsRequest {
            link_session_id: "s-1".into(),
            user_id: "u-1".into(),
            events,
            flow: 0,
        }
    }

    fn refused(events: Vec<pb::LinkEvent>) -> String {
        let now = Utc.timestamp_opt(1_800_000_000, 0).unwrap();
        let err = session_input(request(events), now).unwrap_err();
        assert_eq!(err.code(), tonic::Code::InvalidArgument);
        err.message().to_owned()
    }

    #[test]
    fn events_are_ordered_by_link_timestamp_and_repeats_collapse() {
        let now = Utc.timestamp_opt(1_800_000_000, 0).unwrap();
        let t = 1_790_000_000;
        let input = session_input(
            request(vec![
                event("HANDOFF", t + 5),
                event("OPEN", t),
                event("OPEN", t),
            ]),
            now,
        )
        .unwrap();
        let names: Vec<_> = input.events.iter().map(|e| e.event_name.as_str()).collect();
        assert_eq!(names, ["OPEN", "HANDOFF"]);
    }

    #[test]
    fn bad_input_names_the_field() {
        let t = 1_790_000_000;
        assert!(refused(vec![]).starts_with("events:"));
        assert!(refused(vec![event("", t)]).starts_with("events[0].event_name:"));
        assert!(
            refused(vec![event("OPEN", t), event("open", t)]).starts_with("events[1].event_name:")
        );
        let mut no_time = event("OPEN", t);
        no_time.timestamp = None;
        assert!(refused(vec![no_time]).starts_with("events[0].timestamp:"));
        assert!(refused(vec![event("OPEN", 1_900_000_000)]).starts_with("events[0].timestamp:"));
        let mut no_callback = event("OPEN", t);
        no_callback.callback = 0;
        assert!(refused(vec![no_callback]).starts_with("events[0].callback:"));
        let success = pb::LinkEvent {
            callback: pb::LinkCallback::OnSuccess as i32,
            timestamp: Some(prost_types::Timestamp {
                seconds: t,
                nanos: 0,
            }),
            ..Default::default()
        };
        assert!(refused(vec![success.clone()]).starts_with("events[0].accounts:"));
        let mut bad_account = success;
        bad_account.accounts = vec![pb::LinkAccount {
            account_id: "a 1".into(),
            ..Default::default()
        }];
        assert!(refused(vec![bad_account]).starts_with("events[0].accounts[0].account_id:"));
        let mut exit = event("", t);
        exit.callback = pb::LinkCallback::OnExit as i32;
        exit.exit_status = "Requires Credentials".into();
        assert!(refused(vec![exit]).starts_with("events[0].exit_status:"));
        let mut bad_flow = request(vec![event("OPEN", t)]);
        bad_flow.flow = 99;
        let now = Utc.timestamp_opt(1_800_000_000, 0).unwrap();
        assert!(
            session_input(bad_flow, now)
                .unwrap_err()
                .message()
                .starts_with("flow:")
        );
    }
}
