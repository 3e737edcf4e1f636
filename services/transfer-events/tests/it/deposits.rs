//! Deposit state per account and the domain events, end to end: posted → reversed R03 on one
//! account, posted on another, a legacy 2-credit + 1-debit account, a failed and a cancelled
//! transfer; amounts exact; events of accounts penny had not linked recorded, flagged, counted,
//! and linked later.

use std::collections::BTreeMap;

use chrono::DateTime;
use penny_proto::v1 as pb;
use penny_testkit::{Advance, BulkItems, DepositShape, EventFeed};
use penny_transfer_events::store::entities::ach_event;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::support::{
    DbKind, SYNCED_WITHIN, TestApp, for_each_db, items, ledger, poll_until, sandbox_events,
    spawn_on, start_stack, wait_synced,
};

fn time(t: &Option<prost_types::Timestamp>) -> chrono::DateTime<chrono::Utc> {
    let t = t.unwrap();
    DateTime::from_timestamp(t.seconds, u32::try_from(t.nanos).unwrap()).unwrap()
}

async fn wait_linked(app: &TestApp, account: &str) -> anyhow::Result<()> {
    poll_until(SYNCED_WITHIN, || async {
        app.deposit_status(account).await.ok()?.linked.then_some(())
    })
    .await
}

async fn deposits_on(kind: DbKind) -> anyhow::Result<()> {
    let stack = start_stack(kind).await?;
    let app = spawn_on(&stack, |_| {}).await?;
    let js = stack.jetstream().await?;
    let singles = items(&stack, 4, DepositShape::Single, EventFeed::BankTransfer).await?;
    let [a, b, d, e] = [0, 1, 2, 3].map(|i| singles[i].account_id.clone());
    let legacy = stack
        .control
        .create_items(&BulkItems {
            count: 1,
            deposit_shape: Some(DepositShape::LegacySameDay),
            credits: Some(["0.10".into(), "0.20".into()]),
            ..BulkItems::default()
        })
        .await?;
    let c = legacy.items[0].account_id.clone();
    for (account, user) in [(&a, "user-a"), (&b, "user-b"), (&c, "user-c")] {
        ledger::publish_linked(&js, account, user).await?;
        wait_linked(&app, account).await?;
    }

    let control = &stack.control;
    control
        .advance_transfers(&Advance::to("posted").accounts([&a, &b, &c]))
        .await?;
    control
        .advance_transfers(&Advance::to("reversed").accounts([&a]).return_code("R03"))
        .await?;
    control
        .advance_transfers(&Advance::to("failed").accounts([&d]))
        .await?;
    let mut cancel = Advance::to("cancelled").accounts([&e]);
    cancel.poke = Some(true);
    control.advance_transfers(&cancel).await?;
    let total = sandbox_events(&stack, EventFeed::BankTransfer).await?;
    assert_eq!(
        total,
        7 + 5 + 3,
        "pending, posted, returned/failed/cancelled"
    );
    wait_synced(&stack, &app, total).await?;

    // A: posted, then returned R03.
    let status = app.deposit_status(&a).await?;
    assert!(status.linked);
    assert_eq!(status.user_id, "user-a");
    assert_eq!(status.deposits.len(), 1);
    let dep = &status.deposits[0];
    assert_eq!(dep.state, pb::DepositState::Reversed as i32);
    assert_eq!(dep.ach_return_code, "R03");
    assert_eq!(
        dep.return_category,
        pb::ReturnCategory::AccountClosedOrInvalid as i32
    );
    assert!(!dep.return_reason.is_empty());
    let summary = status.summary.unwrap();
    assert_eq!(summary.state, pb::DepositState::Reversed as i32);
    assert_eq!(summary.ach_return_code, "R03");
    assert_eq!(
        summary.amount_credited, "0",
        "a returned credit did not arrive"
    );

    // B: posted, funds at 8:30 New York on the next banking day.
    let status = app.deposit_status(&b).await?;
    let dep = &status.deposits[0];
    assert_eq!(dep.state, pb::DepositState::Posted as i32);
    assert_eq!(dep.amount, "0.01");
    let available = time(&dep.available_at);
    assert_eq!(
        available,
        penny_calendar::funds_available_after(time(&dep.posted_at))
    );
    let summary = status.summary.unwrap();
    assert_eq!(
        (summary.state, summary.amount_credited.as_str()),
        (pb::DepositState::Posted as i32, "0.01")
    );
    assert_eq!(time(&summary.available_at), available);

    // C: the legacy shape, exact amounts.
    let status = app.deposit_status(&c).await?;
    let shape: Vec<(i32, &str, i32)> = status
        .deposits
        .iter()
        .map(|d| (d.direction, d.amount.as_str(), d.state))
        .collect();
    let (credit, debit, posted) = (
        pb::DepositDirection::Credit as i32,
        pb::DepositDirection::Debit as i32,
        pb::DepositState::Posted as i32,
    );
    assert_eq!(
        shape,
        [
            (credit, "0.10", posted),
            (credit, "0.20", posted),
            (debit, "0.30", posted)
        ]
    );
    let summary = status.summary.unwrap();
    assert_eq!((summary.credits, summary.debits), (2, 1));
    assert_eq!(summary.amount_credited, "0.30");
    assert_eq!(summary.amount_debited, "0.30");
    assert_eq!(summary.net_amount, "0.00");

    // D failed, E cancelled: never linked, recorded and flagged all the same.
    for (account, state) in [
        (&d, pb::DepositState::Failed),
        (&e, pb::DepositState::Cancelled),
    ] {
        let status = app.deposit_status(account).await?;
        assert!(!status.linked);
        assert_eq!(status.deposits[0].state, state as i32);
        assert_eq!(status.summary.unwrap().state, state as i32);
    }
    let state = app.sync_state().await?;
    assert_eq!(
        state.unknown_account_events, 4,
        "D's and E's two events each"
    );
    let metrics = app.metrics().await?;
    assert!(
        metrics.contains("penny_transfer_events_unknown_account_events_total 4"),
        "{metrics}"
    );

    // Linking D later links its history.
    ledger::publish_linked(&js, &d, "user-d").await?;
    wait_linked(&app, &d).await?;
    let rows = ach_event::Entity::find()
        .filter(ach_event::Column::AccountId.eq(d.as_str()))
        .all(&app.db)
        .await?;
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| r.account_linked && !r.linked_at_record));

    // ListEvents pages through C's six events.
    let mut client = app.client().await?;
    let first = client
        .list_events(pb::ListEventsRequest {
            account_id: c.clone(),
            page_token: String::new(),
            page_size: 4,
        })
        .await?
        .into_inner();
    assert_eq!(first.events.len(), 4);
    let rest = client
        .list_events(pb::ListEventsRequest {
            account_id: c.clone(),
            page_token: first.next_page_token.clone(),
            page_size: 4,
        })
        .await?
        .into_inner();
    assert_eq!(rest.events.len(), 2);
    assert!(rest.next_page_token.is_empty());
    let ids: Vec<u64> = first
        .events
        .iter()
        .chain(&rest.events)
        .map(|e| e.event_id)
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");

    // The domain events: one per announced move, exact amounts, codes and categories.
    let events = poll_until(SYNCED_WITHIN, || async {
        let e = ledger::deposit_events(&js).await.ok()?;
        (e.len() >= 8).then_some(e)
    })
    .await?;
    let mut by_subject: BTreeMap<&str, Vec<&pb::DepositEvent>> = BTreeMap::new();
    for (subject, _, event) in &events {
        by_subject.entry(subject.as_str()).or_default().push(event);
    }
    let count = |s: &str| by_subject.get(s).map_or(0, Vec::len);
    assert_eq!(count("penny.event.deposit.posted"), 5, "A, B and C's three");
    assert_eq!(count("penny.event.deposit.reversed"), 1);
    assert_eq!(count("penny.event.deposit.failed"), 1);
    assert_eq!(count("penny.event.deposit.cancelled"), 1);
    assert_eq!(events.len(), 8);
    let reversed = by_subject["penny.event.deposit.reversed"][0];
    assert_eq!(reversed.account_id, a);
    assert_eq!(reversed.ach_return_code, "R03");
    assert_eq!(
        reversed.return_category,
        pb::ReturnCategory::AccountClosedOrInvalid as i32
    );
    assert!(!reversed.return_reason.is_empty());
    assert_eq!(
        (reversed.amount.as_str(), reversed.plaid_event_type.as_str()),
        ("0.01", "reversed")
    );
    assert!(reversed.account_linked && reversed.available_at.is_none());
    let b_posted = by_subject["penny.event.deposit.posted"]
        .iter()
        .find(|ev| ev.account_id == b)
        .unwrap();
    assert_eq!(time(&b_posted.available_at), available);
    let c_debit = by_subject["penny.event.deposit.posted"]
        .iter()
        .find(|ev| ev.account_id == c && ev.direction == debit)
        .unwrap();
    assert_eq!(c_debit.amount, "0.30");
    let failed = by_subject["penny.event.deposit.failed"][0];
    assert_eq!(failed.account_id, d);
    assert!(!failed.account_linked);
    assert!(!failed.failure_description.is_empty());
    assert_eq!(by_subject["penny.event.deposit.cancelled"][0].account_id, e);
    app.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn derived_states_and_domain_events_are_right_and_amounts_exact() -> anyhow::Result<()> {
    for_each_db(deposits_on).await
}
