//! The fault suite: the whole pipeline as real processes (nats-server, the sandbox, ingress,
//! verification, transfer-events, the notifier, SMTP and push receivers) drains a burst of
//! `AUTH / AUTOMATICALLY_VERIFIED` webhooks (or, for transfer-events, every member's deposit
//! posted and returned) while one fault strikes it: a consumer killed with SIGKILL and
//! restarted, nats-server killed and restarted, PostgreSQL stopped and resumed, the Plaid API
//! failing or slow, webhooks duplicated, reordered, dropped (settled by verification's
//! reconciliation sweep) or signed with a rotated key, the webhooks stream full.
//! Every case ends with nothing lost, doubled or parked, and prints one line of figures.
//!
//! Short by default (a burst of about a hundred, two faults), so `just test` runs it; full with
//! `PENNY_FAULTS_FULL=1` (`just test-faults`: thousands of webhooks, twenty faults each), which
//! also writes each case's figures to `bench/results/faults/<case>.json`. Random points come
//! from a seed printed by each case; `PENNY_FAULTS_SEED` replays one.

mod harness;

mod consumer_kills;
mod lost_webhooks;
mod nats_outage;
mod plaid_faults;
mod postgres_outage;
mod stream_full;
mod webhook_faults;
