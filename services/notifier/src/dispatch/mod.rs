//! Sending: a local queue of alerts worked by a bounded pool of senders ([`Dispatcher`]),
//! fed by the consumer (alerts due the moment they are created) and by the [`scheduler`]
//! (scheduled alerts, retries, resends, and whatever a crashed replica left behind).
//!
//! The queue is only a hint: the database is the truth, every send starts with a
//! compare-and-set claim, and an id that falls out of the queue (full, process restart) is
//! found again by the scheduler's next sweep.
//!
//! The consumer waits for room before it ingests the next event
//! ([`DispatchHandle::wait_for_room`]): in a burst the backlog stays in the stream and alerts go
//! out in step with the events that ask for them, instead of thousands waiting in the database
//! while the consumer races ahead.
//!
//! Each send is a `notifier.send` span in the trace of the domain event its alert answers
//! ([`trace`]).

pub mod scheduler;
pub mod trace;

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::{Notify, Semaphore, mpsc};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::notifier::Notifier;
use crate::notifier::deliver::Prefetched;

/// An alert to deliver: its id, or (from the consumer) the row and contact its ingest read.
#[derive(Debug)]
enum Job {
    /// Read it first.
    Id(String),
    /// Just created.
    Prefetched(Box<Prefetched>),
}

impl Job {
    fn id(&self) -> &str {
        match self {
            Self::Id(id) => id,
            Self::Prefetched(p) => &p.row.id,
        }
    }
}

/// At most this many queued alerts carry what their ingest read (about 1.1 KiB each with the
/// contact, so about 4.5 MiB); beyond it an alert is queued by id and read again when sent. The
/// queue itself holds 65,536 by default: prefetching them all would cost about 70 MiB in a
/// burst.
pub const MAX_PREFETCHED: usize = 4096;

/// Where alerts are offered. Cheap to clone.
#[derive(Clone, Debug)]
pub struct DispatchHandle {
    tx: mpsc::Sender<Job>,
    queued: Arc<Mutex<HashSet<String>>>,
    prefetched: Arc<AtomicUsize>,
    freed: Arc<Notify>,
    backlog_limit: usize,
}

/// The receiving end, run by [`Dispatcher::run`].
#[derive(Debug)]
pub struct Dispatcher {
    rx: mpsc::Receiver<Job>,
    queued: Arc<Mutex<HashSet<String>>>,
    prefetched: Arc<AtomicUsize>,
    freed: Arc<Notify>,
    concurrency: usize,
}

/// A queue holding up to `capacity` ids, worked by `concurrency` senders; the consumer waits
/// while `backlog` alerts or more are queued or being sent ([`DispatchHandle::wait_for_room`]).
pub fn dispatcher(
    capacity: usize,
    concurrency: usize,
    backlog: usize,
) -> (DispatchHandle, Dispatcher) {
    let (tx, rx) = mpsc::channel(capacity.max(1));
    let queued = Arc::new(Mutex::new(HashSet::new()));
    let prefetched = Arc::new(AtomicUsize::new(0));
    let freed = Arc::new(Notify::new());
    (
        DispatchHandle {
            tx,
            queued: Arc::clone(&queued),
            prefetched: Arc::clone(&prefetched),
            freed: Arc::clone(&freed),
            backlog_limit: backlog.max(1),
        },
        Dispatcher {
            rx,
            queued,
            prefetched,
            freed,
            concurrency: concurrency.max(1),
        },
    )
}

/// What [`DispatchHandle::offer`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Offer {
    /// Queued.
    Queued,
    /// Queued or being sent already.
    AlreadyQueued,
    /// The queue is full (the scheduler will find it later).
    Full,
}

impl DispatchHandle {
    /// Queues alert `id` unless it is queued or being sent already.
    pub fn offer(&self, id: String) -> Offer {
        self.queue(Job::Id(id))
    }

    /// Queues an alert just created, with what its ingest read (see [`Prefetched`]) while
    /// fewer than [`MAX_PREFETCHED`] queued alerts do, by id otherwise.
    pub fn offer_prefetched(&self, prefetched: Prefetched) -> Offer {
        let room = self
            .prefetched
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < MAX_PREFETCHED).then_some(n + 1)
            })
            .is_ok();
        if !room {
            return self.queue(Job::Id(prefetched.row.id));
        }
        let offer = self.queue(Job::Prefetched(Box::new(prefetched)));
        if offer != Offer::Queued {
            self.prefetched.fetch_sub(1, Ordering::AcqRel);
        }
        offer
    }

    fn queue(&self, job: Job) -> Offer {
        {
            let mut queued = self.queued.lock().unwrap_or_else(PoisonError::into_inner);
            if !queued.insert(job.id().to_owned()) {
                return Offer::AlreadyQueued;
            }
        }
        match self.tx.try_send(job) {
            Ok(()) => Offer::Queued,
            Err(mpsc::error::TrySendError::Full(job) | mpsc::error::TrySendError::Closed(job)) => {
                self.queued
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .remove(job.id());
                Offer::Full
            }
        }
    }

    /// Free room in the queue.
    pub fn room(&self) -> usize {
        self.tx.capacity()
    }

    /// Alerts queued or being sent.
    pub fn backlog(&self) -> usize {
        self.queued
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Waits until fewer alerts than the backlog limit are queued or being sent, or `patience`
    /// has passed (a stuck provider must not stop the consumer: what it ingests then waits in
    /// the database for the scheduler). A soft limit: every waiter wakes when a send ends.
    pub async fn wait_for_room(&self, patience: Duration) {
        let deadline = tokio::time::Instant::now() + patience;
        loop {
            let freed = self.freed.notified();
            tokio::pin!(freed);
            // Registered before the check, so a send ending in between still wakes us.
            freed.as_mut().enable();
            if self.backlog() < self.backlog_limit {
                return;
            }
            if tokio::time::timeout_at(deadline, freed).await.is_err() {
                return;
            }
        }
    }
}

impl Dispatcher {
    /// Delivers queued alerts until `shutdown`, then lets the sends in flight finish (each is
    /// bounded by its provider timeout) and returns.
    pub async fn run(mut self, notifier: Notifier, shutdown: CancellationToken) {
        let slots = Arc::new(Semaphore::new(self.concurrency));
        let mut tasks = JoinSet::new();
        loop {
            let job = tokio::select! {
                biased;
                () = shutdown.cancelled() => break,
                job = self.rx.recv() => match job {
                    Some(job) => job,
                    None => break,
                },
            };
            if matches!(job, Job::Prefetched(_)) {
                self.prefetched.fetch_sub(1, Ordering::AcqRel);
            }
            let Ok(slot) = Arc::clone(&slots).acquire_owned().await else {
                break;
            };
            while tasks.try_join_next().is_some() {}
            let (notifier, queued) = (notifier.clone(), Arc::clone(&self.queued));
            let freed = Arc::clone(&self.freed);
            tasks.spawn(async move {
                let id = job.id().to_owned();
                let delivered = match job {
                    Job::Id(id) => notifier.deliver(&id).await,
                    Job::Prefetched(p) => notifier.deliver_prefetched(*p).await,
                };
                if let Err(error) = delivered {
                    tracing::warn!(alert_id = %id, error = %format!("{error:#}"), "delivery failed; the scheduler retries it");
                }
                queued
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .remove(&id);
                drop(slot);
                freed.notify_waiters();
            });
        }
        tracing::info!(in_flight = tasks.len(), "dispatcher stopping");
        while tasks.join_next().await.is_some() {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::alerts::Alert;

    fn just_created(id: usize) -> Prefetched {
        let now = chrono::Utc::now();
        Prefetched {
            row: Alert {
                id: format!("alert-{id}"),
                user_id: "u".into(),
                event_id: format!("event-{id}"),
                event_type: "account.verified".into(),
                kind: "account_verified".into(),
                channel: "email".into(),
                state: "pending".into(),
                due_at: Some(now),
                first_due_at: Some(now),
                attempts: 0,
                resends: 0,
                last_error: None,
                provider_message_id: None,
                facts: None,
                claim_token: None,
                claimed_until: None,
                created_at: now,
                updated_at: now,
                sent_at: None,
                account_id: None,
                traceparent: None,
            },
            contact: None,
            switched_off: Default::default(),
        }
    }

    #[test]
    fn at_most_max_prefetched_queued_alerts_carry_their_reads() {
        let (handle, mut dispatcher) = dispatcher(MAX_PREFETCHED + 10, 1, 1);
        for i in 0..MAX_PREFETCHED + 5 {
            assert_eq!(handle.offer_prefetched(just_created(i)), Offer::Queued);
        }
        // A duplicate is refused and takes no room.
        assert_eq!(
            handle.offer_prefetched(just_created(0)),
            Offer::AlreadyQueued
        );
        let mut carried = 0;
        let mut by_id = 0;
        while let Ok(job) = dispatcher.rx.try_recv() {
            match job {
                Job::Prefetched(_) => carried += 1,
                Job::Id(_) => by_id += 1,
            }
        }
        assert_eq!((carried, by_id), (MAX_PREFETCHED, 5));
    }

    /// Marks alert `id` queued or being sent, as `queue` does.
    fn hold(handle: &DispatchHandle, id: &str) {
        handle
            .queued
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id.to_owned());
    }

    #[tokio::test(start_paused = true)]
    async fn the_consumer_waits_for_room_until_a_send_ends_or_its_patience_runs_out() {
        let (handle, dispatcher) = dispatcher(16, 1, 2);
        let patience = Duration::from_secs(30);
        let start = tokio::time::Instant::now();

        // Below the backlog: no wait.
        hold(&handle, "a");
        handle.wait_for_room(patience).await;
        assert_eq!(start.elapsed(), Duration::ZERO);

        // At the backlog and nothing ends: it goes on when its patience runs out.
        hold(&handle, "b");
        assert_eq!(handle.backlog(), 2);
        handle.wait_for_room(patience).await;
        assert_eq!(start.elapsed(), patience);

        // A send ending 3 s in lets it go on then.
        let (queued, freed) = (
            Arc::clone(&dispatcher.queued),
            Arc::clone(&dispatcher.freed),
        );
        let ender = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(3)).await;
            queued
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove("a");
            freed.notify_waiters();
        });
        let waited_from = tokio::time::Instant::now();
        handle.wait_for_room(patience).await;
        assert_eq!(waited_from.elapsed(), Duration::from_secs(3));
        assert_eq!(handle.backlog(), 1);
        ender.await.unwrap();
    }
}
