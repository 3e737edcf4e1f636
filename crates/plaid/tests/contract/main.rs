//! Contract tests of `penny-plaid` against the real sandbox (`services/sandbox`) over HTTP:
//! every call's success shape, Plaid's error paths, the retry rule (with faults injected through
//! the sandbox's control API and its call counters), and signed webhooks with key rotation.

mod common;
mod endpoints;
mod errors;
mod retries;
mod telemetry;
mod webhooks;
