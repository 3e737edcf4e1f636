//! Integration tests of penny-ingress against a real nats-server and the real sandbox.

mod binary;
mod corpus;
mod delivery;
mod helpers;
mod keys;
mod logs;
mod ops;
mod outage;
mod signals;
