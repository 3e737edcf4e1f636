//! Building an alert email: multipart plain text + HTML, `Message-ID` derived from the alert
//! id (a resend of the same alert has the same id, so mail systems and people can tell it is
//! the same message), `Auto-Submitted: auto-generated` (RFC 3834), and for kinds a person may
//! switch off the RFC 8058 one-click unsubscribe headers.

use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::{Address, Message};

use crate::channels::Outgoing;

/// The `Message-ID` of an alert: `<alert-<id>@<domain>>`.
pub fn message_id(alert_id: &str, domain: &str) -> String {
    format!("<alert-{alert_id}@{domain}>")
}

/// Why an email could not be built (a bad address got past validation, or a bad setting).
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The recipient is not an address lettre accepts.
    #[error("the recipient address is not valid")]
    Recipient,
    /// lettre refused the message.
    #[error("building the message: {0}")]
    Message(#[from] lettre::error::Error),
}

/// The formatted message and its envelope.
pub fn build(
    out: &Outgoing,
    from: &Mailbox,
    domain: &str,
) -> Result<(lettre::address::Envelope, Vec<u8>), BuildError> {
    let to: Address = out.address.parse().map_err(|_| BuildError::Recipient)?;
    let mut builder = Message::builder()
        .from(from.clone())
        .to(Mailbox::new(None, to))
        .subject(out.rendered.subject.clone())
        .message_id(Some(message_id(&out.alert_id, domain)))
        .raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("Auto-Submitted"),
            "auto-generated".to_owned(),
        ));
    if let Some(url) = &out.unsubscribe_url {
        builder = builder
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe"),
                format!("<{url}>"),
            ))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                "List-Unsubscribe=One-Click".to_owned(),
            ));
    }
    let message = builder.multipart(MultiPart::alternative_plain_html(
        out.rendered.text.clone(),
        out.rendered.html.clone(),
    ))?;
    Ok((message.envelope().clone(), message.formatted()))
}

#[cfg(test)]
mod tests {
    use penny_store::SecretString;

    use super::*;
    use crate::domain::AlertKind;
    use crate::templates::Rendered;

    fn outgoing(unsubscribe: Option<&str>) -> Outgoing {
        Outgoing {
            alert_id: "0190f0e0-0000-7000-8000-000000000001".into(),
            kind: AlertKind::AccountVerified,
            event_id: "ev-1".into(),
            user_id: "u-1".into(),
            address: SecretString::new("ada@example.com".into()),
            rendered: Rendered {
                language: "en",
                subject: "Your account ••••0000 is ready".into(),
                text: "Good news.\n".into(),
                html: "<p>Good news.</p>".into(),
                short: "ready".into(),
            },
            unsubscribe_url: unsubscribe.map(str::to_owned),
        }
    }

    #[test]
    fn the_message_id_comes_from_the_alert_and_unsubscribe_is_one_click() {
        let from: Mailbox = "penny <alerts@penny.example>".parse().unwrap();
        let (envelope, bytes) = build(
            &outgoing(Some("https://n.example/unsubscribe/abc")),
            &from,
            "penny.example",
        )
        .unwrap();
        let text = String::from_utf8(bytes).unwrap();
        assert!(
            text.contains("Message-ID: <alert-0190f0e0-0000-7000-8000-000000000001@penny.example>"),
            "{text}"
        );
        assert!(text.contains("List-Unsubscribe: <https://n.example/unsubscribe/abc>"));
        assert!(text.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
        assert!(text.contains("Auto-Submitted: auto-generated"));
        assert!(text.contains("multipart/alternative"));
        assert_eq!(envelope.to().len(), 1);
        let (_, bytes) = build(&outgoing(None), &from, "penny.example").unwrap();
        assert!(
            !String::from_utf8(bytes)
                .unwrap()
                .contains("List-Unsubscribe")
        );
    }
}
