//! Per-key async locks (one per Item): changes to one Item are applied one at a time within a
//! replica, in arrival order, so a duplicate waits for the first copy and is then recognised
//! without calling Plaid, and a stale webhook is judged against the committed result of the
//! one before it. Across replicas the database transaction (Item row lock, version check and
//! the processed-webhook key) keeps the outcome right; these locks save the duplicate work.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

/// Entries kept before unused ones are swept.
const SWEEP_AT: usize = 1024;

/// A set of named async mutexes, created on demand and dropped when unused.
#[derive(Debug, Default)]
pub struct KeyedLocks {
    map: Mutex<HashMap<String, Weak<AsyncMutex<()>>>>,
}

impl KeyedLocks {
    /// Waits for and takes the lock named `key`.
    pub async fn lock(&self, key: &str) -> OwnedMutexGuard<()> {
        let mutex = {
            let mut map = self
                .map
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if map.len() >= SWEEP_AT {
                map.retain(|_, weak| weak.strong_count() > 0);
            }
            match map.get(key).and_then(Weak::upgrade) {
                Some(mutex) => mutex,
                None => {
                    let mutex = Arc::new(AsyncMutex::new(()));
                    map.insert(key.to_owned(), Arc::downgrade(&mutex));
                    mutex
                }
            }
        };
        mutex.lock_owned().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn same_key_waits_other_keys_do_not() {
        let locks = Arc::new(KeyedLocks::default());
        let held = locks.lock("item-1").await;
        let other = tokio::time::timeout(Duration::from_millis(100), locks.lock("item-2")).await;
        assert!(other.is_ok(), "another key is free");
        let same = tokio::time::timeout(Duration::from_millis(100), locks.lock("item-1")).await;
        assert!(same.is_err(), "the same key waits");
        drop(held);
        let again = tokio::time::timeout(Duration::from_millis(100), locks.lock("item-1")).await;
        assert!(again.is_ok());
    }
}
