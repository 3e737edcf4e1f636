//! Trace ids of webhooks: each PLAID_WEBHOOKS message carries its W3C `traceparent`, and one
//! webhook is one trace from ingress to the alert.

use async_nats::jetstream;
use penny_bus::{HDR_TRACEPARENT, PLAID_WEBHOOKS, header_str};

/// The trace id in a `traceparent` (`00-<trace id>-<span id>-<flags>`).
pub fn trace_id(traceparent: &str) -> Option<String> {
    let id = traceparent.split('-').nth(1)?;
    (id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit())).then(|| id.to_owned())
}

/// The trace id of PLAID_WEBHOOKS message `seq` (`None` when it is gone or carries none).
pub async fn of_webhook(js: &jetstream::Context, seq: u64) -> Option<String> {
    if seq == 0 {
        return None;
    }
    let stream = js.get_stream_no_info(PLAID_WEBHOOKS).await.ok()?;
    let message = stream.get_raw_message(seq).await.ok()?;
    trace_id(header_str(Some(&message.headers), HDR_TRACEPARENT)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_trace_id_is_the_second_field() {
        assert_eq!(
            trace_id("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").as_deref(),
            Some("4bf92f3577b34da6a3ce929d0e0e4736")
        );
        assert_eq!(trace_id("00-abc"), None);
    }
}
