//! NATS header names used across penny, and small helpers over [`async_nats::HeaderMap`].

use async_nats::HeaderMap;

/// Plaid `webhook_type` of a webhook message.
pub const HDR_WEBHOOK_TYPE: &str = "Penny-Webhook-Type";
/// Plaid `webhook_code` of a webhook message.
pub const HDR_WEBHOOK_CODE: &str = "Penny-Webhook-Code";
/// When ingress received the webhook (RFC 3339).
pub const HDR_RECEIVED_AT: &str = "Penny-Received-At";
/// W3C trace context.
pub const HDR_TRACEPARENT: &str = "traceparent";
/// W3C trace state.
pub const HDR_TRACESTATE: &str = "tracestate";
/// The payload's type: [`PROTOBUF_ACCOUNT_EVENT`] and its siblings on domain events.
pub const HDR_CONTENT_TYPE: &str = "Content-Type";
/// `Content-Type` of `penny.v1.AccountEvent` payloads.
pub const PROTOBUF_ACCOUNT_EVENT: &str = "application/protobuf; messageType=penny.v1.AccountEvent";
/// `Content-Type` of `penny.v1.DepositEvent` payloads.
pub const PROTOBUF_DEPOSIT_EVENT: &str = "application/protobuf; messageType=penny.v1.DepositEvent";
/// JetStream de-duplication id (set by [`crate::publish_durable`] from its `msg_id`).
pub const HDR_MSG_ID: &str = "Nats-Msg-Id";

/// Dead letter: why the message was parked.
pub const HDR_DEAD_REASON: &str = "Penny-Dead-Reason";
/// Dead letter: the subject it was consumed from.
pub const HDR_DEAD_ORIGINAL_SUBJECT: &str = "Penny-Dead-Original-Subject";
/// Dead letter: the stream it was consumed from.
pub const HDR_DEAD_ORIGINAL_STREAM: &str = "Penny-Dead-Original-Stream";
/// Dead letter: how many times it had been delivered.
pub const HDR_DEAD_DELIVERIES: &str = "Penny-Dead-Deliveries";
/// Dead letter: its sequence in the original stream.
pub const HDR_DEAD_STREAM_SEQ: &str = "Penny-Dead-Stream-Seq";
/// Dead letter: when it was parked (RFC 3339).
pub const HDR_DEAD_AT: &str = "Penny-Dead-At";
/// Dead letter: the consumer that parked it.
pub const HDR_DEAD_CONSUMER: &str = "Penny-Dead-Consumer";

/// Prefix of the headers added when a message is parked; removed again on redrive.
pub const DEAD_HEADER_PREFIX: &str = "Penny-Dead-";

/// The last value of header `name`, if any.
pub fn header_str<'a>(headers: Option<&'a HeaderMap>, name: &str) -> Option<&'a str> {
    headers?.get_last(name).map(|v| v.as_str())
}

/// A copy of `headers` without the headers for which `drop` returns true.
pub fn filter_headers(headers: &HeaderMap, drop: impl Fn(&str) -> bool) -> HeaderMap {
    let mut out = HeaderMap::new();
    for (name, values) in headers.iter() {
        let name: &str = name.as_ref();
        if drop(name) {
            continue;
        }
        for value in values {
            out.append(name, value.as_str());
        }
    }
    out
}

/// Whether `name` is a header the NATS server or client interprets (`Nats-…`), which must not
/// be copied blindly when a message is republished (a stale `Nats-Msg-Id` would be dropped as
/// a duplicate, a stale `Nats-Expected-…` would be rejected).
pub fn is_nats_control_header(name: &str) -> bool {
    name.len() >= 5 && name[..5].eq_ignore_ascii_case("nats-")
}

/// Makes `value` safe as a header value: no CR/LF/control characters, at most `max` bytes.
pub fn header_safe(value: &str, max: usize) -> String {
    let mut out = String::with_capacity(value.len().min(max));
    for c in value.chars() {
        let c = if c.is_control() { ' ' } else { c };
        if out.len() + c.len_utf8() > max {
            break;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_drops_matching_headers() {
        let mut h = HeaderMap::new();
        h.insert("Nats-Msg-Id", "x");
        h.insert("traceparent", "00-abc");
        h.append("A", "1");
        h.append("A", "2");
        let out = filter_headers(&h, is_nats_control_header);
        assert!(out.get("Nats-Msg-Id").is_none());
        assert_eq!(header_str(Some(&out), "traceparent"), Some("00-abc"));
        assert_eq!(out.get_all("A").count(), 2);
    }

    #[test]
    fn header_values_are_single_line_and_bounded() {
        assert_eq!(header_safe("a\r\nb", 100), "a  b");
        assert_eq!(header_safe("ééé", 4), "éé");
    }
}
