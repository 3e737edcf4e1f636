//! Test-only fault injection: abort the process at a chosen point of the sync protocol, so crash
//! tests can kill the real binary there and prove that the survivors finish with no gap and no
//! duplicate. The points are declared with the shared [`penny_runtime::crash_points!`].
//!
//! Set with the hidden `--crash-at` flag / `PENNY_TRANSFER_EVENTS_CRASH_AT`. Never set it in
//! production.

pub use penny_runtime::crash::maybe_crash;

penny_runtime::crash_points! {
    /// Where to abort.
    pub enum CrashPoint {
        /// A batch of pokes is recorded as a sync request, and not yet acked.
        AfterPokeRecorded = "after-poke-recorded",
        /// A page (its events, deposits, outbox rows and the advanced cursor) committed, and the
        /// sync is not finished: more pages to fetch, its request not yet served.
        AfterPageCommit = "after-page-commit",
        /// The last page committed and the request is served, and the lease not yet released.
        AfterSyncCommit = "after-sync-commit",
        /// The lease is held and the fence claimed, and nothing fetched: the lease must expire
        /// before another replica can sync.
        HoldingLease = "holding-lease",
    }
}
