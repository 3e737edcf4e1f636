//! Stream creation is idempotent and follows changed settings.

use std::time::Duration;

use async_nats::jetstream::stream::DiscardPolicy;
use penny_bus::{
    DEAD_LETTERS, Ensured, PENNY_EVENTS, PLAID_WEBHOOKS, StreamSettings, ensure_dead_letters,
    ensure_penny_events, ensure_plaid_webhooks,
};

use crate::support::{context, setup};

#[tokio::test]
async fn ensuring_twice_is_idempotent() {
    let (_server, js) = setup().await;
    let settings = StreamSettings::default();
    assert_eq!(
        ensure_plaid_webhooks(&js, &settings).await.unwrap(),
        Ensured::Unchanged
    );
    assert_eq!(
        ensure_penny_events(&js, &settings).await.unwrap(),
        Ensured::Unchanged
    );
    assert_eq!(
        ensure_dead_letters(&js, &settings).await.unwrap(),
        Ensured::Unchanged
    );

    let mut webhooks = js.get_stream(PLAID_WEBHOOKS).await.unwrap();
    let config = webhooks.info().await.unwrap().config.clone();
    assert_eq!(config.subjects, vec!["plaid.webhook.>".to_owned()]);
    assert_eq!(config.discard, DiscardPolicy::New);
    assert_eq!(config.max_age, Duration::from_secs(8 * 24 * 3600));
    assert_eq!(config.duplicate_window, Duration::from_secs(120));
    assert_eq!(config.max_bytes, 1 << 30);
    let events = js.get_stream(PENNY_EVENTS).await.unwrap();
    assert_eq!(
        events.cached_info().config.max_age,
        Duration::from_secs(30 * 24 * 3600)
    );
    let dlq = js.get_stream(DEAD_LETTERS).await.unwrap();
    assert_eq!(
        dlq.cached_info().config.subjects,
        vec!["penny.dlq.>".to_owned()]
    );
}

#[tokio::test]
async fn a_changed_setting_is_updated() {
    let (server, js) = setup().await;
    let changed = StreamSettings {
        max_bytes: 64 * 1024 * 1024,
        duplicate_window: Duration::from_secs(30),
        max_age: Some(Duration::from_secs(3600)),
        ..StreamSettings::default()
    };
    assert_eq!(
        ensure_plaid_webhooks(&js, &changed).await.unwrap(),
        Ensured::Updated
    );
    // A fresh connection (another replica starting) sees the new settings and changes nothing.
    let other = context(&server).await;
    assert_eq!(
        ensure_plaid_webhooks(&other, &changed).await.unwrap(),
        Ensured::Unchanged
    );
    let mut stream = js.get_stream(PLAID_WEBHOOKS).await.unwrap();
    let config = &stream.info().await.unwrap().config;
    assert_eq!(config.max_bytes, 64 * 1024 * 1024);
    assert_eq!(config.duplicate_window, Duration::from_secs(30));
    assert_eq!(config.max_age, Duration::from_secs(3600));
}
