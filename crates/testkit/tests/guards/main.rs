//! Tests of the testkit guards themselves, against the real binaries (one test binary).

mod control;
mod nats;
mod postgres;
mod sandbox;
mod sqlite;
mod stack;
mod subscriber;
