//! penny's contracts: the gRPC services and the domain-event messages compiled from `proto/`.
//! This crate holds generated code and nothing else.

#![allow(missing_docs, clippy::all)]

/// `penny.v1`: services, accounts and domain events.
pub mod v1 {
    tonic::include_proto!("penny.v1");
}

/// Encoded file descriptor set, for gRPC server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("penny_descriptor");
