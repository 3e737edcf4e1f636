//! [`KeyLocks`]: one in-process lock per hot key of a shared budget, so a replica's concurrent
//! callers take turns on it instead of racing each other's compare-and-set. Hundreds of
//! handlers racing on one key made most attempts fail and retry (each a KV read and a write),
//! multiplying the KV traffic under a backlog; with the lock only the replicas race, a few at
//! most, and compare-and-set still keeps them correct.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// The locks, by key; clones share them.
#[derive(Debug, Clone, Default)]
pub(super) struct KeyLocks(Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>);

impl KeyLocks {
    /// The lock of `key` (created on first use; meant for a handful of fixed keys, never one
    /// per Item).
    pub(super) fn of(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(locks.entry(key.to_owned()).or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::KeyLocks;

    #[tokio::test]
    async fn one_lock_per_key_shared_by_clones() {
        let locks = KeyLocks::default();
        let a = locks.of("/auth/get.client");
        let _held = a.lock().await;
        assert!(locks.clone().of("/auth/get.client").try_lock().is_err());
        assert!(locks.of("/auth/get.turns").try_lock().is_ok());
    }
}
