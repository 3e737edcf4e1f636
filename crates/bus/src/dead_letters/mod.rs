//! The dead-letter stream: parking, listing and redriving messages.
//!
//! A parked message is the original payload and headers (minus `Nats-…` control headers)
//! published on `penny.dlq.<consumer>.<original subject>` with `Penny-Dead-…` headers saying why, from
//! where and when. Redrive republishes it on the original subject, where **every** consumer of
//! that subject sees it again (handlers are idempotent, so those that had succeeded ack it).

mod letter;

use std::{fmt, time::Duration};

use async_nats::jetstream::{self, stream::RawMessageErrorKind};
use chrono::{SecondsFormat, Utc};

use letter::to_dead_letter;
pub use letter::{DeadLetter, DeadLetterError};

use crate::{
    Delivery, PublishError, PublishOutcome,
    headers::{
        DEAD_HEADER_PREFIX, HDR_DEAD_AT, HDR_DEAD_CONSUMER, HDR_DEAD_DELIVERIES,
        HDR_DEAD_ORIGINAL_STREAM, HDR_DEAD_ORIGINAL_SUBJECT, HDR_DEAD_REASON, HDR_DEAD_STREAM_SEQ,
        filter_headers, header_safe, is_nats_control_header,
    },
    publish_durable,
    streams::DEAD_LETTERS,
    subjects::{DLQ_SUBJECT_PREFIX, dlq_consumer_filter, dlq_subject},
};

/// Longest reason stored in a header.
const MAX_REASON_BYTES: usize = 1024;

/// Access to the `DEAD_LETTERS` stream. Cheap to clone.
#[derive(Clone)]
pub struct DeadLetters {
    js: jetstream::Context,
    stream: String,
    ack_timeout: Duration,
}

impl fmt::Debug for DeadLetters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeadLetters")
            .field("stream", &self.stream)
            .field("ack_timeout", &self.ack_timeout)
            .finish_non_exhaustive()
    }
}

impl DeadLetters {
    /// Dead letters in [`DEAD_LETTERS`], with a 5 s PubAck timeout.
    pub fn new(js: jetstream::Context) -> Self {
        Self {
            js,
            stream: DEAD_LETTERS.to_owned(),
            ack_timeout: Duration::from_secs(5),
        }
    }

    /// The JetStream context the dead letters live in.
    pub fn context(&self) -> &jetstream::Context {
        &self.js
    }

    /// The same, waiting up to `ack_timeout` for PubAcks.
    pub fn with_ack_timeout(mut self, ack_timeout: Duration) -> Self {
        self.ack_timeout = ack_timeout;
        self
    }

    /// Copies `delivery` into the dead-letter stream with `reason`. The msg id
    /// `dlq-<stream>-<consumer>-<seq>` makes parking the same delivery twice store one copy.
    pub async fn park(
        &self,
        delivery: &Delivery,
        consumer: &str,
        reason: &str,
    ) -> Result<PublishOutcome, PublishError> {
        let mut headers = filter_headers(delivery.headers(), |name| {
            is_nats_control_header(name) || name.starts_with(DEAD_HEADER_PREFIX)
        });
        headers.insert(
            HDR_DEAD_REASON,
            header_safe(reason, MAX_REASON_BYTES).as_str(),
        );
        headers.insert(HDR_DEAD_ORIGINAL_SUBJECT, delivery.subject());
        headers.insert(HDR_DEAD_ORIGINAL_STREAM, delivery.stream());
        headers.insert(HDR_DEAD_CONSUMER, consumer);
        headers.insert(
            HDR_DEAD_DELIVERIES,
            delivery.delivered().to_string().as_str(),
        );
        headers.insert(
            HDR_DEAD_STREAM_SEQ,
            delivery.stream_sequence().to_string().as_str(),
        );
        headers.insert(
            HDR_DEAD_AT,
            Utc::now()
                .to_rfc3339_opts(SecondsFormat::Millis, true)
                .as_str(),
        );
        let msg_id = format!(
            "dlq-{}-{}-{}",
            delivery.stream(),
            consumer,
            delivery.stream_sequence()
        );
        publish_durable(
            &self.js,
            &dlq_subject(consumer, delivery.subject()),
            headers,
            delivery.payload().clone(),
            Some(&msg_id),
            self.ack_timeout,
        )
        .await
    }

    /// Up to `limit` dead letters, oldest first.
    pub async fn list(&self, limit: usize) -> Result<Vec<DeadLetter>, DeadLetterError> {
        self.list_from(1, limit).await
    }

    /// Up to `limit` dead letters with sequence ≥ `from_seq`, oldest first.
    pub async fn list_from(
        &self,
        from_seq: u64,
        limit: usize,
    ) -> Result<Vec<DeadLetter>, DeadLetterError> {
        self.list_matching(&format!("{DLQ_SUBJECT_PREFIX}.>"), from_seq, limit)
            .await
    }

    /// Up to `limit` dead letters parked by `consumer` with sequence ≥ `from_seq`, oldest
    /// first. The server filters by subject, so other consumers' letters are never read.
    pub async fn list_for(
        &self,
        consumer: &str,
        from_seq: u64,
        limit: usize,
    ) -> Result<Vec<DeadLetter>, DeadLetterError> {
        self.list_matching(&dlq_consumer_filter(consumer), from_seq, limit)
            .await
    }

    async fn list_matching(
        &self,
        filter: &str,
        from_seq: u64,
        limit: usize,
    ) -> Result<Vec<DeadLetter>, DeadLetterError> {
        let stream = self.stream_handle().await?;
        let mut out = Vec::new();
        let mut next = from_seq.max(1);
        while out.len() < limit {
            match stream.get_first_raw_message_by_subject(filter, next).await {
                Ok(message) => {
                    next = message.sequence + 1;
                    out.push(to_dead_letter(message)?);
                }
                Err(err) if err.kind() == RawMessageErrorKind::NoMessageFound => break,
                Err(err) => return Err(DeadLetterError::nats("reading dead letters", err)),
            }
        }
        Ok(out)
    }

    /// The dead letter with sequence `seq`.
    pub async fn get(&self, seq: u64) -> Result<DeadLetter, DeadLetterError> {
        let stream = self.stream_handle().await?;
        match stream.get_raw_message(seq).await {
            Ok(message) => to_dead_letter(message),
            Err(err) if err.kind() == RawMessageErrorKind::NoMessageFound => {
                Err(DeadLetterError::NotFound(seq))
            }
            Err(err) => Err(DeadLetterError::nats("reading a dead letter", err)),
        }
    }

    /// Number of dead letters stored.
    pub async fn count(&self) -> Result<u64, DeadLetterError> {
        let mut stream = self
            .js
            .get_stream(&self.stream)
            .await
            .map_err(|err| DeadLetterError::nats("looking up the dead-letter stream", err))?;
        let info = stream
            .info()
            .await
            .map_err(|err| DeadLetterError::nats("reading the dead-letter stream", err))?;
        Ok(info.state.messages)
    }

    /// Number of dead letters `consumer` parked (the server counts by subject).
    pub async fn count_for(&self, consumer: &str) -> Result<u64, DeadLetterError> {
        use futures::TryStreamExt as _;
        let stream = self.stream_handle().await?;
        let counts = stream
            .info_with_subjects(dlq_consumer_filter(consumer))
            .await
            .map_err(|err| DeadLetterError::nats("counting dead letters", err))?;
        let total: usize = counts
            .try_fold(0usize, |sum, (_subject, n)| async move { Ok(sum + n) })
            .await
            .map_err(|err| DeadLetterError::nats("counting dead letters", err))?;
        Ok(u64::try_from(total).unwrap_or(u64::MAX))
    }

    /// Republishes dead letter `seq` on its original subject (original payload and headers,
    /// `Penny-Dead-…` removed, msg id `redrive-<dlq stream>-<seq>` so a repeated redrive
    /// within the duplicate window stores one copy), then deletes it from the dead letters.
    #[tracing::instrument(skip(self))]
    pub async fn redrive(&self, seq: u64) -> Result<PublishOutcome, DeadLetterError> {
        let letter = self.get(seq).await?;
        let headers = filter_headers(&letter.headers, |name| {
            is_nats_control_header(name) || name.starts_with(DEAD_HEADER_PREFIX)
        });
        let msg_id = format!("redrive-{}-{seq}", self.stream);
        let outcome = publish_durable(
            &self.js,
            &letter.original_subject,
            headers,
            letter.payload.clone(),
            Some(&msg_id),
            self.ack_timeout,
        )
        .await
        .map_err(|source| DeadLetterError::Republish { seq, source })?;
        self.discard(seq).await?;
        tracing::info!(
            original_subject = %letter.original_subject,
            new_seq = outcome.stream_seq,
            "redriven"
        );
        Ok(outcome)
    }

    /// Redrives every dead letter present when it starts (ones parked meanwhile are left for
    /// the next call, so a message that fails again cannot loop). Returns how many.
    pub async fn redrive_all(&self) -> Result<usize, DeadLetterError> {
        self.redrive_matching(None).await
    }

    /// [`DeadLetters::redrive_all`] for the letters `consumer` parked only.
    pub async fn redrive_all_for(&self, consumer: &str) -> Result<usize, DeadLetterError> {
        self.redrive_matching(Some(consumer)).await
    }

    async fn redrive_matching(&self, consumer: Option<&str>) -> Result<usize, DeadLetterError> {
        let Some(last) = self.last_seq().await? else {
            return Ok(0);
        };
        let mut done = 0;
        let mut from = 1;
        loop {
            let page = match consumer {
                Some(consumer) => self.list_for(consumer, from, 100).await?,
                None => self.list_from(from, 100).await?,
            };
            let Some(tail) = page.last().map(|l| l.seq) else {
                break;
            };
            for letter in page.iter().filter(|l| l.seq <= last) {
                self.redrive(letter.seq).await?;
                done += 1;
            }
            if tail >= last {
                break;
            }
            from = tail + 1;
        }
        Ok(done)
    }

    /// Deletes dead letter `seq` without redriving it.
    pub async fn discard(&self, seq: u64) -> Result<(), DeadLetterError> {
        let stream = self.stream_handle().await?;
        match stream.delete_message(seq).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(DeadLetterError::NotFound(seq)),
            Err(err) => Err(DeadLetterError::nats("deleting a dead letter", err)),
        }
    }

    async fn last_seq(&self) -> Result<Option<u64>, DeadLetterError> {
        let mut stream = self
            .js
            .get_stream(&self.stream)
            .await
            .map_err(|err| DeadLetterError::nats("looking up the dead-letter stream", err))?;
        let info = stream
            .info()
            .await
            .map_err(|err| DeadLetterError::nats("reading the dead-letter stream", err))?;
        Ok((info.state.messages > 0).then_some(info.state.last_sequence))
    }

    async fn stream_handle(&self) -> Result<jetstream::stream::Stream<()>, DeadLetterError> {
        self.js
            .get_stream_no_info(&self.stream)
            .await
            .map_err(|err| DeadLetterError::nats("looking up the dead-letter stream", err))
    }
}
