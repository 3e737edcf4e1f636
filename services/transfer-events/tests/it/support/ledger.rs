//! What reached the database and `PENNY_EVENTS`: the stored event ids, the sync audit, the
//! deposit domain events; and `penny.event.account.linked` published as verification does.

use async_nats::jetstream;
use penny_proto::v1 as pb;
use penny_transfer_events::store::entities::{ach_event, sync_run};
use prost::Message as _;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

/// Every stored event id of `feed`, ascending.
pub async fn stored_ids(db: &DatabaseConnection, feed: &str) -> anyhow::Result<Vec<i64>> {
    Ok(ach_event::Entity::find()
        .filter(ach_event::Column::Feed.eq(feed))
        .order_by_asc(ach_event::Column::EventId)
        .all(db)
        .await?
        .into_iter()
        .map(|e| e.event_id)
        .collect())
}

/// Asserts the ledger of `feed` is exactly events `1..=n`: no gap, no duplicate.
pub async fn assert_exactly(db: &DatabaseConnection, feed: &str, n: u64) -> anyhow::Result<()> {
    let ids = stored_ids(db, feed).await?;
    let want: Vec<i64> = (1..=i64::try_from(n)?).collect();
    anyhow::ensure!(
        ids == want,
        "stored {} events, first gap or extra near {:?}",
        ids.len(),
        ids.iter().zip(&want).find(|(a, b)| a != b)
    );
    Ok(())
}

/// Every sync of `feed`, in the order they started.
pub async fn syncs(db: &DatabaseConnection, feed: &str) -> anyhow::Result<Vec<sync_run::Model>> {
    Ok(sync_run::Entity::find()
        .filter(sync_run::Column::Feed.eq(feed))
        .order_by_asc(sync_run::Column::Id)
        .all(db)
        .await?)
}

/// Asserts the cursor only ever moved forward: each sync ends at or after where it started,
/// starts where an earlier one ended, and the lease tokens of successive syncs never go back.
pub fn assert_forward_only(runs: &[sync_run::Model]) {
    let mut reached = 0;
    let mut token = 0;
    for run in runs {
        assert!(
            run.to_cursor >= run.from_cursor,
            "a sync went back: {run:?}"
        );
        assert!(
            run.from_cursor <= reached || reached == 0 && run.from_cursor == 0,
            "{run:?} skipped past {reached}"
        );
        assert!(
            run.token >= token,
            "an older holder synced after a newer one: {run:?}"
        );
        reached = reached.max(run.to_cursor);
        token = run.token;
    }
}

/// Every deposit event in `PENNY_EVENTS`, in order, with its subject and `Nats-Msg-Id`.
pub async fn deposit_events(
    js: &jetstream::Context,
) -> anyhow::Result<Vec<(String, String, pb::DepositEvent)>> {
    let mut stream = js.get_stream(penny_bus::PENNY_EVENTS).await?;
    let info = stream.info().await?;
    let mut out = Vec::new();
    if info.state.messages == 0 {
        return Ok(out);
    }
    for seq in info.state.first_sequence..=info.state.last_sequence {
        let Ok(message) = stream.get_raw_message(seq).await else {
            continue;
        };
        if !message.subject.starts_with("penny.event.deposit.") {
            continue;
        }
        let msg_id = message
            .headers
            .get("Nats-Msg-Id")
            .map(|v| v.as_str().to_owned())
            .unwrap_or_default();
        out.push((
            message.subject.to_string(),
            msg_id,
            pb::DepositEvent::decode(message.payload.as_ref())?,
        ));
    }
    Ok(out)
}

/// Publishes `penny.event.account.linked` for `account_id` as verification does at exchange.
pub async fn publish_linked(
    js: &jetstream::Context,
    account_id: &str,
    user_id: &str,
) -> anyhow::Result<()> {
    let event = pb::AccountEvent {
        event_id: format!("linked-{account_id}"),
        occurred_at: Some(prost_types_now()),
        user_id: user_id.to_owned(),
        item_id: format!("item-of-{account_id}"),
        account_id: account_id.to_owned(),
        status: pb::AccountStatus::Pending as i32,
        cause: "api/ExchangePublicToken".to_owned(),
        flow: pb::VerificationFlow::SameDay as i32,
        ..Default::default()
    };
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("Nats-Msg-Id", event.event_id.as_str());
    headers.insert(
        penny_bus::HDR_CONTENT_TYPE,
        penny_bus::PROTOBUF_ACCOUNT_EVENT,
    );
    js.publish_with_headers(
        penny_bus::event_subject(penny_bus::ACCOUNT_EVENT_PREFIX, "linked"),
        headers,
        event.encode_to_vec().into(),
    )
    .await?
    .await?;
    Ok(())
}

fn prost_types_now() -> prost_types::Timestamp {
    let now = chrono::Utc::now();
    prost_types::Timestamp {
        seconds: now.timestamp(),
        nanos: 0,
    }
}
