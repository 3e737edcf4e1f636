//! PostgreSQL stopped (`pg_ctl -m immediate`: every connection dropped, as in a crash) for a
//! few seconds at random points of the drain, then resumed on the same port, under two
//! verification replicas. The consumers' transactions fail and their messages come back with
//! a backoff; nothing is parked in `DEAD_LETTERS`, nothing is lost or applied twice.

use std::time::Duration;

use penny_testkit::PgCluster;

use super::harness::{Case, FaultEnd};

/// Members in the short burst.
const N: usize = 100;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_stopped_under_load_loses_and_doubles_nothing() -> anyhow::Result<()> {
    let cluster = tokio::task::spawn_blocking(PgCluster::start).await??;
    let admin = cluster.admin_url();
    let mut case = Case::start("postgres_outage", N, |o| {
        o.postgres = Some(admin);
        o.verification_replicas = 2;
    })
    .await?;
    let n = case.size.n;
    case.trigger().await?;
    let mut outages = Vec::new();
    let mut end = FaultEnd::now();
    for _ in 0..case.size.faults {
        case.pause(Duration::ZERO, Duration::from_millis(800)).await;
        let (t, pushed) = (case.t(), case.pushes());
        tokio::task::block_in_place(|| cluster.stop())?;
        let down = case
            .random
            .between(Duration::from_secs(2), Duration::from_secs(5));
        tokio::time::sleep(down).await;
        tokio::task::block_in_place(|| cluster.resume())?;
        end = FaultEnd::now();
        outages.push(format!(
            "{t:.1} s for {:.1} s ({pushed}/{n})",
            down.as_secs_f64()
        ));
    }
    let fault = format!(
        "PostgreSQL stopped ×{} at {}",
        outages.len(),
        outages.join(", ")
    );
    case.finish(fault, end).await?;
    case.stop().await
}
