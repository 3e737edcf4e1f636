//! Subject names: Plaid webhooks, domain events and dead letters.

/// Prefix of the subjects holding Plaid webhooks: `plaid.webhook.<TYPE>.<CODE>`.
pub const WEBHOOK_SUBJECT_PREFIX: &str = "plaid.webhook";
/// Prefix of domain-event subjects: `penny.event.<aggregate>.<what>`.
pub const EVENT_SUBJECT_PREFIX: &str = "penny.event";
/// Prefix of dead-letter subjects: `penny.dlq.<original subject>`.
pub const DLQ_SUBJECT_PREFIX: &str = "penny.dlq";

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

/// The dead-letter subject for a message first published on `original`.
pub fn dlq_subject(original: &str) -> String {
    format!("{DLQ_SUBJECT_PREFIX}.{original}")
}

/// The original subject of a dead-letter subject, if it has the dead-letter prefix.
pub fn original_subject_of_dlq(dlq: &str) -> Option<&str> {
    dlq.strip_prefix(DLQ_SUBJECT_PREFIX)?.strip_prefix('.')
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
        let dlq = dlq_subject("plaid.webhook.AUTH.X");
        assert_eq!(dlq, "penny.dlq.plaid.webhook.AUTH.X");
        assert_eq!(original_subject_of_dlq(&dlq), Some("plaid.webhook.AUTH.X"));
        assert_eq!(original_subject_of_dlq("other.x"), None);
    }
}
