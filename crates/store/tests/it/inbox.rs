//! The inbox on both databases: a redelivery is recognised however late, a resend only within
//! the window, concurrent records of one delivery collide, consumers do not see each other's
//! entries, and pruning keeps what is recent.

use std::time::Duration;

use chrono::{TimeDelta, Utc};
use penny_store::inbox::{self, InboxEntry, Lookup};
use penny_testkit::TestDb;
use sea_orm::{EntityTrait, PaginatorTrait, TransactionTrait};

use crate::support::migrated;

fn entry(consumer: &str, key: &str, seq: u64, received_ago: TimeDelta) -> InboxEntry {
    InboxEntry {
        consumer: consumer.to_owned(),
        key: key.to_owned(),
        stream_sequence: Some(seq),
        received_at: (Utc::now() - received_ago).trunc_subsecs_micros(),
        kind: "AUTH/AUTOMATICALLY_VERIFIED".to_owned(),
        aggregate_id: Some("item-1".to_owned()),
        entity_id: Some("acc-1".to_owned()),
        outcome: "applied".to_owned(),
        detail: None,
    }
}

trait Micros {
    fn trunc_subsecs_micros(self) -> Self;
}

impl Micros for chrono::DateTime<Utc> {
    fn trunc_subsecs_micros(self) -> Self {
        use chrono::SubsecRound as _;
        self.trunc_subsecs(6)
    }
}

fn lookup<'a>(e: &'a InboxEntry, seq: Option<u64>, window: Duration) -> Lookup<'a> {
    Lookup {
        consumer: &e.consumer,
        key: &e.key,
        stream_sequence: seq,
        received_at: e.received_at,
        window,
    }
}

on_both_databases!(
    redeliveries_and_resends,
    redeliveries_and_resends_are_recognised
);
async fn redeliveries_and_resends_are_recognised(test_db: TestDb) {
    let db = migrated(&test_db).await;
    let first = entry("verification", "hash-a", 7, TimeDelta::hours(30));
    let none = inbox::seen(&db, &lookup(&first, Some(7), Duration::ZERO))
        .await
        .unwrap();
    assert!(none.is_none(), "nothing recorded yet");

    let txn = db.begin().await.unwrap();
    inbox::record(&txn, first.clone(), Utc::now())
        .await
        .unwrap();
    txn.commit().await.unwrap();

    // The same stream message, however late and whatever the window: a redelivery.
    let found = inbox::seen(&db, &lookup(&first, Some(7), Duration::ZERO))
        .await
        .unwrap()
        .expect("redelivery recognised");
    assert_eq!(
        (
            found.key.as_str(),
            found.stream_sequence,
            found.kind.as_str()
        ),
        ("hash-a", Some(7), "AUTH/AUTOMATICALLY_VERIFIED")
    );
    assert_eq!(found.received_at, first.received_at);

    // Another stream message with the same key, received now (30 h later): a resend only
    // within a window that covers the gap.
    let resend = entry("verification", "hash-a", 9, TimeDelta::zero());
    let day = Duration::from_secs(24 * 3600);
    assert!(
        inbox::seen(&db, &lookup(&resend, Some(9), day))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        inbox::seen(&db, &lookup(&resend, Some(9), 2 * day))
            .await
            .unwrap()
            .is_some()
    );
    // Another consumer's inbox is its own.
    let other = entry("notifier", "hash-a", 7, TimeDelta::zero());
    assert!(
        inbox::seen(&db, &lookup(&other, Some(7), 2 * day))
            .await
            .unwrap()
            .is_none()
    );
}

on_both_databases!(concurrent_records, one_delivery_is_recorded_once);
async fn one_delivery_is_recorded_once(test_db: TestDb) {
    let db = migrated(&test_db).await;
    let e = entry("verification", "hash-b", 3, TimeDelta::zero());
    inbox::record(&db, e.clone(), Utc::now()).await.unwrap();
    let again = inbox::record(&db, e.clone(), Utc::now())
        .await
        .expect_err("(consumer, key, stream_sequence) is unique");
    assert!(penny_store::is_unique_violation(&again), "{again}");
    // The same key and sequence in another consumer's inbox, or another message with the same
    // key: separate entries.
    inbox::record(
        &db,
        entry("notifier", "hash-b", 3, TimeDelta::zero()),
        Utc::now(),
    )
    .await
    .unwrap();
    inbox::record(
        &db,
        entry("verification", "hash-b", 4, TimeDelta::zero()),
        Utc::now(),
    )
    .await
    .unwrap();
    assert_eq!(inbox::Entity::find().count(&db).await.unwrap(), 3);
}

on_both_databases!(rolled_back, a_rolled_back_record_leaves_nothing);
async fn a_rolled_back_record_leaves_nothing(test_db: TestDb) {
    let db = migrated(&test_db).await;
    let e = entry("verification", "hash-c", 5, TimeDelta::zero());
    let txn = db.begin().await.unwrap();
    inbox::record(&txn, e.clone(), Utc::now()).await.unwrap();
    txn.rollback().await.unwrap();
    assert!(
        inbox::seen(&db, &lookup(&e, Some(5), Duration::ZERO))
            .await
            .unwrap()
            .is_none()
    );
}

on_both_databases!(pruning, pruning_keeps_recent_entries_of_other_consumers_too);
async fn pruning_keeps_recent_entries_of_other_consumers_too(test_db: TestDb) {
    let db = migrated(&test_db).await;
    let old = entry("verification", "old", 1, TimeDelta::days(10));
    let recent = entry("verification", "recent", 2, TimeDelta::hours(1));
    let others_old = entry("notifier", "old", 1, TimeDelta::days(10));
    for e in [&old, &recent, &others_old] {
        inbox::record(&db, e.clone(), Utc::now()).await.unwrap();
    }
    let pruned = inbox::prune(&db, "verification", Duration::from_secs(9 * 24 * 3600))
        .await
        .unwrap();
    assert_eq!(pruned, 1);
    let left: Vec<(String, String)> = inbox::Entity::find()
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .map(|m| (m.consumer, m.key))
        .collect();
    assert_eq!(left.len(), 2);
    assert!(left.contains(&("verification".to_owned(), "recent".to_owned())));
    assert!(left.contains(&("notifier".to_owned(), "old".to_owned())));
}
