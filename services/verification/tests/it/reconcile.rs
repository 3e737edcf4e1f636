//! The reconciliation sweep: an account whose outcome webhook Plaid never delivered is settled
//! by asking `/accounts/get` once its outcome is overdue, with the same effects a webhook has
//! (numbers stored once, one domain event); a check that fails on a Plaid 500 is retried after
//! its claim; replicas sharing a database ask about each due account once; `reconcile-now` makes
//! every pending account due at once (after an outage longer than Plaid's retries).

use std::time::Duration;

use clap::Parser as _;
use penny_plaid::VerificationStatus;
use penny_proto::v1 as pb;
use penny_testkit::{DeliveryOutcome, EndpointFault, ForcedError, WebhookFaults, poll_until};
use penny_verification::domain::FirstCheck;
use penny_verification::store::entities::account;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::support::{
    DbKind, Linked, TestApp, events, for_each_db, poll_events, spawn_on, start_stack,
    wait_webhooks_handled,
};

const WAIT: Duration = Duration::from_secs(30);
/// `/accounts/get` answers that fail before the sweep gets through.
const FAILURES: u32 = 8;

/// A sweep that runs every 200 ms, checks an account 2 s after linking and again every
/// `recheck`, and leaves a claimed account alone for 1 s.
fn fast_sweep(recheck: Duration) -> impl FnOnce(&mut penny_verification::Config) {
    move |config| {
        let r = &mut config.reconcile;
        r.reconcile_interval = Duration::from_millis(200);
        r.reconcile_first_check = FirstCheck::After(Duration::from_secs(2));
        r.reconcile_recheck = recheck;
        r.reconcile_claim = Duration::from_secs(1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn lost_outcome_webhooks_are_settled_by_the_sweep_with_one_effect_each() -> anyhow::Result<()>
{
    for_each_db(lost_webhooks_settled_on).await
}

async fn lost_webhooks_settled_on(kind: DbKind) -> anyhow::Result<()> {
    let stack = start_stack(kind).await?;
    let app = spawn_on(&stack, fast_sweep(Duration::from_secs(1))).await?;
    let verified = app.link_account("user-lost-verified").await?;
    let expired = app.link_account("user-lost-expired").await?;
    let control = &stack.control;
    control
        .set_webhook_faults(&WebhookFaults::drop_probability(1.0))
        .await?;
    // The sweep's first /accounts/get calls fail, more than the Plaid client's own retries
    // (3) absorb: that check fails and is made again after its claim.
    control
        .add_fault(
            &EndpointFault::error("/accounts/get", ForcedError::InternalServerError)
                .count(FAILURES),
        )
        .await?;
    app.set_verification_status(&verified, VerificationStatus::AutomaticallyVerified)
        .await?;
    app.set_verification_status(&expired, VerificationStatus::VerificationExpired)
        .await?;
    let dropped = poll_until(WAIT, || async {
        let log = control.webhook_log().await.ok()?;
        let dropped: Vec<_> = log
            .into_iter()
            .filter(|a| a.outcome == DeliveryOutcome::Dropped)
            .collect();
        (dropped.len() >= 2).then_some(dropped)
    })
    .await?;
    control
        .set_webhook_faults(&WebhookFaults::default())
        .await?;
    assert!(
        dropped
            .iter()
            .all(|a| a.body.contains("AUTOMATICALLY_VERIFIED")
                || a.body.contains("VERIFICATION_EXPIRED")),
        "{dropped:?}"
    );

    app.wait_for_status(&verified.account_id, pb::AccountStatus::Verified, WAIT)
        .await?;
    app.wait_for_status(&expired.account_id, pb::AccountStatus::Expired, WAIT)
        .await?;
    let js = stack.jetstream().await?;
    for (linked, what) in [(&verified, "verified"), (&expired, "verification_expired")] {
        let events = poll_events(&js, &linked.account_id, what, 1).await?;
        assert_eq!(events.len(), 1, "{what}: one event");
        assert_eq!(events[0].cause, "sweep/reconcile", "{what}");
    }
    let numbers = app
        .client()
        .await?
        .get_auth_numbers(pb::GetAuthNumbersRequest {
            account_id: verified.account_id.clone(),
        })
        .await?
        .into_inner();
    assert!(
        !numbers.account.is_empty() && !numbers.routing.is_empty(),
        "the sweep fetched the numbers"
    );
    // Settled: no more checks scheduled, and the failed check was counted.
    for linked in [&verified, &expired] {
        let row = row(&app, linked).await?;
        assert_eq!(row.reconcile_at, None, "{}", linked.account_id);
    }
    let mut checks = Vec::new();
    for linked in [&verified, &expired] {
        checks.push(row(&app, linked).await?.reconcile_checks);
    }
    assert!(
        checks.iter().sum::<i32>() >= 3,
        "a check failed on the 500s and was made again: {checks:?}"
    );
    let stats = control.stats().await?.endpoint("/accounts/get");
    assert_eq!(stats.errors, u64::from(FAILURES), "{stats:?}");
    // The dropped webhooks arriving late after all (Plaid's last retry) change nothing.
    for late in &dropped {
        crate::support::events::publish_webhook(&js, late.body.as_bytes(), None).await?;
    }
    wait_webhooks_handled(&stack).await?;
    for (linked, what) in [(&verified, "verified"), (&expired, "verification_expired")] {
        let events = events::events_of(&js, &linked.account_id, what).await?;
        assert_eq!(events.len(), 1, "{what}: still one event");
    }
    app.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn accounts_still_pending_are_rechecked_and_replicas_ask_once_each() -> anyhow::Result<()> {
    let stack = start_stack(DbKind::Postgres).await?;
    // Two replicas, and rechecks an hour apart: each pending account is asked about once.
    let first = spawn_on(&stack, fast_sweep(Duration::from_secs(3600))).await?;
    let second = spawn_on(&stack, fast_sweep(Duration::from_secs(3600))).await?;
    stack.control.reset_stats().await?;
    let mut linked = Vec::new();
    for i in 0..12 {
        linked.push(first.link_account(&format!("user-pending-{i}")).await?);
    }
    // The sandbox still says pending for every one: each gets one check and a next one.
    poll_until(WAIT, || async {
        let mut all = true;
        for l in &linked {
            let r = row(&first, l).await.ok()?;
            // Not a claim's end (a second away) but the next check's time: this one is done.
            let later = chrono::Utc::now() + chrono::Duration::minutes(30);
            all &= r.reconcile_checks == 1 && r.reconcile_at.is_some_and(|at| at > later);
        }
        all.then_some(())
    })
    .await?;
    let stats = stack.control.stats().await?;
    assert_eq!(
        stats.endpoint("/accounts/get").calls,
        12 + 12,
        "one /accounts/get per exchange, and one per pending account, whichever replica asked"
    );
    for l in &linked {
        let r = row(&first, l).await?;
        let next = r.reconcile_at.unwrap();
        let wait = next - chrono::Utc::now();
        assert!(
            wait > chrono::Duration::minutes(55),
            "next check an hour after this one: {wait}"
        );
        assert_eq!(
            first.account(&l.account_id).await?.status,
            pb::AccountStatus::Pending as i32
        );
    }
    second.stop().await?;
    first.stop().await
}

/// The account's row.
async fn row(app: &TestApp, linked: &Linked) -> anyhow::Result<account::Model> {
    account::Entity::find()
        .filter(account::Column::AccountId.eq(linked.account_id.as_str()))
        .one(&app.db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no row for {}", linked.account_id))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reconcile_now_makes_every_pending_account_due_at_once() -> anyhow::Result<()> {
    let stack = start_stack(DbKind::Sqlite).await?;
    // Plaid's schedule: the first check is two business days away.
    let app = spawn_on(&stack, |config| {
        config.reconcile.reconcile_interval = Duration::from_millis(200);
    })
    .await?;
    let linked = app.link_account("user-after-an-outage").await?;
    let scheduled = row(&app, &linked).await?.reconcile_at.unwrap();
    assert!(
        scheduled > chrono::Utc::now() + chrono::Duration::hours(24),
        "due at {scheduled}"
    );
    stack
        .control
        .set_webhook_faults(&WebhookFaults::drop_probability(1.0))
        .await?;
    app.set_verification_status(&linked, VerificationStatus::AutomaticallyVerified)
        .await?;
    poll_until(WAIT, || async {
        let attempts = stack
            .control
            .webhook_attempts("AUTOMATICALLY_VERIFIED")
            .await
            .ok()?;
        attempts
            .iter()
            .any(|a| a.outcome == DeliveryOutcome::Dropped)
            .then_some(())
    })
    .await?;
    let cli = penny_verification::cli::Cli::try_parse_from([
        "penny-verification",
        "--database-url",
        stack.db.url(),
        "reconcile-now",
    ])?;
    penny_verification::cli::run(cli).await?;
    app.wait_for_status(&linked.account_id, pb::AccountStatus::Verified, WAIT)
        .await?;
    let js = stack.jetstream().await?;
    let events = poll_events(&js, &linked.account_id, "verified", 1).await?;
    assert_eq!(events[0].cause, "sweep/reconcile");
    app.stop().await
}
