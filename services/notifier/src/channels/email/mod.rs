//! Email over SMTP (lettre's connection, driven step by step so the notifier knows exactly how
//! far a message got):
//!
//! - any failure before the message is written (connect, TLS, AUTH, `MAIL`, `RCPT`, `DATA`) →
//!   nothing was delivered: a 5xx is a rejection ("mailbox rejected (550)"), the rest transient;
//! - after the final dot: `250` → sent; a 4xx or 5xx → not taken (transient or rejected);
//!   a timeout or a dropped connection → **ambiguous**: the server may have queued it. The
//!   resend after reconciliation carries the same `Message-ID`.

pub mod implicit_tls;
pub mod message;
pub mod pool;

use std::future::Future;

use futures::future::BoxFuture;
use lettre::message::Mailbox;
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::{Extension, MailBodyParameter, MailParameter};

use super::{Outgoing, SendOutcome, Transport};
use crate::domain::Channel;
pub use pool::{Pool, Security, SmtpSettings, check_tls};

/// The email channel.
#[derive(Debug)]
pub struct EmailTransport {
    pool: Pool,
    from: Mailbox,
    domain: String,
}

impl EmailTransport {
    /// Sends from `from` through a pool of connections; Message-IDs are `<alert-<id>@<domain>>`
    /// with the From address's domain.
    pub fn new(settings: SmtpSettings, from: Mailbox) -> Self {
        let domain = from.email.domain().to_owned();
        Self {
            pool: Pool::new(settings),
            from,
            domain,
        }
    }

    /// The Message-ID this transport gives an alert.
    pub fn message_id(&self, alert_id: &str) -> String {
        message::message_id(alert_id, &self.domain)
    }

    /// One SMTP transaction (the span `smtp.send`, a child of the alert's `notifier.send`).
    #[tracing::instrument(name = "smtp.send", skip_all, fields(otel.kind = "client"))]
    async fn deliver(&self, out: &Outgoing) -> SendOutcome {
        let (envelope, bytes) = match message::build(out, &self.from, &self.domain) {
            Ok(built) => built,
            Err(e) => {
                return SendOutcome::Rejected {
                    reason: e.to_string(),
                };
            }
        };
        let mut pooled = match self.pool.get().await {
            Ok(pooled) => pooled,
            Err(reason) => {
                return SendOutcome::Transient {
                    reason,
                    retry_after: None,
                };
            }
        };
        let timeout = self.pool.settings().timeout;
        let connection = &mut pooled.connection;
        let mut parameters = Vec::new();
        if !bytes.is_ascii() {
            if !connection
                .server_info()
                .supports_feature(Extension::EightBitMime)
            {
                return SendOutcome::Rejected {
                    reason: "the message is not ASCII and the server lacks 8BITMIME".into(),
                };
            }
            parameters.push(MailParameter::Body(MailBodyParameter::EightBitMime));
        }
        let mail = Mail::new(envelope.from().cloned(), parameters);
        if let Err(outcome) = command(timeout, "MAIL FROM", connection.command(mail)).await {
            return outcome;
        }
        for to in envelope.to() {
            let rcpt = Rcpt::new(to.clone(), Vec::new());
            if let Err(outcome) = command(timeout, "RCPT TO", connection.command(rcpt)).await {
                return outcome;
            }
        }
        if let Err(outcome) = command(timeout, "DATA", connection.command(Data)).await {
            return outcome;
        }
        let outcome = match tokio::time::timeout(timeout, connection.message(&bytes)).await {
            Ok(Ok(_accepted)) => SendOutcome::Accepted {
                provider_id: self.message_id(&out.alert_id),
            },
            Ok(Err(e)) if e.is_transient() => SendOutcome::Transient {
                reason: pool::describe("the message", &e),
                retry_after: None,
            },
            Ok(Err(e)) if e.is_permanent() => SendOutcome::Rejected {
                reason: pool::describe("the message", &e),
            },
            Ok(Err(e)) => SendOutcome::Ambiguous {
                reason: format!(
                    "{} after the message was written: it may have been queued",
                    pool::describe("the message", &e)
                ),
            },
            Err(_elapsed) => SendOutcome::Ambiguous {
                reason: format!(
                    "no answer within {timeout:?} after the message was written: it may have been queued"
                ),
            },
        };
        if matches!(outcome, SendOutcome::Accepted { .. }) {
            self.pool.put_back(pooled);
        }
        outcome
    }
}

/// One command before the message: any failure means nothing was delivered.
async fn command(
    timeout: std::time::Duration,
    what: &str,
    work: impl Future<
        Output = Result<
            lettre::transport::smtp::response::Response,
            lettre::transport::smtp::Error,
        >,
    >,
) -> Result<(), SendOutcome> {
    match tokio::time::timeout(timeout, work).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) if e.is_permanent() => Err(SendOutcome::Rejected {
            reason: if what == "RCPT TO" {
                format!(
                    "mailbox rejected ({})",
                    e.status().map(|c| c.to_string()).unwrap_or_default()
                )
            } else {
                pool::describe(what, &e)
            },
        }),
        Ok(Err(e)) => Err(SendOutcome::Transient {
            reason: pool::describe(what, &e),
            retry_after: None,
        }),
        Err(_elapsed) => Err(SendOutcome::Transient {
            reason: format!("{what} with the SMTP server timed out (nothing was sent)"),
            retry_after: None,
        }),
    }
}

impl Transport for EmailTransport {
    fn channel(&self) -> Channel {
        Channel::Email
    }

    fn send<'a>(&'a self, message: &'a Outgoing) -> BoxFuture<'a, SendOutcome> {
        Box::pin(self.deliver(message))
    }
}
