//! [`DlqCommand`]: the operator's dead-letter commands for a service's consumers (`list`,
//! `redrive <seq>`, `redrive-all`), so every service binary (and `pennyctl`) offers the same.

use std::io::Write;

use clap::Subcommand;

use super::DeadLetters;

/// Dead-letter actions on one consumer's letters.
#[derive(Subcommand, Debug, Clone, PartialEq, Eq)]
pub enum DlqCommand {
    /// List the messages this consumer parked, oldest first, with the reason.
    List {
        /// Show at most this many.
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
    /// Republish one dead letter (by its DEAD_LETTERS sequence) to its original subject.
    Redrive {
        /// Sequence in DEAD_LETTERS, as `dlq list` shows it.
        seq: u64,
    },
    /// Republish every dead letter this consumer parked.
    RedriveAll,
}

impl DlqCommand {
    /// Runs the action on the letters of `consumers`, writing one line per letter and a
    /// summary to `out` (operator output, not logs).
    pub async fn run(
        &self,
        dead: &DeadLetters,
        consumers: &[&str],
        out: &mut impl Write,
    ) -> anyhow::Result<()> {
        match self {
            Self::List { limit } => {
                let mut letters = Vec::new();
                for consumer in consumers {
                    letters.extend(dead.list_for(consumer, 1, *limit).await?);
                }
                letters.sort_by_key(|l| l.seq);
                letters.truncate(*limit);
                for letter in &letters {
                    writeln!(
                        out,
                        "{seq}\t{at}\t{subject}\tdeliveries={deliveries}\t{reason}",
                        seq = letter.seq,
                        at = letter.at.map(|t| t.to_rfc3339()).unwrap_or_default(),
                        subject = letter.original_subject,
                        deliveries = letter.deliveries,
                        reason = letter.reason,
                    )?;
                }
                writeln!(out, "{} dead letter(s)", letters.len())?;
            }
            Self::Redrive { seq } => {
                let letter = dead.get(*seq).await?;
                anyhow::ensure!(
                    letter
                        .consumer
                        .as_deref()
                        .is_some_and(|c| consumers.contains(&c)),
                    "dead letter {seq} belongs to consumer {:?}, not to {}",
                    letter.consumer,
                    consumers.join(" or ")
                );
                dead.redrive(*seq).await?;
                writeln!(out, "redriven {seq} to {}", letter.original_subject)?;
            }
            Self::RedriveAll => {
                let mut count = 0;
                for consumer in consumers {
                    count += dead.redrive_all_for(consumer).await?;
                }
                writeln!(out, "redriven {count} dead letter(s)")?;
            }
        }
        Ok(())
    }
}
