//! Same-Day Micro-deposits through the public gRPC API, the real sandbox and the real ingress:
//! link with typed numbers, pending manual verification with the deposit's availability, an
//! update-mode token to confirm the code, then `RefreshAccount` (as the app calls after Link's
//! `onSuccess`); three wrong codes; and the SMS verification webhook both ways, duplicated and
//! reordered against a refresh.

use std::time::Duration;

use penny_plaid::{BankTransferEventType, SandboxBankTransferSimulateRequest};
use penny_proto::v1 as pb;
use penny_testkit::{DeliveryOutcome, LinkCompletion, WebhookFaults, poll_until};
use tonic::Code;

use crate::support::events::{events_of, publish_webhook};
use crate::support::{
    DbKind, TestApp, delivery_outcomes, for_each_db, poll_events, spawn_app, wait_webhooks_handled,
};

const WAIT: Duration = Duration::from_secs(20);
const SANDBOX_CODE: &str = "ABC";

/// Opens Link in update mode for the account (through penny) and enters `code`.
async fn enter_code(app: &TestApp, account_id: &str, code: &str) -> anyhow::Result<()> {
    let update = app.update_link_token(account_id).await?;
    assert_eq!(update.reason, pb::UpdateReason::ConfirmDeposit as i32);
    app.stack
        .control
        .complete_link_with(&LinkCompletion::confirm_code(&update.link_token, code))
        .await
        .map(drop)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn same_day_account_is_confirmed_in_update_mode_then_verified_with_numbers()
-> anyhow::Result<()> {
    for_each_db(confirmed_on).await
}

async fn confirmed_on(kind: DbKind) -> anyhow::Result<()> {
    let app = spawn_app(kind).await?;
    let linked = app
        .link_account_with("user-same-day", pb::LinkFlow::SameDay)
        .await?;
    let pending = app.account(&linked.account_id).await?;
    assert_eq!(
        (pending.status, pending.flow),
        (
            pb::AccountStatus::Pending as i32,
            pb::VerificationFlow::SameDay as i32
        )
    );
    assert_eq!(
        pending.plaid_verification_status,
        "pending_manual_verification"
    );
    let linked_at = pending.status_changed_at.expect("changed at");
    let available = pending
        .expected_earliest
        .expect("the deposit's availability is shown");
    assert!(
        available.seconds > linked_at.seconds
            && available.seconds - linked_at.seconds <= 5 * 24 * 3600,
        "available on the next banking day's morning: {available:?} vs {linked_at:?}"
    );
    assert_eq!(
        (pending.expected_latest, pending.expires_at),
        (None, None),
        "a Same-Day deposit has no time limit"
    );
    let js = app.stack.jetstream().await?;
    let link_events = poll_events(&js, &linked.account_id, "linked", 1).await?;
    assert_eq!(link_events[0].flow, pb::VerificationFlow::SameDay as i32);
    assert_eq!(link_events[0].user_id, "user-same-day");

    // The deposit posts (Plaid's sandbox never posts it by itself).
    let sync = app
        .stack
        .plaid
        .bank_transfer_event_sync(0, Some(25))
        .await?;
    let deposit = sync
        .bank_transfer_events
        .iter()
        .find(|e| e.account_id == linked.account_id)
        .expect("the exchange recorded the deposit");
    app.stack
        .plaid
        .sandbox_bank_transfer_simulate(&SandboxBankTransferSimulateRequest {
            bank_transfer_id: deposit.bank_transfer_id.clone(),
            event_type: BankTransferEventType::Posted,
            failure_reason: None,
        })
        .await?;

    // A wrong code first (it counts, nothing changes), then the right one.
    let wrong = enter_code(&app, &linked.account_id, "XYZ").await;
    assert!(
        wrong
            .as_ref()
            .is_err_and(|e| e.to_string().contains("INCORRECT_DEPOSIT_VERIFICATION")),
        "{wrong:?}"
    );
    assert_eq!(
        app.refresh(&linked.account_id).await?.status,
        pb::AccountStatus::Pending as i32
    );
    enter_code(&app, &linked.account_id, SANDBOX_CODE).await?;
    let verified = app.refresh(&linked.account_id).await?;
    assert_eq!(verified.status, pb::AccountStatus::Verified as i32);
    assert_eq!(verified.plaid_verification_status, "manually_verified");
    let numbers = app
        .client()
        .await?
        .get_auth_numbers(pb::GetAuthNumbersRequest {
            account_id: linked.account_id.clone(),
        })
        .await?
        .into_inner();
    assert_eq!(
        (numbers.routing.as_str(), numbers.account.as_str()),
        ("110000000", "1111222233330000")
    );
    // A second refresh changes nothing: one verified event.
    app.refresh(&linked.account_id).await?;
    let events = poll_events(&js, &linked.account_id, "verified", 1).await?;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].flow, pb::VerificationFlow::SameDay as i32);
    assert_eq!(events[0].cause, "api/RefreshAccount");
    // Nothing left to confirm.
    let done = app
        .update_link_token(&linked.account_id)
        .await
        .expect_err("verified and healthy");
    assert_eq!(done.code(), Code::FailedPrecondition);
    app.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_wrong_codes_fail_the_account_and_ask_for_a_new_link() -> anyhow::Result<()> {
    for_each_db(three_wrong_codes_on).await
}

async fn three_wrong_codes_on(kind: DbKind) -> anyhow::Result<()> {
    let app = spawn_app(kind).await?;
    let linked = app
        .link_account_with("user-wrong-codes", pb::LinkFlow::SameDay)
        .await?;
    for _ in 0..3 {
        assert!(enter_code(&app, &linked.account_id, "NOPE").await.is_err());
    }
    let failed = app.refresh(&linked.account_id).await?;
    assert_eq!(failed.status, pb::AccountStatus::NeedsRelink as i32);
    assert_eq!(failed.plaid_verification_status, "verification_failed");
    let js = app.stack.jetstream().await?;
    let events = poll_events(&js, &linked.account_id, "verification_failed", 1).await?;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].flow, pb::VerificationFlow::SameDay as i32);

    let refused = app
        .update_link_token(&linked.account_id)
        .await
        .expect_err("a locked Item cannot be updated");
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert!(refused.message().contains("link again"), "{refused:?}");
    let numbers = app
        .client()
        .await?
        .get_auth_numbers(pb::GetAuthNumbersRequest {
            account_id: linked.account_id.clone(),
        })
        .await
        .expect_err("no numbers for a failed account");
    assert_eq!(numbers.code(), Code::FailedPrecondition);
    app.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sms_verification_webhooks_settle_once_duplicated_or_behind_a_refresh() -> anyhow::Result<()>
{
    for_each_db(sms_on).await
}

async fn sms_on(kind: DbKind) -> anyhow::Result<()> {
    let app = spawn_app(kind).await?;
    let js = app.stack.jetstream().await?;
    let verified = app
        .link_account_with("user-sms", pb::LinkFlow::SameDay)
        .await?;
    let failed = app
        .link_account_with("user-sms", pb::LinkFlow::SameDay)
        .await?;

    // MANUALLY_VERIFIED through ingress: verified with numbers, with no call from the app.
    app.stack
        .control
        .sms_verification(&verified.account_id, "MANUALLY_VERIFIED")
        .await?;
    app.wait_for_status(&verified.account_id, pb::AccountStatus::Verified, WAIT)
        .await?;
    let log = app
        .stack
        .control
        .webhook_attempts("SMS_MICRODEPOSITS_VERIFICATION")
        .await?;
    let body = log.first().expect("the webhook was sent").body.clone();
    // Plaid sends it again (same body): nothing happens twice.
    publish_webhook(&js, body.as_bytes(), None).await?;
    wait_webhooks_handled(&app.stack).await?;
    assert_eq!(
        events_of(&js, &verified.account_id, "verified")
            .await?
            .len(),
        1
    );

    // VERIFICATION_FAILED is lost; the app's refresh settles it; the webhook then arrives late.
    app.stack
        .control
        .set_webhook_faults(&WebhookFaults::drop_next(1))
        .await?;
    app.stack
        .control
        .sms_verification(&failed.account_id, "VERIFICATION_FAILED")
        .await?;
    poll_until(WAIT, || async {
        let outcomes = delivery_outcomes(&app.stack, "SMS_MICRODEPOSITS_VERIFICATION")
            .await
            .ok()?;
        outcomes.contains(&DeliveryOutcome::Dropped).then_some(())
    })
    .await?;
    let refreshed = app.refresh(&failed.account_id).await?;
    assert_eq!(refreshed.status, pb::AccountStatus::NeedsRelink as i32);
    let late = app
        .stack
        .control
        .webhook_attempts("SMS_MICRODEPOSITS_VERIFICATION")
        .await?
        .into_iter()
        .find(|a| a.body.contains(&failed.account_id))
        .expect("the dropped attempt is logged")
        .body;
    publish_webhook(&js, late.as_bytes(), None).await?;
    wait_webhooks_handled(&app.stack).await?;
    assert_eq!(
        app.account(&failed.account_id).await?.status,
        pb::AccountStatus::NeedsRelink as i32
    );
    let failures = poll_events(&js, &failed.account_id, "verification_failed", 1).await?;
    assert_eq!(failures.len(), 1, "one failure, whichever came first");
    assert_eq!(failures[0].cause, "api/RefreshAccount");
    app.stop().await
}
