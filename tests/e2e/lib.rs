//! End-to-end harness: the whole penny pipeline in one process, on free ports, against a real
//! `nats-server`, a real database and the sandbox over HTTP: verification on the testkit
//! `Stack`. The end-to-end suites and `penny-demo` both start it. [`local`] runs every part as
//! a real process (`just up`, the demo, the burst benchmark and the fault suite); [`burst`]
//! links a cohort, verifies it at once and counts what came out.

pub mod burst;
mod grpc;
pub mod local;
pub mod morning;
mod pipeline;
pub mod process;

pub use grpc::GrpcClient;
pub use pipeline::{Pipeline, PipelineOptions};
