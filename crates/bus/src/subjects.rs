//! Subject names: Plaid webhooks, domain events and dead letters. Publishers and consumers
//! both name subjects through these, so a subject is spelt in one place.

/// Prefix of the subjects holding Plaid webhooks: `plaid.webhook.<TYPE>.<CODE>`.
pub const WEBHOOK_SUBJECT_PREFIX: &str = "plaid.webhook";
/// Prefix of domain-event subjects: `penny.event.<aggregate>.<what>`.
pub const EVENT_SUBJECT_PREFIX: &str = "penny.event";
/// Every domain event.
pub const EVENTS_FILTER: &str = "penny.event.>";
/// Account events (verification): `penny.event.account.<what>`.
pub const ACCOUNT_EVENT_PREFIX: &str = "penny.event.account";
/// Every account event.
pub const ACCOUNT_EVENTS_FILTER: &str = "penny.event.account.>";
/// Deposit events (transfer-events): `penny.event.deposit.<what>`.
pub const DEPOSIT_EVENT_PREFIX: &str = "penny.event.deposit";
/// Every deposit event.
pub const DEPOSIT_EVENTS_FILTER: &str = "penny.event.deposit.>";
/// Prefix of dead-letter subjects: `penny.dlq.<consumer>.<original subject>`.
pub const DLQ_SUBJECT_PREFIX: &str = "penny.dlq";

/// The subject of a domain event: `<prefix>.<what>`, e.g.
/// `event_subject(ACCOUNT_EVENT_PREFIX, "verified")` = `penny.event.account.verified`.
pub fn event_subject(prefix: &str, what: &str) -> String {
    format!("{prefix}.{what}")
}

/// The subject a Plaid webhook is published on: `plaid.webhook.<TYPE>.<CODE>`.
///
/// Both tokens go through [`sanitize_token`], so whatever Plaid (or an attacker who got past
/// signature verification) sends cannot add subject levels or wildcards.
pub fn webhook_subject(webhook_type: &str, webhook_code: &str) -> String {
    // Built in one allocation: ingress calls this once per webhook.
    let mut subject = String::with_capacity(
        WEBHOOK_SUBJECT_PREFIX.len() + 2 + webhook_type.len() + webhook_code.len(),
    );
    subject.push_str(WEBHOOK_SUBJECT_PREFIX);
    subject.push('.');
    push_token(&mut subject, webhook_type);
    subject.push('.');
    push_token(&mut subject, webhook_code);
    subject
}

/// Filter matching every webhook of one type, e.g. `plaid.webhook.AUTH.>`.
pub fn webhook_type_filter(webhook_type: &str) -> String {
    format!(
        "{WEBHOOK_SUBJECT_PREFIX}.{}.>",
        sanitize_token(webhook_type)
    )
}

/// The dead-letter subject for a message that `consumer` parked, first published on `original`.
/// The consumer is a subject token so the server can list one consumer's letters
/// ([`dlq_consumer_filter`]).
pub fn dlq_subject(consumer: &str, original: &str) -> String {
    let mut subject = String::with_capacity(DLQ_SUBJECT_PREFIX.len() + original.len() + 70);
    subject.push_str(DLQ_SUBJECT_PREFIX);
    subject.push('.');
    subject.push_str(&sanitize_consumer(consumer));
    subject.push('.');
    subject.push_str(original);
    subject
}

/// The filter matching every dead letter `consumer` parked.
pub fn dlq_consumer_filter(consumer: &str) -> String {
    format!("{DLQ_SUBJECT_PREFIX}.{}.>", sanitize_consumer(consumer))
}

/// The original subject of a dead-letter subject, if it has the dead-letter prefix (the
/// consumer token is skipped). Letters carry their original subject in a header too; this is
/// the fallback.
pub fn original_subject_of_dlq(dlq: &str) -> Option<&str> {
    let rest = dlq.strip_prefix(DLQ_SUBJECT_PREFIX)?.strip_prefix('.')?;
    rest.split_once('.').map(|(_consumer, original)| original)
}

/// A consumer name as one subject token (durable names cannot hold `.`, `*` or `>`, but a
/// letter must never gain subject levels from one).
fn sanitize_consumer(consumer: &str) -> String {
    let token: String = consumer
        .chars()
        .take(64)
        .map(|c| match c {
            '.' | '*' | '>' => '_',
            c if c.is_whitespace() || c.is_control() => '_',
            c => c,
        })
        .collect();
    if token.is_empty() {
        "UNKNOWN".to_owned()
    } else {
        token
    }
}

/// Makes `raw` one safe NATS subject token: upper-cased, with `.`, `*`, `>`, whitespace and
/// control characters replaced by `_`; an empty (or all-whitespace) token becomes `UNKNOWN`.
/// Tokens are capped at 64 characters.
pub fn sanitize_token(raw: &str) -> String {
    let mut token = String::with_capacity(raw.len().min(64));
    push_token(&mut token, raw);
    token
}

/// Appends [`sanitize_token`]`(raw)` to `out`.
fn push_token(out: &mut String, raw: &str) {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        out.push_str("UNKNOWN");
        return;
    }
    out.extend(trimmed.chars().take(64).map(|c| match c {
        '.' | '*' | '>' => '_',
        c if c.is_whitespace() || c.is_control() => '_',
        c => c.to_ascii_uppercase(),
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_subject_is_upper_case() {
        assert_eq!(
            webhook_subject("auth", "AUTOMATICALLY_VERIFIED"),
            "plaid.webhook.AUTH.AUTOMATICALLY_VERIFIED"
        );
    }

    #[test]
    fn tokens_cannot_add_levels_or_wildcards() {
        assert_eq!(webhook_subject("A.B", "*"), "plaid.webhook.A_B._");
        assert_eq!(webhook_subject(">", "x y\tz"), "plaid.webhook._.X_Y_Z");
        assert_eq!(webhook_subject("", "  "), "plaid.webhook.UNKNOWN.UNKNOWN");
        assert_eq!(sanitize_token(&"a".repeat(100)).len(), 64);
    }

    #[test]
    fn dlq_subject_roundtrips() {
        let dlq = dlq_subject("verification", "plaid.webhook.AUTH.X");
        assert_eq!(dlq, "penny.dlq.verification.plaid.webhook.AUTH.X");
        assert_eq!(original_subject_of_dlq(&dlq), Some("plaid.webhook.AUTH.X"));
        assert_eq!(original_subject_of_dlq("other.x"), None);
        assert_eq!(
            dlq_consumer_filter("verification"),
            "penny.dlq.verification.>"
        );
        assert_eq!(dlq_subject("a.b*", "x"), "penny.dlq.a_b_.x");
    }
}
