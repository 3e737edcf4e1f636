//! Sending: a local queue of alert ids worked by a bounded pool of senders ([`Dispatcher`]),
//! fed by the consumer (alerts due the moment they are created) and by the [`scheduler`]
//! (scheduled alerts, retries, resends, and whatever a crashed replica left behind).
//!
//! The queue is only a hint: the database is the truth, every send starts with a
//! compare-and-set claim, and an id that falls out of the queue (full, process restart) is
//! found again by the scheduler's next sweep.
//!
//! Each send is a `notifier.send` span in the trace of the domain event its alert answers
//! ([`trace`]).

pub mod scheduler;
pub mod trace;

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::notifier::Notifier;

/// Where alert ids are offered. Cheap to clone.
#[derive(Clone, Debug)]
pub struct DispatchHandle {
    tx: mpsc::Sender<String>,
    queued: Arc<Mutex<HashSet<String>>>,
}

/// The receiving end, run by [`Dispatcher::run`].
#[derive(Debug)]
pub struct Dispatcher {
    rx: mpsc::Receiver<String>,
    queued: Arc<Mutex<HashSet<String>>>,
    concurrency: usize,
}

/// A queue holding up to `capacity` ids, worked by `concurrency` senders.
pub fn dispatcher(capacity: usize, concurrency: usize) -> (DispatchHandle, Dispatcher) {
    let (tx, rx) = mpsc::channel(capacity.max(1));
    let queued = Arc::new(Mutex::new(HashSet::new()));
    (
        DispatchHandle {
            tx,
            queued: Arc::clone(&queued),
        },
        Dispatcher {
            rx,
            queued,
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
    /// Queues `id` unless it is queued or being sent already.
    pub fn offer(&self, id: String) -> Offer {
        {
            let mut queued = self.queued.lock().unwrap_or_else(PoisonError::into_inner);
            if !queued.insert(id.clone()) {
                return Offer::AlreadyQueued;
            }
        }
        match self.tx.try_send(id) {
            Ok(()) => Offer::Queued,
            Err(mpsc::error::TrySendError::Full(id) | mpsc::error::TrySendError::Closed(id)) => {
                self.queued
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .remove(&id);
                Offer::Full
            }
        }
    }

    /// Free room in the queue.
    pub fn room(&self) -> usize {
        self.tx.capacity()
    }
}

impl Dispatcher {
    /// Delivers queued alerts until `shutdown`, then lets the sends in flight finish (each is
    /// bounded by its provider timeout) and returns.
    pub async fn run(mut self, notifier: Notifier, shutdown: CancellationToken) {
        let slots = Arc::new(Semaphore::new(self.concurrency));
        let mut tasks = JoinSet::new();
        loop {
            let id = tokio::select! {
                biased;
                () = shutdown.cancelled() => break,
                id = self.rx.recv() => match id {
                    Some(id) => id,
                    None => break,
                },
            };
            let Ok(slot) = Arc::clone(&slots).acquire_owned().await else {
                break;
            };
            while tasks.try_join_next().is_some() {}
            let (notifier, queued) = (notifier.clone(), Arc::clone(&self.queued));
            tasks.spawn(async move {
                if let Err(error) = notifier.deliver(&id).await {
                    tracing::warn!(alert_id = %id, error = %format!("{error:#}"), "delivery failed; the scheduler retries it");
                }
                queued
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .remove(&id);
                drop(slot);
            });
        }
        tracing::info!(in_flight = tasks.len(), "dispatcher stopping");
        while tasks.join_next().await.is_some() {}
    }
}
