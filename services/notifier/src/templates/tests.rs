//! Every kind renders in every language with the mask and nothing else about the account; the
//! reason of a returned deposit is in plain words, never its code.

use super::*;
use crate::domain::Reason;

fn ctx(reason: Option<Reason>, unsubscribe: bool) -> AlertContext {
    AlertContext {
        product: "Acme Pay".into(),
        facts: AlertFacts {
            mask: Some("0000".into()),
            reason,
        },
        unsubscribe_url: unsubscribe.then(|| "https://n.example.com/unsubscribe/t0k".into()),
    }
}

#[test]
fn every_kind_renders_in_every_language() {
    let templates = Templates::load().unwrap();
    assert_eq!(templates.languages(), ["en", "es"]);
    for language in ["en", "es"] {
        for kind in AlertKind::ALL {
            let r = templates
                .render(
                    kind,
                    language,
                    &ctx(Some(Reason::Other), !kind.is_protective()),
                )
                .unwrap_or_else(|e| panic!("{language} {kind}: {e:#}"));
            assert_eq!(r.language, language);
            for part in [&r.subject, &r.text, &r.html, &r.short] {
                assert!(part.contains("••••0000"), "{language} {kind}: {part}");
                assert!(!part.contains("{{"), "{language} {kind}: {part}");
            }
            assert!(r.short.contains("Acme Pay"));
            assert!(!r.subject.contains('\n'));
            assert!(
                r.short.chars().count() <= 160,
                "{kind}: one SMS: {}",
                r.short
            );
            assert!(r.html.starts_with("<!doctype html>"), "{}", r.html);
            assert_eq!(
                r.text.contains("https://n.example.com/unsubscribe/t0k"),
                !kind.is_protective(),
                "{kind}"
            );
        }
    }
}

#[test]
fn the_words_the_issue_asks_for() {
    let t = Templates::load().unwrap();
    let en = |kind| {
        t.render(kind, "en-US", &ctx(Some(Reason::Other), false))
            .unwrap()
    };
    assert_eq!(
        en(AlertKind::AccountVerified).subject,
        "Your account ••••0000 is ready"
    );
    for kind in [
        AlertKind::VerificationExpired,
        AlertKind::VerificationFailed,
        AlertKind::DepositReversed,
    ] {
        assert!(
            en(kind)
                .text
                .contains("Please link your account ••••0000 again")
        );
    }
    assert!(
        en(AlertKind::LoginRequired)
            .short
            .contains("reconnect your bank")
    );
    assert!(
        en(AlertKind::DepositPosted)
            .subject
            .starts_with("Check your statement and confirm")
    );
    let es = |kind| t.render(kind, "es-MX", &ctx(None, false)).unwrap();
    assert_eq!(
        es(AlertKind::AccountVerified).subject,
        "Tu cuenta ••••0000 está lista"
    );
    assert!(
        es(AlertKind::LoginRequired)
            .short
            .contains("vuelve a conectar tu banco")
    );
    assert_eq!(
        t.language_for("fr-CA"),
        "en",
        "no French templates: English"
    );
}

#[test]
fn returned_deposits_say_why_in_plain_words() {
    let t = Templates::load().unwrap();
    let mut seen = std::collections::HashSet::new();
    for language in ["en", "es"] {
        for reason in Reason::ALL {
            let r = t
                .render(
                    AlertKind::DepositReversed,
                    language,
                    &ctx(Some(reason), false),
                )
                .unwrap();
            assert!(
                seen.insert(r.short.clone()),
                "each reason has its own words"
            );
            assert!(!r.text.contains("R0") && !r.text.contains(reason.as_str()));
        }
    }
    let closed = t
        .render(
            AlertKind::DepositReversed,
            "en",
            &ctx(Some(Reason::AccountClosedOrInvalid), false),
        )
        .unwrap();
    assert!(
        closed
            .text
            .contains("the account is closed or its number is not valid")
    );
}

#[test]
fn html_is_escaped() {
    let t = Templates::load().unwrap();
    let mut c = ctx(None, true);
    c.product = "<script>x</script>".into();
    let r = t.render(AlertKind::AccountVerified, "en", &c).unwrap();
    assert!(!r.html.contains("<script>"), "{}", r.html);
    assert!(r.html.contains("&lt;script&gt;"));
    assert!(r.text.contains("<script>"), "plain text is not HTML");
}
