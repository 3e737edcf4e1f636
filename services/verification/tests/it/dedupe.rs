//! The dedupe window: an identical body is one webhook only within the window (or when it is
//! the same stream message); an `ITEM/ERROR` that recurs after a `LOGIN_REPAIRED`, later than
//! the window, is processed again. And the migration that introduced it keeps old rows.

use std::time::Duration;

use anyhow::Context as _;
use async_nats::HeaderMap;
use chrono::{DateTime, TimeDelta, Utc};
use penny_bus::{Delivery, Handler, Outcome};
use penny_plaid::VerificationStatus;
use penny_proto::v1 as pb;
use penny_store::inbox as processed_webhook;
use penny_testkit::WebhookFaults;
use penny_verification::consumer::dedupe_key;
use penny_verification::store::entities::status_history;
use penny_verification::store::migrations::Migrator;
use sea_orm::sea_query::{Alias, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait as _, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};
use sea_orm_migration::MigratorTrait;

use crate::support::events::{events_of, publish_webhook_received, received_at_header};
use crate::support::{
    DbKind, TestDb, app_config, for_each_db, item_webhook, spawn_on, start_stack,
    wait_webhooks_handled,
};

const WAIT: Duration = Duration::from_secs(20);
/// The window of these tests: the receipt times below are hours apart, so nothing waits.
const WINDOW: Duration = Duration::from_secs(3600);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_identical_error_after_the_window_is_processed_again() -> anyhow::Result<()> {
    for_each_db(an_identical_error_after_the_window_is_processed_again_on).await
}

async fn an_identical_error_after_the_window_is_processed_again_on(
    kind: DbKind,
) -> anyhow::Result<()> {
    let stack = start_stack(kind).await?;
    let app = spawn_on(&stack, |c| c.dedupe_window = WINDOW).await?;
    let linked = app.verified_account("user-recurring-error").await?;
    let js = stack.jetstream().await?;
    let error = item_webhook("ERROR", &linked.item_id);
    let repaired = item_webhook("LOGIN_REPAIRED", &linked.item_id);
    let t0 = Utc::now() - TimeDelta::hours(3);
    let needs_update = || async {
        anyhow::Ok(
            events_of(&js, &linked.account_id, "needs_update")
                .await?
                .len(),
        )
    };

    // The first ERROR, then the repair.
    let first_seq = publish_webhook_received(&js, &error, t0).await?;
    app.wait_for_status(&linked.account_id, pb::AccountStatus::NeedsUpdate, WAIT)
        .await?;
    publish_webhook_received(&js, &repaired, t0 + TimeDelta::minutes(10)).await?;
    app.wait_for_status(&linked.account_id, pb::AccountStatus::Verified, WAIT)
        .await?;

    // The same bytes again within the window (a Plaid retry): ignored.
    publish_webhook_received(&js, &error, t0 + TimeDelta::minutes(30)).await?;
    wait_webhooks_handled(&stack).await?;
    assert_eq!(
        app.account(&linked.account_id).await?.status,
        pb::AccountStatus::Verified as i32,
        "a retry within the window is a duplicate"
    );

    // A redelivery of the first stream message is recognised whatever its receipt time says.
    let mut config = app_config(&stack);
    config.dedupe_window = WINDOW;
    config.consumer.consumer_name = "verification-direct".into();
    let handler = penny_verification::App::build(config)
        .await?
        .webhook_handler();
    let mut headers = HeaderMap::new();
    headers.insert(
        penny_bus::HDR_RECEIVED_AT,
        received_at_header(Utc::now()).as_str(),
    );
    let redelivery = Delivery::new(
        penny_bus::webhook_subject("ITEM", "ERROR"),
        error.clone(),
        headers,
    )
    .with_delivery(2, first_seq);
    assert_eq!(handler.handle(&redelivery).await, Outcome::Ack);
    assert_eq!(
        app.account(&linked.account_id).await?.status,
        pb::AccountStatus::Verified as i32,
        "a redelivery of a processed stream message is a duplicate"
    );
    assert_eq!(needs_update().await?, 1);

    // The same bytes after the window (the login broke again): processed again.
    publish_webhook_received(&js, &error, Utc::now()).await?;
    app.wait_for_status(&linked.account_id, pb::AccountStatus::NeedsUpdate, WAIT)
        .await?;
    crate::support::poll_events(&js, &linked.account_id, "needs_update", 2).await?;
    wait_webhooks_handled(&stack).await?;
    assert_eq!(needs_update().await?, 2);
    let rows = processed_webhook::Entity::find()
        .filter(processed_webhook::Column::Key.eq(dedupe_key(&error)))
        .order_by_asc(processed_webhook::Column::Id)
        .all(&app.db)
        .await?;
    let outcomes: Vec<&str> = rows.iter().map(|r| r.outcome.as_str()).collect();
    assert_eq!(outcomes, ["applied", "applied"], "{rows:?}");
    assert_eq!(rows[0].stream_sequence, i64::try_from(first_seq).ok());
    assert_eq!(rows[0].received_at, t0_micros(t0));
    app.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn identical_bodies_racing_on_two_replicas_apply_once() -> anyhow::Result<()> {
    for_each_db(identical_bodies_racing_on_two_replicas_apply_once_on).await
}

/// Four stream messages with the same body (a Plaid retry racing the original) handled at once
/// by two replicas, whose in-process Item locks do not see each other: only the check under
/// the Item row lock can tell that one of them already committed.
async fn identical_bodies_racing_on_two_replicas_apply_once_on(kind: DbKind) -> anyhow::Result<()> {
    let stack = start_stack(kind).await?;
    let app = spawn_on(&stack, |_| {}).await?;
    let linked = app.link_account("user-race").await?;
    stack
        .control
        .set_webhook_faults(&WebhookFaults::drop_next(1))
        .await?;
    app.set_verification_status(&linked, VerificationStatus::AutomaticallyVerified)
        .await?;
    let mut replicas = Vec::new();
    for name in ["verification-a", "verification-b"] {
        let mut config = app_config(&stack);
        config.consumer.consumer_name = name.into();
        replicas.push(
            penny_verification::App::build(config)
                .await?
                .webhook_handler(),
        );
    }
    let body = crate::support::auth_webhook(
        "AUTOMATICALLY_VERIFIED",
        &linked.item_id,
        &linked.account_id,
    );
    let received = Utc::now();
    let delivery = |seq: u64| {
        let mut headers = HeaderMap::new();
        headers.insert(
            penny_bus::HDR_RECEIVED_AT,
            received_at_header(received + TimeDelta::seconds(i64::try_from(seq).unwrap_or(0)))
                .as_str(),
        );
        Delivery::new(
            penny_bus::webhook_subject("AUTH", "AUTOMATICALLY_VERIFIED"),
            body.clone(),
            headers,
        )
        .with_delivery(1, seq)
    };
    let (d1, d2, d3, d4) = (delivery(101), delivery(102), delivery(103), delivery(104));
    let outcomes = tokio::join!(
        replicas[0].handle(&d1),
        replicas[1].handle(&d2),
        replicas[0].handle(&d3),
        replicas[1].handle(&d4),
    );
    assert_eq!(
        [outcomes.0, outcomes.1, outcomes.2, outcomes.3],
        [Outcome::Ack, Outcome::Ack, Outcome::Ack, Outcome::Ack]
    );
    assert_eq!(
        app.account(&linked.account_id).await?.status,
        pb::AccountStatus::Verified as i32
    );
    let rows = processed_webhook::Entity::find()
        .filter(processed_webhook::Column::Key.eq(dedupe_key(&body)))
        .all(&app.db)
        .await?;
    assert_eq!(
        rows.len(),
        1,
        "one processed row, no 'ignored' twin: {rows:?}"
    );
    assert_eq!(rows[0].outcome, "applied");
    let history = status_history::Entity::find()
        .filter(status_history::Column::AccountId.eq(linked.account_id.as_str()))
        .count(&app.db)
        .await?;
    assert_eq!(history, 1, "one transition");
    let js = stack.jetstream().await?;
    crate::support::poll_events(&js, &linked.account_id, "verified", 1).await?;
    assert_eq!(
        events_of(&js, &linked.account_id, "verified").await?.len(),
        1
    );
    app.stop().await
}

fn t0_micros(t: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::SubsecRound as _;
    t.trunc_subsecs(6)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_dedupe_window_migration_keeps_the_processed_webhooks() -> anyhow::Result<()> {
    for_each_db(the_dedupe_window_migration_keeps_the_processed_webhooks_on).await
}

async fn the_dedupe_window_migration_keeps_the_processed_webhooks_on(
    kind: DbKind,
) -> anyhow::Result<()> {
    let test_db = TestDb::new(kind).await?;
    let db = penny_verification::store::connect(test_db.url()).await?;
    // The schema before the dedupe window (every migration before it): one row per hash.
    let before = migration_index("m20261122_000007_window_processed_webhooks")?;
    Migrator::up(&db, Some(u32::try_from(before)?)).await?;
    let processed_at = t0_micros(Utc::now() - TimeDelta::days(1));
    let insert = Query::insert()
        .into_table(Alias::new("processed_webhooks"))
        .columns(
            [
                "dedupe_key",
                "webhook_type",
                "webhook_code",
                "item_id",
                "outcome",
                "stream_sequence",
                "processed_at",
            ]
            .map(Alias::new),
        )
        .values([
            "hash-a".into(),
            "ITEM".into(),
            "ERROR".into(),
            "item-1".into(),
            "applied".into(),
            7i64.into(),
            processed_at.into(),
        ])?
        .to_owned();
    db.execute(&insert).await?;

    Migrator::up(&db, Some(1)).await?;
    let rows = processed_webhook_v7::Entity::find().all(&db).await?;
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(
        (
            row.dedupe_key.as_str(),
            row.webhook_code.as_str(),
            row.outcome.as_str()
        ),
        ("hash-a", "ERROR", "applied")
    );
    assert_eq!(row.stream_sequence, Some(7));
    assert_eq!(
        (row.received_at, row.processed_at),
        (processed_at, processed_at)
    );

    // The same body again (another stream message) now fits; the same message does not.
    let again = |seq: Option<i64>| processed_webhook_v7::ActiveModel {
        id: sea_orm::NotSet,
        stream_sequence: sea_orm::Set(seq),
        received_at: sea_orm::Set(Utc::now()),
        ..sea_orm::IntoActiveModel::into_active_model(row.clone())
    };
    processed_webhook_v7::Entity::insert(again(Some(8)))
        .exec(&db)
        .await?;
    let dup = processed_webhook_v7::Entity::insert(again(Some(7)))
        .exec(&db)
        .await
        .expect_err("(dedupe_key, stream_sequence) is unique");
    assert!(
        penny_verification::store::is_unique_violation(&dup),
        "{dup}"
    );

    // And back down: one row per body hash again, the latest kept.
    Migrator::down(&db, Some(1)).await?;
    let back = db
        .query_all(
            &Query::select()
                .columns(["dedupe_key", "stream_sequence"].map(Alias::new))
                .from(Alias::new("processed_webhooks"))
                .to_owned(),
        )
        .await?;
    assert_eq!(back.len(), 1);
    assert_eq!(back[0].try_get::<i64>("", "stream_sequence")?, 8);
    Ok(())
}

/// The position of migration `name` in the migrator's list.
fn migration_index(name: &str) -> anyhow::Result<usize> {
    Migrator::migrations()
        .iter()
        .position(|m| m.name() == name)
        .with_context(|| format!("no migration {name}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_inbox_migration_moves_the_processed_webhooks_and_back() -> anyhow::Result<()> {
    for_each_db(the_inbox_migration_moves_the_processed_webhooks_and_back_on).await
}

async fn the_inbox_migration_moves_the_processed_webhooks_and_back_on(
    kind: DbKind,
) -> anyhow::Result<()> {
    let test_db = TestDb::new(kind).await?;
    let db = penny_verification::store::connect(test_db.url()).await?;
    let before = migration_index("m20261202_000008_processed_webhooks_into_inbox")?;
    Migrator::up(&db, Some(u32::try_from(before)?)).await?;
    let at = t0_micros(Utc::now() - TimeDelta::hours(2));
    let row = processed_webhook_v7::ActiveModel {
        id: sea_orm::NotSet,
        dedupe_key: sea_orm::Set("hash-b".to_owned()),
        webhook_type: sea_orm::Set("AUTH".to_owned()),
        webhook_code: sea_orm::Set("AUTOMATICALLY_VERIFIED".to_owned()),
        item_id: sea_orm::Set(Some("item-2".to_owned())),
        account_id: sea_orm::Set(Some("acc-2".to_owned())),
        outcome: sea_orm::Set("applied".to_owned()),
        detail: sea_orm::Set(None),
        stream_sequence: sea_orm::Set(Some(11)),
        received_at: sea_orm::Set(at),
        processed_at: sea_orm::Set(at),
    };
    processed_webhook_v7::Entity::insert(row).exec(&db).await?;

    Migrator::up(&db, Some(1)).await?;
    let moved = processed_webhook::Entity::find().all(&db).await?;
    assert_eq!(moved.len(), 1);
    let entry = &moved[0];
    assert_eq!(
        (
            entry.consumer.as_str(),
            entry.key.as_str(),
            entry.kind.as_str(),
            entry.aggregate_id.as_deref(),
            entry.entity_id.as_deref(),
            entry.outcome.as_str(),
        ),
        (
            "webhooks",
            "hash-b",
            "AUTH/AUTOMATICALLY_VERIFIED",
            Some("item-2"),
            Some("acc-2"),
            "applied"
        )
    );
    assert_eq!(
        (entry.stream_sequence, entry.received_at, entry.processed_at),
        (Some(11), at, at)
    );

    Migrator::down(&db, Some(1)).await?;
    let back = processed_webhook_v7::Entity::find().all(&db).await?;
    assert_eq!(back.len(), 1);
    assert_eq!(
        (
            back[0].dedupe_key.as_str(),
            back[0].webhook_type.as_str(),
            back[0].webhook_code.as_str(),
            back[0].stream_sequence
        ),
        ("hash-b", "AUTH", "AUTOMATICALLY_VERIFIED", Some(11))
    );
    assert_eq!(processed_webhook::Entity::find().count(&db).await?, 0);
    Ok(())
}

/// The `processed_webhooks` table as migrations 7 to 8 left it (the inbox replaced it).
mod processed_webhook_v7 {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "processed_webhooks")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub dedupe_key: String,
        pub webhook_type: String,
        pub webhook_code: String,
        pub item_id: Option<String>,
        pub account_id: Option<String>,
        pub outcome: String,
        pub detail: Option<String>,
        pub stream_sequence: Option<i64>,
        pub received_at: DateTimeUtc,
        pub processed_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
