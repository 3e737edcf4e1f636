//! The trace context an alert keeps: the W3C `traceparent` of the `consume` span that handled
//! its domain event (or, when this process exports no spans, the event's own `traceparent`),
//! stored with the alert so its send — later, from the dispatcher or the scheduler, maybe
//! after a restart — is a span of the event's trace: `notifier.send` (channel, alert kind;
//! never an address), a child of that stored context.

use async_nats::HeaderMap;
use penny_bus::{HDR_TRACEPARENT, header_str};

use crate::domain::{AlertKind, Channel};

/// `traceparent` of `span` if it records one, else `fallback` (a message's own header) if it
/// is a valid `traceparent`.
pub fn context_of(span: &tracing::Span, fallback: Option<&str>) -> Option<String> {
    let mut headers = HeaderMap::new();
    penny_bus::trace::inject_of(span, &mut headers);
    header_str(Some(&headers), HDR_TRACEPARENT)
        .or(fallback)
        .filter(|t| trace_id(t).is_some())
        .map(str::to_owned)
}

/// The trace id of a W3C `traceparent` (`<version>-<trace id>-<parent id>-<flags>`), when it
/// is a valid one: 32 and 16 lowercase hex digits, neither all zeros.
pub fn trace_id(traceparent: &str) -> Option<&str> {
    let mut fields = traceparent.split('-');
    let (version, trace, parent, flags) = (
        fields.next()?,
        fields.next()?,
        fields.next()?,
        fields.next()?,
    );
    let hex = |s: &str, len: usize| {
        s.len() == len
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    let valid = hex(version, 2)
        && version != "ff"
        && (version != "00" || fields.next().is_none())
        && hex(trace, 32)
        && hex(parent, 16)
        && hex(flags, 2)
        && trace.bytes().any(|b| b != b'0')
        && parent.bytes().any(|b| b != b'0');
    valid.then_some(trace)
}

/// The span of one send of an alert on `channel`: `notifier.send`, a child of the alert's
/// stored `traceparent` (a child of the current span when it has none), linked to the current
/// span (the delivery attempt that found the alert due).
pub fn send_span(traceparent: Option<&str>, kind: AlertKind, channel: Channel) -> tracing::Span {
    let span = tracing::info_span!(
        "notifier.send",
        channel = channel.as_str(),
        alert_kind = kind.as_str(),
        outcome = tracing::field::Empty,
    );
    if let Some(traceparent) = traceparent {
        let mut headers = HeaderMap::new();
        headers.insert(HDR_TRACEPARENT, traceparent);
        penny_bus::trace::continue_trace(&span, Some(&headers));
        penny_telemetry::add_link(&span, &tracing::Span::current());
    }
    span
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_traceparents_only() {
        let good = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        assert_eq!(trace_id(good), Some("4bf92f3577b34da6a3ce929d0e0e4736"));
        for bad in [
            "",
            "00-abc",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
        ] {
            assert_eq!(trace_id(bad), None, "{bad}");
        }
    }

    #[test]
    fn without_a_recording_span_the_message_header_is_kept_if_valid() {
        let header = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        assert_eq!(
            context_of(&tracing::Span::none(), Some(header)).as_deref(),
            Some(header)
        );
        assert_eq!(context_of(&tracing::Span::none(), Some("junk")), None);
        assert_eq!(context_of(&tracing::Span::none(), None), None);
    }
}
