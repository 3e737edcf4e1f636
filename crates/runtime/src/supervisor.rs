//! [`Supervisor`]: the named tasks of one service, run until the shutdown token is cancelled or
//! one of them fails, then drained under a grace period.
//!
//! Every service runs the same handful of long-lived tasks (gRPC server, consumer, outbox relay,
//! admin server, ...). The rule is the same everywhere:
//!
//! - a task that returns `Ok` or `Err`, or panics, ends the service: the token is cancelled so
//!   every other task starts draining (a consumer without its relay is worse than a restart);
//! - after cancellation, the tasks get `grace` to finish their in-flight work;
//! - whatever is still running then is aborted;
//! - the service's result is the first failure, if any.

use std::future::Future;
use std::time::Duration;

use tokio::task::{JoinError, JoinSet};
use tokio_util::sync::CancellationToken;

/// The named tasks of a service and the token that stops them.
#[derive(Debug)]
pub struct Supervisor {
    shutdown: CancellationToken,
    grace: Duration,
    tasks: JoinSet<(&'static str, anyhow::Result<()>)>,
}

impl Supervisor {
    /// A supervisor whose tasks stop when `shutdown` is cancelled and get `grace` to drain.
    pub fn new(shutdown: CancellationToken, grace: Duration) -> Self {
        Self {
            shutdown,
            grace,
            tasks: JoinSet::new(),
        }
    }

    /// The token every task should watch (a clone of the one given to [`Supervisor::new`]).
    pub fn token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// Starts `task` under `name`. It should return once the token is cancelled and its
    /// in-flight work is done; it returns `()` (a loop that cannot fail) or `anyhow::Result<()>`.
    pub fn spawn<F>(&mut self, name: &'static str, task: F)
    where
        F: Future + Send + 'static,
        F::Output: TaskOutput,
    {
        self.tasks
            .spawn(async move { (name, task.await.into_result()) });
    }

    /// Runs until the token is cancelled or a task ends, then cancels the token, waits up to the
    /// grace period for every task and aborts the rest. Returns the first failure.
    pub async fn run(mut self) -> anyhow::Result<()> {
        let mut result = Ok(());
        // Biased: when shutdown and a task's end are ready together, the task ended because of
        // the shutdown, not before it.
        tokio::select! {
            biased;
            () = self.shutdown.cancelled() => {}
            Some(joined) = self.tasks.join_next() => {
                result = task_result(joined, self.shutdown.is_cancelled());
                self.shutdown.cancel();
            }
        }
        tracing::info!(grace = ?self.grace, tasks = self.tasks.len(), "shutting down");
        let drain = async {
            while let Some(joined) = self.tasks.join_next().await {
                if let Err(e) = task_result(joined, true)
                    && result.is_ok()
                {
                    result = Err(e);
                }
            }
        };
        if tokio::time::timeout(self.grace, drain).await.is_err() {
            tracing::warn!(
                still_running = self.tasks.len(),
                "shutdown grace period over; abandoning in-flight work"
            );
            self.tasks.abort_all();
            while self.tasks.join_next().await.is_some() {}
        }
        result
    }
}

/// What a supervised task returns: `()` or `anyhow::Result<()>`.
pub trait TaskOutput: Send + 'static {
    /// As a result.
    fn into_result(self) -> anyhow::Result<()>;
}

impl TaskOutput for () {
    fn into_result(self) -> anyhow::Result<()> {
        Ok(())
    }
}

impl TaskOutput for anyhow::Result<()> {
    fn into_result(self) -> anyhow::Result<()> {
        self
    }
}

/// The one rule for a finished task: `Ok` is fine while stopping and an unexpected end
/// otherwise; an error or a panic is a failure.
fn task_result(
    joined: Result<(&'static str, anyhow::Result<()>), JoinError>,
    stopping: bool,
) -> anyhow::Result<()> {
    match joined {
        Ok((name, Ok(()))) if stopping => {
            tracing::info!(task = name, "task finished");
            Ok(())
        }
        Ok((name, Ok(()))) => {
            tracing::warn!(
                task = name,
                "task ended before shutdown; stopping the service"
            );
            Ok(())
        }
        Ok((name, Err(e))) => {
            tracing::error!(task = name, error = %format!("{e:#}"), "task failed");
            Err(e.context(format!("task {name}")))
        }
        Err(e) => Err(anyhow::Error::new(e).context("a task panicked")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn cancellation_drains_every_task() {
        let token = CancellationToken::new();
        let mut tasks = Supervisor::new(token.clone(), Duration::from_secs(5));
        for name in ["a", "b"] {
            let t = token.clone();
            tasks.spawn(name, async move {
                t.cancelled().await;
                Ok(())
            });
        }
        token.cancel();
        tasks.run().await.unwrap();
    }

    #[tokio::test]
    async fn a_failing_task_stops_the_others_and_is_the_result() {
        let token = CancellationToken::new();
        let mut tasks = Supervisor::new(token.clone(), Duration::from_secs(5));
        let t = token.clone();
        tasks.spawn("waits", async move {
            t.cancelled().await;
            Ok(())
        });
        tasks.spawn("fails", async { anyhow::bail!("boom") });
        let err = tasks.run().await.unwrap_err();
        assert!(format!("{err:#}").contains("task fails: boom"), "{err:#}");
        assert!(token.is_cancelled());
    }

    #[tokio::test]
    async fn a_panic_is_a_failure() {
        let token = CancellationToken::new();
        let mut tasks = Supervisor::new(token.clone(), Duration::from_secs(5));
        fn boom() {
            panic!("oops")
        }
        tasks.spawn("panics", async { boom() });
        assert!(tasks.run().await.is_err());
    }

    #[tokio::test(start_paused = true)]
    async fn a_task_that_ignores_shutdown_is_aborted_after_the_grace() {
        let token = CancellationToken::new();
        let mut tasks = Supervisor::new(token.clone(), Duration::from_secs(3));
        tasks.spawn("stubborn", async {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            Ok(())
        });
        token.cancel();
        let started = tokio::time::Instant::now();
        tasks.run().await.unwrap();
        assert!(started.elapsed() < Duration::from_secs(10));
    }
}
