//! pennyctl against a real stack: nats-server, the sandbox, ingress and the verification service
//! in-process, the `pennyctl` binary as an operator runs it. One test binary (link once).

#![allow(clippy::unwrap_used)]

mod services;
mod support;

mod dlq;
mod everything;
mod funnel;
mod keys;
mod replay;
mod streams;
mod timeline;
mod transfers;
