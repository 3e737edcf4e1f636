//! `kv::LeaseBucket` / `kv::Lease` against a real nats-server: one holder at a time, hand-over on
//! expiry, stale holders refused, fencing tokens increasing, and the run-while-held helper
//! cancelling its work when the lease is lost.

use std::{sync::Arc, time::Duration};

use async_nats::jetstream;
use penny_bus::kv::{Finished, LEASE_BUCKET, Lease, LeaseBucket, LeaseError};
use penny_testkit::{NatsServer, poll_until};
use tokio::{
    sync::{Barrier, oneshot},
    task::JoinHandle,
    time::Instant,
};
use tokio_util::sync::CancellationToken;

use crate::support::context;

const NAME: &str = "transfer-events.sync";
const TTL: Duration = Duration::from_secs(1);

async fn server() -> NatsServer {
    penny_testkit::init();
    NatsServer::start().await.unwrap()
}

/// A bucket on its own client, like one replica.
async fn replica(server: &NatsServer, ttl: Duration) -> LeaseBucket {
    let js = context(server).await;
    LeaseBucket::open(&js, LEASE_BUCKET, ttl, 1).await.unwrap()
}

/// Purges the lease key behind the holder's back, like an operator would.
async fn purge_key(js: &jetstream::Context, name: &str) {
    let store = js.get_key_value(LEASE_BUCKET).await.unwrap();
    store.purge(name).await.unwrap();
}

async fn acquire(bucket: &LeaseBucket, holder: &str) -> Lease {
    bucket
        .try_acquire(NAME, holder)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("{holder} acquires the lease"))
}

#[tokio::test]
async fn of_concurrent_contenders_exactly_one_wins_and_the_rest_fail_fast() {
    let server = server().await;
    const CONTENDERS: usize = 8;
    let mut buckets = Vec::new();
    for _ in 0..CONTENDERS {
        buckets.push(replica(&server, Duration::from_secs(10)).await);
    }
    for round in 0..3 {
        let barrier = Arc::new(Barrier::new(CONTENDERS));
        let mut tasks = Vec::new();
        for (i, bucket) in buckets.iter().enumerate() {
            let (bucket, barrier) = (bucket.clone(), Arc::clone(&barrier));
            tasks.push(tokio::spawn(async move {
                barrier.wait().await;
                let started = Instant::now();
                let got = bucket.try_acquire(NAME, &format!("replica-{i}")).await;
                (got.unwrap(), started.elapsed())
            }));
        }
        let mut winners = Vec::new();
        for task in tasks {
            let (got, took) = task.await.unwrap();
            assert!(took < Duration::from_secs(2), "try_acquire waited {took:?}");
            winners.extend(got);
        }
        assert_eq!(winners.len(), 1, "round {round}: exactly one holder");
        let winner = winners.pop().unwrap();
        let info = buckets[0].holder(NAME).await.unwrap().unwrap();
        assert_eq!(info.holder, winner.holder());
        assert_eq!(info.token, winner.token());
        winner.release().await.unwrap();
    }
}

#[tokio::test]
async fn expiry_hands_the_lease_to_another_contender_after_the_ttl() {
    let server = server().await;
    let a = replica(&server, TTL).await;
    let b = replica(&server, TTL).await;
    let mut stale = acquire(&a, "replica-a").await;
    assert!(b.try_acquire(NAME, "replica-b").await.unwrap().is_none());

    // A stops renewing; B polls until the server has dropped A's key.
    let fresh = poll_until(TTL + Duration::from_secs(3), || async {
        b.try_acquire(NAME, "replica-b").await.unwrap()
    })
    .await
    .unwrap();
    let handed_over_after = stale.proven_at().elapsed();
    assert!(
        handed_over_after >= TTL,
        "handed over {handed_over_after:?} after A's last write, before the TTL"
    );
    assert!(
        !stale.is_live(),
        "A's own deadline passed before the hand-over"
    );
    assert!(fresh.token() > stale.token());
    assert_eq!(b.holder(NAME).await.unwrap().unwrap().holder, "replica-b");

    // The stale holder's renew and release are refused; B keeps the lease.
    let err = stale.renew().await.unwrap_err();
    assert!(err.is_lost(), "{err:?}");
    let err = stale.release().await.unwrap_err();
    assert!(matches!(err, LeaseError::Lost { .. }), "{err:?}");
    assert_eq!(b.holder(NAME).await.unwrap().unwrap().token, fresh.token());
}

#[tokio::test]
async fn a_stale_holder_is_refused_by_the_server_even_before_its_own_deadline() {
    let server = server().await;
    let js = context(&server).await;
    let a = replica(&server, Duration::from_secs(30)).await;
    let b = replica(&server, Duration::from_secs(30)).await;
    let mut stale = acquire(&a, "replica-a").await;
    stale.renew().await.unwrap();

    // The key vanishes behind A's back (an operator purge) and B takes the lease.
    purge_key(&js, NAME).await;
    let mut fresh = acquire(&b, "replica-b").await;
    assert!(stale.is_live(), "A's own deadline has not passed");
    assert!(fresh.token() > stale.token());

    let err = stale.renew().await.unwrap_err();
    assert!(matches!(err, LeaseError::Lost { .. }), "{err:?}");
    assert!(!stale.is_live(), "a refused renewal ends the lease at once");
    let err = stale.renew().await.unwrap_err();
    assert!(
        matches!(err, LeaseError::Lost { .. }),
        "still lost: {err:?}"
    );
    let err = stale.release().await.unwrap_err();
    assert!(matches!(err, LeaseError::Lost { .. }), "{err:?}");

    fresh.renew().await.unwrap();
    let info = b.holder(NAME).await.unwrap().unwrap();
    assert_eq!(
        (info.holder.as_str(), info.token),
        ("replica-b", fresh.token())
    );
}

#[tokio::test]
async fn renewing_keeps_the_lease_past_the_ttl() {
    let server = server().await;
    let a = replica(&server, TTL).await;
    let b = replica(&server, TTL).await;
    let mut lease = acquire(&a, "replica-a").await;
    let first = a.holder(NAME).await.unwrap().unwrap();
    let until = Instant::now() + TTL * 3;
    while Instant::now() < until {
        tokio::time::sleep(TTL / 4).await;
        lease.renew().await.unwrap();
        assert!(b.try_acquire(NAME, "replica-b").await.unwrap().is_none());
    }
    let last = a.holder(NAME).await.unwrap().unwrap();
    assert_eq!(last.token, lease.token(), "renewals keep the token");
    assert_eq!(last.acquired_at, first.acquired_at);
    assert!(last.renewed_at > first.renewed_at);
    assert!(last.revision > first.revision);
}

#[tokio::test]
async fn release_lets_another_acquire_at_once() {
    let server = server().await;
    let a = replica(&server, Duration::from_secs(30)).await;
    let b = replica(&server, Duration::from_secs(30)).await;
    let lease = acquire(&a, "replica-a").await;
    assert!(b.try_acquire(NAME, "replica-b").await.unwrap().is_none());
    let token = lease.token();
    lease.release().await.unwrap();
    assert!(a.holder(NAME).await.unwrap().is_none());
    let next = acquire(&b, "replica-b").await;
    assert!(next.token() > token);
}

#[tokio::test]
async fn tokens_strictly_increase_across_acquisitions_and_names() {
    let server = server().await;
    let bucket = replica(&server, Duration::from_secs(30)).await;
    let mut last = 0;
    for round in 0..5 {
        for name in ["sync", "scheduler"] {
            let lease = bucket
                .try_acquire(name, "replica-a")
                .await
                .unwrap()
                .unwrap();
            assert!(
                lease.token() > last,
                "round {round} {name}: {} <= {last}",
                lease.token()
            );
            last = lease.token();
            lease.release().await.unwrap();
        }
    }
}

#[tokio::test]
async fn open_checks_its_arguments_and_never_shortens_the_bucket_ttl() {
    let server = server().await;
    let js = context(&server).await;
    let err = LeaseBucket::open(&js, LEASE_BUCKET, Duration::from_millis(500), 1)
        .await
        .unwrap_err();
    assert!(matches!(err, LeaseError::TtlTooShort { .. }), "{err:?}");

    let three = LeaseBucket::open(&js, LEASE_BUCKET, Duration::from_secs(3), 1)
        .await
        .unwrap();
    assert_eq!(three.server_ttl(), Duration::from_secs(3));
    let one = LeaseBucket::open(&js, LEASE_BUCKET, TTL, 1).await.unwrap();
    assert_eq!((one.ttl(), one.server_ttl()), (TTL, Duration::from_secs(3)));
    let five = LeaseBucket::open(&js, LEASE_BUCKET, Duration::from_secs(5), 1)
        .await
        .unwrap();
    assert_eq!(five.server_ttl(), Duration::from_secs(5));
    let kv = js.get_key_value(LEASE_BUCKET).await.unwrap();
    assert_eq!(kv.status().await.unwrap().max_age(), Duration::from_secs(5));

    let err = one.try_acquire("bad name*", "a").await.unwrap_err();
    assert!(matches!(err, LeaseError::InvalidName { .. }), "{err:?}");
}

/// Runs work that only waits for its cancellation under `lease`, in a task; returns once the
/// work has started.
async fn spawn_guarded(lease: Lease, shutdown: CancellationToken) -> JoinHandle<Finished<()>> {
    let (started_tx, started_rx) = oneshot::channel();
    let task = tokio::spawn(async move {
        lease
            .run_while_held(&shutdown, |_token, cancel| async move {
                let _ = started_tx.send(());
                cancel.cancelled().await;
            })
            .await
    });
    started_rx.await.expect("the work starts");
    task
}

#[tokio::test]
async fn run_while_held_renews_then_releases_when_the_work_returns() {
    let server = server().await;
    let a = replica(&server, TTL).await;
    let b = replica(&server, TTL).await;
    let lease = acquire(&a, "replica-a").await;
    let token = lease.token();
    let shutdown = CancellationToken::new();
    let b2 = b.clone();
    let finished = lease
        .run_while_held(&shutdown, |fence, cancel| async move {
            assert_eq!(fence, token);
            // Outlive the TTL three times over: only renewals keep B out.
            let until = Instant::now() + TTL * 3;
            while Instant::now() < until {
                assert!(!cancel.is_cancelled());
                assert!(b2.try_acquire(NAME, "replica-b").await.unwrap().is_none());
                tokio::time::sleep(TTL / 5).await;
            }
            "done"
        })
        .await;
    assert!(
        matches!(finished, Finished::Completed("done")),
        "{finished:?}"
    );
    // Released: B acquires at once.
    acquire(&b, "replica-b").await;
}

#[tokio::test]
async fn run_while_held_cancels_the_work_on_shutdown_and_releases() {
    let server = server().await;
    let a = replica(&server, Duration::from_secs(30)).await;
    let lease = acquire(&a, "replica-a").await;
    let shutdown = CancellationToken::new();
    let task = spawn_guarded(lease, shutdown.clone()).await;
    shutdown.cancel();
    let finished = tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(finished, Finished::Completed(_)), "{finished:?}");
    assert!(a.holder(NAME).await.unwrap().is_none(), "released");
}

#[tokio::test]
async fn run_while_held_cancels_the_work_when_the_key_is_taken_away() {
    let server = server().await;
    let js = context(&server).await;
    let a = replica(&server, TTL).await;
    let lease = acquire(&a, "replica-a").await;
    let task = spawn_guarded(lease, CancellationToken::new()).await;
    purge_key(&js, NAME).await;
    let taken_at = Instant::now();
    let finished = tokio::time::timeout(TTL * 2, task)
        .await
        .expect("the work is cancelled at the next renewal")
        .unwrap();
    let noticed = taken_at.elapsed();
    match finished {
        Finished::Lost { cause, .. } => {
            assert!(matches!(cause, LeaseError::Lost { .. }), "{cause:?}");
        }
        other => panic!("expected a lost lease, got {other:?}"),
    }
    assert!(
        noticed <= TTL / 3 + Duration::from_millis(500),
        "noticed after {noticed:?}"
    );
    // The key stays purged: a lost lease is not released and not re-created.
    assert!(a.holder(NAME).await.unwrap().is_none());
}

#[tokio::test]
async fn run_while_held_cancels_the_work_by_its_deadline_when_nats_freezes() {
    let mut server = server().await;
    let a = replica(&server, TTL).await;
    let lease = acquire(&a, "replica-a").await;
    let task = spawn_guarded(lease, CancellationToken::new()).await;
    // Let a renewal or two happen, then freeze the server: renewals get no answer at all.
    tokio::time::sleep(TTL / 2).await;
    server.freeze().await.unwrap();
    let frozen_at = Instant::now();
    let finished = tokio::time::timeout(TTL * 3, task).await;
    let noticed = frozen_at.elapsed();
    server.thaw().unwrap();
    match finished.expect("the work is cancelled").unwrap() {
        Finished::Lost { cause, .. } => {
            assert!(matches!(cause, LeaseError::Expired { .. }), "{cause:?}");
        }
        other => panic!("expected a lost lease, got {other:?}"),
    }
    // The last renewal was sent before the freeze, so the local deadline (ttl - margin after
    // it) comes before the server could hand the lease to anyone else.
    assert!(noticed < TTL, "cancelled {noticed:?} after the freeze");
}

#[tokio::test]
async fn run_while_held_cancels_the_work_when_nats_is_down() {
    let mut server = server().await;
    let a = replica(&server, TTL).await;
    let lease = acquire(&a, "replica-a").await;
    let task = spawn_guarded(lease, CancellationToken::new()).await;
    server.stop().unwrap();
    let stopped_at = Instant::now();
    let finished = tokio::time::timeout(TTL * 3, task)
        .await
        .expect("the work is cancelled")
        .unwrap();
    assert!(finished.is_lost(), "{finished:?}");
    let noticed = stopped_at.elapsed();
    assert!(
        noticed < TTL,
        "cancelled {noticed:?} after the outage began"
    );
}
