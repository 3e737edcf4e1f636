//! The three baselines penny's ingress is compared with, on the same machine and nats-server:
//! (a) raw pipelined JetStream publishing, (b) a minimal axum handler that publishes and awaits
//! the ack with no verification, (c) raw ES256 verification on all cores.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use async_nats::HeaderMap;
use async_nats::jetstream::{self, message::PublishMessage};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::serve::ListenerExt as _;
use bytes::Bytes;
use futures::StreamExt as _;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use sha2::{Digest as _, Sha256};

/// Subject the baselines publish on (the same as penny for these bodies).
pub const SUBJECT: &str = "plaid.webhook.AUTH.AUTOMATICALLY_VERIFIED";

/// (a): publishes every body with a `Nats-Msg-Id`, at most `in_flight` acks outstanding.
pub async fn raw_jetstream(
    js: &jetstream::Context,
    bodies: &[Bytes],
    in_flight: usize,
) -> anyhow::Result<f64> {
    let started = Instant::now();
    let mut acks = futures::stream::iter(bodies.iter().cloned())
        .map(|body| {
            let js = js.clone();
            async move {
                let id = hex::encode(Sha256::digest(&body));
                let msg = PublishMessage::build().payload(body).message_id(id);
                js.send_publish(SUBJECT, msg).await?.await
            }
        })
        .buffer_unordered(in_flight);
    let mut n = 0u64;
    while let Some(ack) = acks.next().await {
        ack.context("raw publish")?;
        n += 1;
    }
    Ok(n as f64 / started.elapsed().as_secs_f64())
}

/// (c): verifies every token (signature and claims decode, as `jsonwebtoken::decode` does) on
/// all cores; returns verifications per second.
pub fn raw_verify(tokens: &[String], x: &str, y: &str) -> anyhow::Result<f64> {
    let key = DecodingKey::from_ec_components(x, y)?;
    let mut validation = Validation::new(Algorithm::ES256);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_aud = false;
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let chunk = tokens.len().div_ceil(threads);
    let started = Instant::now();
    let total: usize = std::thread::scope(|s| {
        let handles: Vec<_> = tokens
            .chunks(chunk)
            .map(|part| {
                let key = &key;
                let validation = &validation;
                s.spawn(move || {
                    part.iter()
                        .filter(|t| {
                            jsonwebtoken::decode::<serde_json::Value>(t, key, validation).is_ok()
                        })
                        .count()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or(0)).sum()
    });
    anyhow::ensure!(
        total == tokens.len(),
        "only {total} of {} tokens verified",
        tokens.len()
    );
    Ok(total as f64 / started.elapsed().as_secs_f64())
}

/// (b): the minimal server, run in a child process (`PENNY_BENCH_ROLE=minimal`) like penny's.
pub fn serve_minimal() -> anyhow::Result<()> {
    let nats_url = std::env::var("PENNY_BENCH_NATS_URL").context("PENNY_BENCH_NATS_URL")?;
    let listen = std::env::var("PENNY_BENCH_LISTEN").context("PENNY_BENCH_LISTEN")?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let client = async_nats::connect(nats_url).await?;
        let js = jetstream::new(client);
        let router = Router::new()
            .route("/webhooks/plaid", post(minimal_handler))
            .route("/healthz", get(|| async { "ok" }))
            .with_state(Arc::new(js));
        let listener = tokio::net::TcpListener::bind(&listen).await?.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        axum::serve(listener, router).await?;
        anyhow::Ok(())
    })
}

async fn minimal_handler(
    State(js): State<Arc<jetstream::Context>>,
    body: Bytes,
) -> (StatusCode, &'static str) {
    let id = hex::encode(Sha256::digest(&body));
    let msg = PublishMessage::build()
        .payload(body)
        .headers(HeaderMap::new())
        .message_id(id);
    let publish = async {
        let ack = js.send_publish(SUBJECT, msg).await?;
        ack.await
    };
    match tokio::time::timeout(Duration::from_secs(2), publish).await {
        Ok(Ok(_)) => (StatusCode::OK, "{\"received\":true}"),
        _ => (StatusCode::SERVICE_UNAVAILABLE, "{}"),
    }
}
