//! Test-only fault injection: abort the process at a chosen point of a send, so crash tests can
//! prove what a crash there does: after the claim (nothing sent; the claim runs out and the
//! alert is resent) or after the provider accepted the message but before the outcome is
//! recorded (the claim runs out, the outcome is `unknown`, and email and push are resent with
//! the same Message-ID / webhook-id).
//!
//! Set with the hidden `--crash-at` flag / `PENNY_NOTIFIER_CRASH_AT`. Never set it in production.

pub use penny_runtime::crash::maybe_crash;

penny_runtime::crash_points! {
    /// Where to abort.
    pub enum CrashPoint {
        /// After the alert was claimed, before the provider is called.
        AfterClaim = "after-claim",
        /// After the provider answered, before the outcome is recorded.
        AfterSend = "after-send",
    }
}
