//! The outbox on SQLite and PostgreSQL with a real nats-server: committed → published once, in
//! order; rolled back → never; crashes and NATS outages lose nothing and duplicate nothing.

use std::time::Duration;

use async_nats::jetstream;
use penny_bus::{PENNY_EVENTS, StreamSettings, ensure_penny_events};
use penny_store::outbox::{
    self, Outbox, OutboxMessage, RelayError, RelaySettings, enqueue, pending_count, purge_published,
};
use penny_testkit::{DbKind, NatsServer, TestDb};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, TransactionTrait, sea_query::Expr,
};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::support::{migrated, test_db};

struct Env {
    nats: NatsServer,
    js: jetstream::Context,
    db: DatabaseConnection,
    _test_db: TestDb,
}

async fn env(test_db: TestDb) -> Env {
    penny_testkit::init();
    let nats = NatsServer::start().await.unwrap();
    let client = penny_bus::connect(nats.url(), "penny-store-test")
        .await
        .unwrap();
    let js = jetstream::new(client);
    ensure_penny_events(&js, &StreamSettings::default())
        .await
        .unwrap();
    let db = migrated(&test_db).await;
    Env {
        nats,
        js,
        db,
        _test_db: test_db,
    }
}

fn settings() -> RelaySettings {
    RelaySettings {
        batch_size: 10,
        poll_interval: Duration::from_millis(200),
        ack_timeout: Duration::from_millis(800),
        max_backoff: Duration::from_millis(200),
        ..RelaySettings::default()
    }
}

fn event(n: usize) -> OutboxMessage {
    OutboxMessage::new(
        "penny.event.account.verified",
        format!("account-verified-{n}"),
        format!("event-{n}").into_bytes(),
    )
}

/// Every message in PENNY_EVENTS, in stream order: (payload, headers).
async fn stream_messages(js: &jetstream::Context) -> Vec<(String, async_nats::HeaderMap)> {
    let mut stream = js.get_stream(PENNY_EVENTS).await.unwrap();
    let state = stream.info().await.unwrap().state.clone();
    let mut out = Vec::new();
    if state.messages == 0 {
        return out;
    }
    for seq in state.first_sequence..=state.last_sequence {
        if let Ok(m) = stream.get_raw_message(seq).await {
            out.push((String::from_utf8(m.payload.to_vec()).unwrap(), m.headers));
        }
    }
    out
}

async fn stream_count(js: &jetstream::Context) -> u64 {
    let mut stream = js.get_stream(PENNY_EVENTS).await.unwrap();
    stream.info().await.unwrap().state.messages
}

async fn committed_is_relayed_once_and_rolled_back_never(test_db: TestDb) {
    let env = env(test_db).await;
    let outbox = Outbox::new(env.db.clone());
    let token = CancellationToken::new();
    let relay = outbox.relay(env.js.clone()).with_settings(settings());
    let task = tokio::spawn(relay.run_until_stopped(token.clone()));

    // Rolled back: must never appear.
    let txn = env.db.begin().await.unwrap();
    enqueue(&txn, event(0)).await.unwrap();
    txn.rollback().await.unwrap();

    // Committed, inside a traced span.
    let span = tracing::info_span!("exchange_public_token");
    async {
        let txn = env.db.begin().await.unwrap();
        enqueue(&txn, event(1).header("Penny-Account", "acc-1"))
            .await
            .unwrap();
        txn.commit().await.unwrap();
    }
    .instrument(span)
    .await;
    outbox.committed();

    let js = env.js.clone();
    penny_testkit::poll_until(Duration::from_secs(10), || {
        let js = js.clone();
        async move { stream_count(&js).await >= 1 }
    })
    .await
    .unwrap();
    let db = env.db.clone();
    penny_testkit::poll_until(Duration::from_secs(10), || {
        let db = db.clone();
        async move { pending_count(&db).await.unwrap() == 0 }
    })
    .await
    .unwrap();
    token.cancel();
    task.await.unwrap();

    let messages = stream_messages(&env.js).await;
    assert_eq!(messages.len(), 1, "exactly the committed message");
    let (payload, headers) = &messages[0];
    assert_eq!(payload, "event-1");
    assert_eq!(
        headers.get("Nats-Msg-Id").unwrap().as_str(),
        "account-verified-1"
    );
    assert_eq!(headers.get("Penny-Account").unwrap().as_str(), "acc-1");
    assert!(
        headers
            .get("traceparent")
            .unwrap()
            .as_str()
            .starts_with("00-"),
        "the enqueuing transaction's trace context travels with the message"
    );
    let row = outbox::Entity::find().one(&env.db).await.unwrap().unwrap();
    assert!(row.published_at.is_some());
    assert_eq!(row.attempts, 0);
}

on_both_databases!(
    committed_once_rolled_back_never,
    committed_is_relayed_once_and_rolled_back_never
);

async fn publish_before_mark_is_deduplicated(test_db: TestDb) {
    let env = env(test_db).await;
    let relay = Outbox::new(env.db.clone())
        .relay(env.js.clone())
        .with_settings(settings());
    let txn = env.db.begin().await.unwrap();
    enqueue(&txn, event(1)).await.unwrap();
    txn.commit().await.unwrap();
    assert_eq!(relay.relay_once().await.unwrap(), 1);

    // The relay crashed after the PubAck but before its mark was stored: the row is pending
    // again, and a restarted relay publishes it a second time.
    outbox::Entity::update_many()
        .col_expr(
            outbox::Column::PublishedAt,
            Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None),
        )
        .exec(&env.db)
        .await
        .unwrap();
    assert_eq!(pending_count(&env.db).await.unwrap(), 1);
    let restarted = Outbox::new(env.db.clone())
        .relay(env.js.clone())
        .with_settings(settings());
    assert_eq!(restarted.relay_once().await.unwrap(), 1);

    assert_eq!(
        stream_count(&env.js).await,
        1,
        "JetStream dropped the duplicate"
    );
    assert_eq!(pending_count(&env.db).await.unwrap(), 0);
}

on_both_databases!(publish_before_mark, publish_before_mark_is_deduplicated);

async fn order_is_kept_and_nats_outages_lose_nothing(test_db: TestDb) {
    let mut env = env(test_db).await;
    let relay = Outbox::new(env.db.clone())
        .relay(env.js.clone())
        .with_settings(settings());
    for n in 0..5 {
        enqueue(&env.db, event(n)).await.unwrap();
    }
    assert_eq!(relay.relay_once().await.unwrap(), 5);

    env.nats.stop().unwrap();
    for n in 5..25 {
        enqueue(&env.db, event(n)).await.unwrap();
    }
    let err = relay.relay_once().await.unwrap_err();
    match &err {
        RelayError::Publish { source, .. } => assert!(source.is_transient(), "{source:?}"),
        other => panic!("expected a publish error, got {other:?}"),
    }
    assert_eq!(pending_count(&env.db).await.unwrap(), 20);
    let first_pending = outbox::Entity::find()
        .filter(outbox::Column::PublishedAt.is_null())
        .order_by_asc(outbox::Column::Id)
        .one(&env.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first_pending.attempts, 1, "the failed attempt is counted");

    env.nats.restart().await.unwrap();
    let outbox = Outbox::new(env.db.clone());
    let token = CancellationToken::new();
    // Two replicas relay the same outbox at once.
    let a = outbox.relay(env.js.clone()).with_settings(settings());
    let b = outbox.relay(env.js.clone()).with_settings(settings());
    let ta = tokio::spawn(a.run_until_stopped(token.clone()));
    let tb = tokio::spawn(b.run_until_stopped(token.clone()));
    let db = env.db.clone();
    penny_testkit::poll_until(Duration::from_secs(20), || {
        let db = db.clone();
        async move { pending_count(&db).await.unwrap() == 0 }
    })
    .await
    .unwrap();
    token.cancel();
    ta.await.unwrap();
    tb.await.unwrap();

    let payloads: Vec<String> = stream_messages(&env.js)
        .await
        .into_iter()
        .map(|(p, _)| p)
        .collect();
    let expected: Vec<String> = (0..25).map(|n| format!("event-{n}")).collect();
    assert_eq!(payloads, expected, "every message once, in enqueue order");
}

on_both_databases!(
    order_and_outages,
    order_is_kept_and_nats_outages_lose_nothing
);

#[tokio::test]
async fn purge_removes_only_old_published_rows() {
    let env = env(test_db(DbKind::Sqlite).await).await;
    for n in 0..3 {
        enqueue(&env.db, event(n)).await.unwrap();
    }
    let relay = Outbox::new(env.db.clone())
        .relay(env.js.clone())
        .with_settings(settings());
    assert_eq!(relay.relay_once().await.unwrap(), 3);
    enqueue(&env.db, event(3)).await.unwrap();
    // Age row 1 by two days.
    let old = chrono::Utc::now() - chrono::Duration::days(2);
    outbox::Entity::update(outbox::ActiveModel {
        id: Set(1),
        published_at: Set(Some(old)),
        ..Default::default()
    })
    .exec(&env.db)
    .await
    .unwrap();

    let purged = purge_published(&env.db, Duration::from_secs(24 * 3600))
        .await
        .unwrap();
    assert_eq!(purged, 1);
    let left: Vec<i64> = outbox::Entity::find()
        .order_by_asc(outbox::Column::Id)
        .all(&env.db)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(left, vec![2, 3, 4], "recent and pending rows stay");
}

async fn the_running_relay_deletes_rows_once_past_their_keep_time(test_db: TestDb) {
    let mut env = env(test_db).await;
    let token = CancellationToken::new();
    let relay = Outbox::new(env.db.clone())
        .relay(env.js.clone())
        .with_settings(RelaySettings {
            keep_published: Duration::from_millis(300),
            purge_interval: Duration::from_millis(100),
            ..settings()
        });
    // NATS is down first: the pending rows must outlive any number of purges.
    env.nats.stop().unwrap();
    for n in 0..5 {
        enqueue(&env.db, event(n)).await.unwrap();
    }
    let running = tokio::spawn(relay.run_until_stopped(token.clone()));
    // Each failed round counts an attempt on the first row and is preceded by a purge when one
    // is due (every 100 ms; rounds back off 100, 200, 200 ms): four attempts mean purges ran
    // after the rows were older than keep_published.
    let db = env.db.clone();
    penny_testkit::poll_until(Duration::from_secs(20), || {
        let db = db.clone();
        async move {
            outbox::Entity::find()
                .order_by_asc(outbox::Column::Id)
                .one(&db)
                .await
                .unwrap()
                .is_some_and(|row| row.attempts >= 4)
        }
    })
    .await
    .expect("the relay keeps retrying while NATS is down");
    assert_eq!(
        outbox::Entity::find().count(&env.db).await.unwrap(),
        5,
        "pending rows are never purged"
    );

    env.nats.restart().await.unwrap();
    let db = env.db.clone();
    penny_testkit::poll_until(Duration::from_secs(20), || {
        let db = db.clone();
        async move { outbox::Entity::find().count(&db).await.unwrap() == 0 }
    })
    .await
    .expect("published rows are deleted after keep_published");
    token.cancel();
    running.await.unwrap();
    let payloads: Vec<String> = stream_messages(&env.js)
        .await
        .into_iter()
        .map(|(p, _)| p)
        .collect();
    let expected: Vec<String> = (0..5).map(|n| format!("event-{n}")).collect();
    assert_eq!(
        payloads, expected,
        "each message published once before its row went"
    );
}

on_both_databases!(
    relay_purges,
    the_running_relay_deletes_rows_once_past_their_keep_time
);

/// A relay whose poll and backoff are an hour: only its wake-ups can publish within the test.
fn sleepy_settings() -> RelaySettings {
    RelaySettings {
        poll_interval: Duration::from_secs(3600),
        first_backoff: Duration::from_secs(3600),
        max_backoff: Duration::from_secs(3600),
        ..settings()
    }
}

async fn the_relay_wakes_on_reconnect_and_on_commit_not_after_its_backoff(test_db: TestDb) {
    let mut env = env(test_db).await;
    let outbox = Outbox::new(env.db.clone());
    let token = CancellationToken::new();
    let relay = tokio::spawn(
        outbox
            .relay(env.js.clone())
            .with_settings(sleepy_settings())
            .run_until_stopped(token.clone()),
    );
    let pending_is = |n: u64| {
        let db = env.db.clone();
        move || {
            let db = db.clone();
            async move { pending_count(&db).await.unwrap() == n }
        }
    };
    let wait = Duration::from_secs(20);

    // NATS goes away; a commit wakes the relay, its round fails, and it backs off for an hour.
    env.nats.stop().unwrap();
    outbox.enqueue(&env.db, event(0)).await.unwrap();
    outbox.committed();
    let db = env.db.clone();
    penny_testkit::poll_until(wait, || {
        let db = db.clone();
        async move {
            outbox::Entity::find()
                .one(&db)
                .await
                .unwrap()
                .is_some_and(|row| row.attempts >= 1)
        }
    })
    .await
    .unwrap();
    // NATS comes back: the reconnect ends the pause.
    env.nats.restart().await.unwrap();
    penny_testkit::poll_until(wait, pending_is(0))
        .await
        .unwrap();

    // The stream is gone (NATS itself is fine): the round fails and the relay backs off again;
    // a reconnect will not come, but the next commit ends the pause.
    env.js.delete_stream(PENNY_EVENTS).await.unwrap();
    outbox.enqueue(&env.db, event(1)).await.unwrap();
    outbox.committed();
    let db = env.db.clone();
    penny_testkit::poll_until(wait, || {
        let db = db.clone();
        async move {
            outbox::Entity::find()
                .filter(outbox::Column::PublishedAt.is_null())
                .one(&db)
                .await
                .unwrap()
                .is_some_and(|row| row.attempts >= 1)
        }
    })
    .await
    .unwrap();
    ensure_penny_events(&env.js, &StreamSettings::default())
        .await
        .unwrap();
    outbox.enqueue(&env.db, event(2)).await.unwrap();
    outbox.committed();
    penny_testkit::poll_until(wait, pending_is(0))
        .await
        .unwrap();

    token.cancel();
    relay.await.unwrap();
    let payloads: Vec<String> = stream_messages(&env.js)
        .await
        .into_iter()
        .map(|(p, _)| p)
        .collect();
    assert_eq!(payloads, vec!["event-1".to_owned(), "event-2".to_owned()]);
}

on_both_databases!(
    relay_wakes,
    the_relay_wakes_on_reconnect_and_on_commit_not_after_its_backoff
);
