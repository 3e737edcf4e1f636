//! `pennyctl dlq <consumer> …`: the shared dead-letter commands of `penny_bus::DlqCommand`.

use std::io::Write;

use async_nats::jetstream;
use penny_bus::{DeadLetters, DlqCommand};

/// Runs `action` on `consumer`'s dead letters.
pub async fn run(
    js: &jetstream::Context,
    consumer: &str,
    action: &DlqCommand,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    action
        .run(&DeadLetters::new(js.clone()), &[consumer], out)
        .await
}
