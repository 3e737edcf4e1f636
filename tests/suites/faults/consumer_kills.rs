//! kill -9 of each consumer service at random points under load, each time restarted with the
//! same database and settings: verification while the burst drains (webhooks in flight between
//! `/auth/get`, the commit and the ack come back after the ack wait and are applied once), the
//! notifier while it sends (an alert claimed or sent but not recorded is resent with the same
//! Message-ID / `webhook-id`, so a receiver that deduplicates gets one), and transfer-events
//! while the bank posts every member's deposit in rounds, each poking
//! `BANK_TRANSFERS_EVENTS_UPDATE` (a sync cut short resumes from its stored cursor: each
//! deposit event once).

use std::time::Duration;

use penny_testkit::Advance;

use super::harness::{Case, FaultEnd, deposits};

/// Members in the short burst.
const N: usize = 100;
/// The bank posts and returns the deposits in this many rounds.
const ROUNDS: usize = 10;
/// Between rounds.
const ROUND_GAP: Duration = Duration::from_millis(300);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verification_killed_under_load_loses_and_doubles_nothing() -> anyhow::Result<()> {
    kill_under_load("kill_verification", "penny-verification").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notifier_killed_under_load_loses_and_doubles_nothing() -> anyhow::Result<()> {
    kill_under_load("kill_notifier", "penny-notifier").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfer_events_killed_while_deposits_move_loses_and_doubles_nothing() -> anyhow::Result<()>
{
    let service = "penny-transfer-events";
    let mut case = Case::start("kill_transfer_events", N, |_| {}).await?;
    let accounts: Vec<String> = case
        .cohort
        .members
        .iter()
        .map(|m| m.account_id.clone())
        .collect();
    let bank = case.stack.sandbox();
    let round = accounts.len().div_ceil(ROUNDS);
    case.begin();
    let posting = tokio::spawn(async move {
        for chunk in accounts.chunks(round) {
            let mut post = Advance::to("posted").accounts(chunk.iter().cloned());
            post.poke = Some(true);
            bank.advance_transfers(&post).await?;
            let mut reverse = Advance::to("reversed")
                .accounts(chunk.iter().cloned())
                .return_code("R03");
            reverse.poke = Some(true);
            bank.advance_transfers(&reverse).await?;
            tokio::time::sleep(ROUND_GAP).await;
        }
        anyhow::Ok(())
    });
    let (points, end) = kill_and_restart(&mut case, service).await?;
    posting.await??;
    let fault = describe(service, &points, case.size.n);
    let tally = deposits::settle(
        &case.stack,
        &case.clients,
        &case.cohort,
        case.size.settle_deadline(),
    )
    .await?;
    case.report(fault, end, "BANK_TRANSFERS_EVENTS_UPDATE", tally)
        .await?;
    case.stop().await
}

/// Kills `service` (a LocalStack name) `size.faults` times during the drain, each at a random
/// moment, down for a random while, then restarted.
async fn kill_under_load(name: &'static str, service: &str) -> anyhow::Result<()> {
    let mut case = Case::start(name, N, |o| {
        // A send cut short is `unknown` once its claim expires, and resent (same Message-ID /
        // webhook-id) after the reconcile delay: locally seconds (production: 2 min and 1 min).
        for (key, value) in [
            ("PENNY_NOTIFIER_CLAIM_TTL", "5s"),
            ("PENNY_NOTIFIER_RECONCILE_AFTER", "2s"),
        ] {
            o.env.push(("penny-notifier", key, value.to_owned()));
        }
    })
    .await?;
    case.trigger().await?;
    let (points, end) = kill_and_restart(&mut case, service).await?;
    let fault = describe(service, &points, case.size.n);
    case.finish(fault, end).await?;
    case.stop().await
}

/// Kills `service` `size.faults` times, each at a random moment, down for a random while, then
/// restarted; returns when each kill struck (seconds since the load began, pushes received by
/// then) and when the last restart was ready. The first must strike before the load is done.
async fn kill_and_restart(
    case: &mut Case,
    service: &str,
) -> anyhow::Result<(Vec<(f64, usize)>, FaultEnd)> {
    // A full burst drains for longer: spread the kills over it.
    let gap = if case.size.full {
        Duration::from_secs(3)
    } else {
        Duration::from_millis(800)
    };
    let mut points = Vec::new();
    let mut end = FaultEnd::now();
    for _ in 0..case.size.faults {
        case.pause(Duration::ZERO, gap).await;
        let (t, pushed) = (case.t(), case.pushes());
        case.stack.kill(service).await?;
        case.pause(Duration::from_millis(100), Duration::from_secs(1))
            .await;
        case.stack.restart(service).await?;
        end = FaultEnd::now();
        points.push((t, pushed));
    }
    anyhow::ensure!(
        points
            .first()
            .is_some_and(|(_, pushed)| *pushed < case.size.n),
        "the first kill came after the load was done: {points:?}"
    );
    Ok((points, end))
}

/// `kill -9 <service> ×k at 0.5 s (8/100), …`.
fn describe(service: &str, points: &[(f64, usize)], n: usize) -> String {
    let at: Vec<String> = points
        .iter()
        .map(|(t, pushed)| format!("{t:.1} s ({pushed}/{n})"))
        .collect();
    format!("kill -9 {service} ×{} at {}", points.len(), at.join(", "))
}
