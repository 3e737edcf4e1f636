//! `POST /webhooks/plaid`: read the raw body, verify `Plaid-Verification`, check the routing
//! fields, publish the exact bytes, answer 200 `{"received": true}` only after the PubAck.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::Request;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use tracing::Instrument as _;
use tracing::field::Empty;

use super::Shared;
use crate::envelope;
use crate::error::Rejection;

/// The body of every 200 (a constant: nothing to serialise per request).
const RECEIVED: &str = r#"{"received":true}"#;

/// Header carrying Plaid's JWT (header names are case-insensitive; `http` lower-cases them).
const PLAID_VERIFICATION: &str = "plaid-verification";

/// The handler: one span per request, continuing the caller's `traceparent` if any.
///
/// Span fields are recorded sparingly (each `record` re-serialises the span's JSON fields in
/// the log layer): `outcome` only for duplicates and rejections. Type and code, known once the
/// body is verified, go to the OpenTelemetry span only (the publish subject carries them too).
pub(crate) async fn receive(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    // Beyond the in-flight limit: 503 at once, before any work (not even a span).
    let Some(_permit) = shared.load_shedder.try_enter() else {
        shared.metrics.record_rejection(Rejection::Overloaded);
        return Rejection::Overloaded.into_response();
    };
    let (parts, body) = request.into_parts();
    let span = tracing::info_span!(
        "plaid_webhook",
        otel.kind = "server",
        http.route = super::WEBHOOK_PATH,
        outcome = Empty,
    );
    penny_telemetry::set_parent(&span, penny_telemetry::extract_http(&parts.headers));
    // Only the headers are kept: the URI, like them, is a slice of hyper's read buffer.
    let headers = {
        let parts = parts;
        parts.headers
    };
    handle(&shared, headers, body).instrument(span).await
}

async fn handle(shared: &Shared, headers: HeaderMap, body: Body) -> Response {
    let _in_flight = shared.metrics.in_flight();
    let span = tracing::Span::current();
    match process(shared, headers, body).await {
        Ok(duplicate) => {
            if duplicate {
                span.record("outcome", "duplicate");
            }
            tracing::debug!(duplicate, "webhook accepted");
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                RECEIVED,
            )
                .into_response()
        }
        Err(rejection) => {
            shared.metrics.record_rejection(rejection);
            span.record("outcome", rejection.code());
            // Metrics count every rejection; the log gets a rate-limited sample.
            if let Some(left_out) = shared.rejection_log.admit() {
                if rejection.status() == StatusCode::SERVICE_UNAVAILABLE {
                    tracing::warn!(
                        reason = rejection.code(),
                        similar_lines_left_out = left_out,
                        "webhook not accepted, Plaid will retry"
                    );
                } else {
                    tracing::info!(
                        reason = rejection.code(),
                        similar_lines_left_out = left_out,
                        "webhook rejected"
                    );
                }
            }
            rejection.into_response()
        }
    }
}

/// Returns whether the stream dropped the webhook as a duplicate.
async fn process(shared: &Shared, headers: HeaderMap, body: Body) -> Result<bool, Rejection> {
    check_content_type(&headers)?;
    let body = tokio::time::timeout(
        shared.body_read_timeout,
        read_body(&headers, body, shared.max_body_bytes),
    )
    .await
    .map_err(|_| Rejection::BodyReadTimeout)??;
    let received_at = chrono::Utc::now();
    let (token, body) = unpin_read_buffer(headers, body);
    // Child spans for the two costly steps: the signature check and the durable publish (whose
    // span is the parent the consumers continue from the NATS headers).
    let verified = shared
        .verifier
        .verify(token.as_deref(), &body, received_at.timestamp())
        .instrument(tracing::info_span!("ingress.verify"))
        .await?;
    let envelope = envelope::parse(&body, &shared.environment)?;
    let span = tracing::Span::current();
    penny_telemetry::set_otel_attribute(&span, "webhook_type", envelope.webhook_type.to_string());
    penny_telemetry::set_otel_attribute(&span, "webhook_code", envelope.webhook_code.to_string());
    let started = std::time::Instant::now();
    let outcome = shared
        .publisher
        .publish(&envelope, &verified.body_sha256, body.clone(), received_at)
        .instrument(tracing::info_span!(
            "ingress.publish",
            otel.kind = "producer"
        ))
        .await?;
    shared
        .metrics
        .record_accepted(outcome.duplicate, started.elapsed().as_secs_f64());
    Ok(outcome.duplicate)
}

/// Copies out the two things kept past this point, the signature and the body (about 2.5 KiB),
/// and drops the headers and the original body. hyper hands out a request's head and a small
/// body as slices of its 8 KiB read buffer and reads on into a fresh one, so holding either slice
/// through the verification and the publish would pin a spare 8 KiB per request in flight
/// (heaptrack at 1,024 connections: 16.6 MB in hyper's read buffers, half of it pinned so).
fn unpin_read_buffer(headers: HeaderMap, body: Bytes) -> (Option<Bytes>, Bytes) {
    let token = headers
        .get(PLAID_VERIFICATION)
        .map(|v| Bytes::copy_from_slice(v.as_bytes()));
    (token, Bytes::copy_from_slice(&body))
}

/// Plaid sends `application/json`; parameters (`; charset=utf-8`) and `+json` types are fine.
/// Anything else, or no content type, is 415.
fn check_content_type(headers: &HeaderMap) -> Result<(), Rejection> {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Err(Rejection::UnsupportedMediaType);
    };
    let value = value
        .to_str()
        .map_err(|_| Rejection::UnsupportedMediaType)?;
    let essence = value.split(';').next().unwrap_or_default().trim();
    let ok = essence.eq_ignore_ascii_case("application/json")
        || (starts_with_ignore_case(essence, "application/")
            && ends_with_ignore_case(essence, "+json"));
    if ok {
        Ok(())
    } else {
        Err(Rejection::UnsupportedMediaType)
    }
}

fn starts_with_ignore_case(s: &str, prefix: &str) -> bool {
    s.get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

fn ends_with_ignore_case(s: &str, suffix: &str) -> bool {
    s.len() >= suffix.len()
        && s.get(s.len() - suffix.len()..)
            .is_some_and(|tail| tail.eq_ignore_ascii_case(suffix))
}

/// Reads the whole body, refusing (413) more than `limit` bytes, announced or actual.
async fn read_body(headers: &HeaderMap, body: Body, limit: usize) -> Result<Bytes, Rejection> {
    let announced = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > limit as u64) {
        return Err(Rejection::BodyTooLarge);
    }
    axum::body::to_bytes(body, limit).await.map_err(|e| {
        let too_large = std::error::Error::source(&e)
            .is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
        if too_large {
            Rejection::BodyTooLarge
        } else {
            Rejection::BodyRead
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ct(v: &str) -> Result<(), Rejection> {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_str(v).expect("ascii"),
        );
        check_content_type(&h)
    }

    #[test]
    fn content_types() {
        assert!(ct("application/json").is_ok());
        assert!(ct("Application/JSON; charset=utf-8").is_ok());
        assert!(ct("application/vnd.plaid+json").is_ok());
        assert!(ct("text/plain").is_err());
        assert!(ct("application/x-www-form-urlencoded").is_err());
        assert!(ct("+json").is_err());
        assert!(check_content_type(&HeaderMap::new()).is_err());
    }
}
