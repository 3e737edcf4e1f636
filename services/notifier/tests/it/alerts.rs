//! Each domain event type → the right alert on each enabled channel, with the right content
//! in each language, showing only the account's mask; one-click unsubscribe headers on the
//! kinds a person may switch off, none on the ones that protect them.

use std::collections::BTreeMap;

use chrono::Duration;
use penny_proto::v1 as pb;
use penny_testkit::{DbKind, ReceivedMail, Recorded};

use crate::support::events::{self, publish_once};
use crate::support::{ARRIVAL, Env, a_weekday_morning, contact, for_each_db};

/// What each kind must say, per language: (kind, subject fragment, text fragment).
const EN: [(&str, &str, &str); 7] = [
    (
        "account_verified",
        "Your account ••••0000 is ready",
        "is ready",
    ),
    (
        "verification_expired",
        "Please link your account ••••0000 again",
        "within 7 days",
    ),
    (
        "verification_failed",
        "Please link your account ••••0000 again",
        "test deposit amount",
    ),
    (
        "login_required",
        "Reconnect your bank",
        "reconnect your bank",
    ),
    (
        "numbers_changed",
        "Your bank updated account ••••0000",
        "use the new details",
    ),
    (
        "deposit_reversed",
        "Please link your account ••••0000 again",
        "came back: your bank says the account is closed or its number is not valid",
    ),
    (
        "deposit_posted",
        "Check your statement and confirm",
        "Find it on your bank statement",
    ),
];
const ES: [(&str, &str, &str); 7] = [
    (
        "account_verified",
        "Tu cuenta ••••0000 está lista",
        "está lista",
    ),
    (
        "verification_expired",
        "Por favor, vuelve a vincular tu cuenta ••••0000",
        "en 7 días",
    ),
    (
        "verification_failed",
        "Por favor, vuelve a vincular tu cuenta ••••0000",
        "importe del depósito",
    ),
    (
        "login_required",
        "Vuelve a conectar tu banco",
        "vuelve a conectar tu banco",
    ),
    (
        "numbers_changed",
        "Tu banco actualizó la cuenta ••••0000",
        "usará los datos nuevos",
    ),
    (
        "deposit_reversed",
        "Por favor, vuelve a vincular tu cuenta ••••0000",
        "fue devuelto: tu banco indica que la cuenta está cerrada",
    ),
    (
        "deposit_posted",
        "Revisa tu estado de cuenta y confirma",
        "Búscalo en tu estado de cuenta",
    ),
];
const PROTECTIVE: [&str; 4] = [
    "verification_expired",
    "verification_failed",
    "numbers_changed",
    "deposit_reversed",
];

async fn every_kind_in_both_languages(kind: DbKind) -> anyhow::Result<()> {
    let now = a_weekday_morning();
    let env = Env::start(kind, now).await?;
    let app = env.spawn(|_| {}).await?;
    let js = env.jetstream().await?;
    let people = [
        ("ada", "+14155550101", "en", &EN),
        ("bea", "+14155550102", "es-MX", &ES),
    ];
    for (user, phone, locale, _) in &people {
        app.upsert(contact(&env, user, phone, locale)).await?;
        let account = format!("acc-{user}");
        let same_day = pb::VerificationFlow::SameDay;
        publish_once(
            &js,
            &events::account("linked", user, &account, same_day, now),
        )
        .await?;
        for what in [
            "verified",
            "verification_expired",
            "verification_failed",
            "needs_update",
            "numbers_changed",
            "login_repaired",
            "revoked",
        ] {
            publish_once(&js, &events::account(what, user, &account, same_day, now)).await?;
        }
        let reversed = events::deposit(pb::DepositState::Reversed, &account, now, None);
        publish_once(&js, &reversed).await?;
        // The reminder to confirm a deposit is for an account still waiting for its code (a
        // settled account gets none): a second account of the same person.
        let waiting = format!("acc-{user}-2");
        publish_once(
            &js,
            &events::account("linked", user, &waiting, same_day, now),
        )
        .await?;
        let available = now + Duration::hours(22);
        let posted = events::deposit(pb::DepositState::Posted, &waiting, now, Some(available));
        publish_once(&js, &posted).await?;
    }
    // Six kinds now, for two people, on three channels each.
    if let Err(e) = env.smtp.wait_for(12, ARRIVAL).await {
        for user in ["ada", "bea"] {
            for n in app.notifications(user).await? {
                eprintln!(
                    "DEBUG {user} {} ch={} state={} attempts={} err={:?} due={:?}",
                    n.event_type, n.channel, n.state, n.attempts, n.last_error, n.due_at
                );
            }
        }
        return Err(e);
    }
    env.sms.http.wait_for_accepted(12, ARRIVAL).await?;
    env.push.http.wait_for_accepted(12, ARRIVAL).await?;
    // "Check your statement" waits for the deposit's availability time.
    app.sweeps(3).await?;
    assert_eq!(env.smtp.messages()?.len(), 12, "the posted deposit waits");
    env.clock.advance(Duration::hours(23));
    let mail = env.smtp.wait_for(14, ARRIVAL).await?;
    env.sms.http.wait_for_accepted(14, ARRIVAL).await?;
    env.push.http.wait_for_accepted(14, ARRIVAL).await?;

    for (user, phone, locale, table) in &people {
        let mine: Vec<&ReceivedMail> = mail
            .iter()
            .filter(|m| m.recipient() == Some(&format!("{user}@example.com")))
            .collect();
        let texts: Vec<(String, String)> = env
            .sms
            .accepted()
            .into_iter()
            .filter(|(to, _)| to == phone)
            .collect();
        let pushes: BTreeMap<String, Recorded> = env
            .push
            .accepted()
            .into_iter()
            .filter(|r| r.json()["user_id"] == *user)
            .map(|r| (r.json()["kind"].as_str().unwrap_or_default().to_owned(), r))
            .collect();
        assert_eq!(mine.len(), 7, "{user}: one email per kind");
        assert_eq!(texts.len(), 7, "{user}: one text per kind");
        assert_eq!(pushes.len(), 7, "{user}: one push per kind");
        for (kind, subject, text) in table.iter() {
            let email = mine
                .iter()
                .find(|m| {
                    m.subject().starts_with(subject) && m.text().unwrap_or_default().contains(text)
                })
                .unwrap_or_else(|| panic!("{user} {locale}: no email for {kind}"));
            let html = email.html().unwrap_or_default();
            assert!(html.contains("••••0000"), "{kind}: {html}");
            assert!(
                email.message_id().is_some_and(
                    |id| id.starts_with("<alert-") && id.ends_with("@penny.localhost>")
                ),
                "{:?}",
                email.message_id()
            );
            let protective = PROTECTIVE.contains(kind);
            assert_eq!(
                email.header("List-Unsubscribe").is_some(),
                !protective,
                "{kind}"
            );
            assert_eq!(
                email.header("List-Unsubscribe-Post"),
                (!protective).then_some("List-Unsubscribe=One-Click"),
                "{kind}"
            );
            let push = pushes
                .get(*kind)
                .unwrap_or_else(|| panic!("{user}: no push for {kind}"));
            assert_eq!(push.verified, Some(true), "signed");
            assert_eq!(
                push.json()["title"].as_str().unwrap_or_default(),
                email.subject()
            );
            let short = push.json()["body"].as_str().unwrap_or_default().to_owned();
            assert!(short.contains("••••0000"), "{short}");
            assert!(
                texts.iter().any(|(_, body)| *body == short),
                "{user}: the SMS says {short}"
            );
        }
        for email in &mine {
            only_the_mask(&email.raw);
            // Decoded too: a quoted-printable soft break could split a secret in the raw form.
            only_the_mask(&email.text().unwrap_or_default());
            only_the_mask(&email.html().unwrap_or_default());
            only_the_mask(&email.subject());
        }
        for (_, body) in &texts {
            only_the_mask(body);
        }
        // A receiver has a message a moment before the notifier records it sent.
        let sent = pb::NotificationState::Sent as i32;
        let listed = penny_testkit::poll_until(ARRIVAL, || async {
            let listed = app.notifications(user).await.ok()?;
            listed.iter().all(|n| n.state == sent).then_some(listed)
        })
        .await?;
        assert_eq!(listed.len(), 21, "{user}: 7 kinds × 3 channels");
        assert!(
            listed
                .iter()
                .all(|n| n.attempts == 1 && !n.provider_message_id.is_empty())
        );
    }
    let metrics = app.metrics().await?;
    for channel in ["email", "sms", "push"] {
        let sent = format!(
            r#"penny_notifier_alerts_total{{kind="account_verified",channel="{channel}",outcome="sent"}} 2"#
        );
        assert!(metrics.contains(&sent), "{sent}");
        let latency =
            format!(r#"penny_notifier_send_duration_seconds_count{{channel="{channel}"}} 14"#);
        assert!(metrics.contains(&latency), "{latency}");
    }
    let ready = reqwest::get(format!("http://{}/readyz", app.admin_addr)).await?;
    assert_eq!(ready.status(), 200, "{}", ready.text().await?);
    app.stop().await
}

/// Nothing in a message but the last four digits: no account number, routing number, access
/// token, or ACH return code. A secret counts as a whole token only: the random MIME boundary and
/// the unsubscribe token are alphanumeric and hold any short string sooner or later ("…ZR03Pa…"
/// once failed CI).
fn only_the_mask(text: &str) {
    for secret in [
        "1111222233330000",
        "011401533",
        "021000021",
        "access-sandbox",
        "R03",
    ] {
        assert!(!contains_token(text, secret), "{secret} in {text}");
    }
}

/// Whether `needle` occurs in `text` with no letter or digit right before or after it.
fn contains_token(text: &str, needle: &str) -> bool {
    text.match_indices(needle).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + needle.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

#[test]
fn a_secret_inside_a_random_token_is_not_a_leak() {
    assert!(!contains_token("boundary=\"6A6qxzoZR03Pa1\"", "R03"));
    assert!(contains_token("returned (R03).", "R03"));
    assert!(contains_token("R03", "R03"));
    assert!(contains_token("code R03\n", "R03"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_event_alerts_every_channel_in_the_persons_language_with_only_the_mask()
-> anyhow::Result<()> {
    for_each_db(every_kind_in_both_languages).await
}
