//! `PENNY_VERIFICATION_STREAM_REPLICAS` reaches the streams and the rate-limit bucket.

use std::time::Duration;

use penny_bus::kv::{Limits, RATE_LIMIT_BUCKET as BUCKET, RateLimiter};
use penny_verification::App;

use crate::support::{DbKind, app_config, for_each_db, start_stack};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stream_replicas_reach_the_streams_and_the_rate_limit_bucket() -> anyhow::Result<()> {
    for_each_db(stream_replicas_reach_the_streams_and_the_rate_limit_bucket_on).await
}

async fn stream_replicas_reach_the_streams_and_the_rate_limit_bucket_on(
    kind: DbKind,
) -> anyhow::Result<()> {
    let stack = start_stack(kind).await?;
    let js = stack.jetstream().await?;

    // A single NATS server refuses more than one replica: asking for 3 must fail the start,
    // which shows the setting is passed on rather than dropped.
    let mut config = app_config(&stack);
    config.stream_replicas = 3;
    let err = App::build(config)
        .await
        .expect_err("a single server has no room for 3 replicas");
    assert!(format!("{err:#}").contains("replicas"), "{err:#}");
    // The bucket alone, likewise.
    let limits = Limits {
        per_item: 1,
        per_client: 1,
        window: Duration::from_secs(60),
    };
    let refused = RateLimiter::open(&js, "replicas_probe", limits, 3).await;
    assert!(
        refused.is_err(),
        "the bucket takes the replicas it is given"
    );

    // The default, 1: every stream and the bucket's stream are created with it.
    let app = App::build(app_config(&stack)).await?;
    for name in [
        penny_bus::PLAID_WEBHOOKS,
        penny_bus::PENNY_EVENTS,
        penny_bus::DEAD_LETTERS,
        &format!("KV_{BUCKET}"),
    ] {
        let mut stream = js.get_stream(name).await?;
        assert_eq!(stream.info().await?.config.num_replicas, 1, "{name}");
    }
    drop(app);
    Ok(())
}
