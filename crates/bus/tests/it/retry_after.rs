//! `Outcome::RetryAfter`: a handler-chosen redelivery delay, capped by the policy; a wait, not
//! a failure: it neither advances the backoff nor counts toward `max_deliveries`.

use std::time::Duration;

use penny_bus::{DeadLetters, Outcome, PLAID_WEBHOOKS, RetryPolicy, webhook_subject};
use tokio_util::sync::CancellationToken;

use crate::support::{
    Recorder, consumer, publish_n, setup, spawn, stop, wait_drained, wait_parked,
};

/// The delay the handler asks for: far above what the policy's backoff would pick (≤ 20 ms).
const ASKED: Duration = Duration::from_millis(1200);

#[tokio::test]
async fn retry_after_redelivers_after_exactly_that_delay() {
    let (_server, js) = setup().await;
    publish_n(&js, &webhook_subject("AUTH", "X"), 1).await;
    let handler = Recorder::new(|d| {
        if d.delivered() == 1 {
            Outcome::retry_after(ASKED, "rate-limit budget spent")
        } else {
            Outcome::Ack
        }
    });
    let policy = RetryPolicy {
        base: Duration::from_millis(20),
        cap: Duration::from_secs(10),
        max_deliveries: 5,
    };
    let token = CancellationToken::new();
    let c = consumer(&js, "patient", Duration::from_secs(30)).await;
    let task = spawn(&js, c, handler.clone(), policy, 2, &token);
    let h = handler.clone();
    penny_testkit::poll_until(Duration::from_secs(10), || {
        let n = h.calls().len();
        async move { n >= 2 }
    })
    .await
    .unwrap();
    wait_drained(&js, PLAID_WEBHOOKS, "patient").await;
    stop(token, task).await;

    let calls = handler.calls();
    assert_eq!(
        calls.iter().map(|c| c.delivered).collect::<Vec<_>>(),
        vec![1, 2]
    );
    // The first call was recorded before its Nak was sent, so the server's delay is entirely
    // inside the gap: never earlier than asked, and not much later either.
    let gap = calls[1].at - calls[0].at;
    assert!(gap >= ASKED, "redelivered after {gap:?}, asked {ASKED:?}");
    assert!(
        gap < ASKED + Duration::from_millis(1500),
        "redelivered after {gap:?}"
    );
    assert_eq!(DeadLetters::new(js.clone()).count().await.unwrap(), 0);
}

#[tokio::test]
async fn retry_after_is_capped_by_the_policy_and_parks_only_after_the_total_bound() {
    let (_server, js) = setup().await;
    let subject = webhook_subject("AUTH", "X");
    publish_n(&js, &subject, 1).await;
    // An hour: without the cap the second delivery would never come within the test.
    let handler = Recorder::new(|_| Outcome::retry_after(Duration::from_secs(3600), "budget"));
    let cap = Duration::from_millis(100);
    let policy = RetryPolicy {
        base: Duration::from_millis(10),
        cap,
        max_deliveries: 2,
    };
    let token = CancellationToken::new();
    let c = consumer(&js, "capped", Duration::from_secs(30)).await;
    let task = spawn(&js, c, handler.clone(), policy, 2, &token);
    let letters = wait_parked(&js, Duration::from_secs(20)).await;
    wait_drained(&js, PLAID_WEBHOOKS, "capped").await;
    stop(token, task).await;

    let calls = handler.calls();
    let total = policy.max_total_deliveries();
    assert_eq!(total, 20);
    assert_eq!(
        calls.iter().map(|c| c.delivered).collect::<Vec<_>>(),
        (1..=total).collect::<Vec<_>>(),
        "waits do not count toward max_deliveries (2), only toward the total bound"
    );
    for pair in calls.windows(2) {
        let gap = pair[1].at - pair[0].at;
        assert!(gap >= cap, "redelivered after {gap:?}, before the cap");
        assert!(gap < Duration::from_secs(3), "redelivered after {gap:?}");
    }
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].original_subject, subject);
    assert_eq!(letters[0].deliveries, total);
    assert!(
        letters[0]
            .reason
            .contains("still waiting after 20 deliveries")
            && letters[0].reason.contains("budget"),
        "{}",
        letters[0].reason
    );
}

#[tokio::test]
async fn failures_after_waits_back_off_and_park_by_failures_alone() {
    let (_server, js) = setup().await;
    let subject = webhook_subject("AUTH", "X");
    publish_n(&js, &subject, 1).await;
    // Five waits for a turn, then Plaid keeps failing.
    let handler = Recorder::new(|d| {
        if d.delivered() <= 5 {
            Outcome::retry_after(Duration::from_millis(20), "budget")
        } else {
            Outcome::retry("Plaid 503")
        }
    });
    // The backoff by failures: 50 ms, 100 ms. Counted by deliveries, the first failure
    // (delivery 6) would already be the third and park at once.
    let policy = RetryPolicy {
        base: Duration::from_millis(50),
        cap: Duration::from_secs(10),
        max_deliveries: 3,
    };
    let token = CancellationToken::new();
    let c = consumer(&js, "waits-then-fails", Duration::from_secs(30)).await;
    let task = spawn(&js, c, handler.clone(), policy, 2, &token);
    let letters = wait_parked(&js, Duration::from_secs(20)).await;
    wait_drained(&js, PLAID_WEBHOOKS, "waits-then-fails").await;
    stop(token, task).await;

    let calls = handler.calls();
    assert_eq!(
        calls.iter().map(|c| c.delivered).collect::<Vec<_>>(),
        (1..=8).collect::<Vec<_>>(),
        "five waits, then three failures"
    );
    // After the first failure the delay's ceiling is the base (50 ms), not the sixth
    // delivery's 1.6 s: the waits did not advance the backoff.
    let gap = calls[6].at - calls[5].at;
    assert!(gap < Duration::from_millis(800), "first backoff {gap:?}");
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].deliveries, 8);
    assert!(
        letters[0]
            .reason
            .contains("retries exhausted after 3 failures (8 deliveries): Plaid 503"),
        "{}",
        letters[0].reason
    );
}
