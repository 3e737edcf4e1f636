//! RFC 8058 one-click unsubscribe: the `List-Unsubscribe` URL of an email answers a GET (a
//! scanner or preview) without changing anything, and a POST switches that kind off on email
//! for the person: their next alert of that kind is suppressed on email and still goes out on
//! the other channels.

use penny_proto::v1 as pb;
use penny_testkit::DbKind;

use crate::support::events::{self, publish_once};
use crate::support::{ARRIVAL, Env, a_weekday_morning, contact, for_each_db};

async fn one_click(kind: DbKind) -> anyhow::Result<()> {
    let now = a_weekday_morning();
    let env = Env::start(kind, now).await?;
    let app = env.spawn(|_| {}).await?;
    app.upsert(contact(&env, "una", "+14155550114", "en"))
        .await?;
    let js = env.jetstream().await?;
    let flow = pb::VerificationFlow::Automated;
    publish_once(
        &js,
        &events::account("linked", "una", "acc-una-1", flow, now),
    )
    .await?;
    publish_once(
        &js,
        &events::account("verified", "una", "acc-una-1", flow, now),
    )
    .await?;
    let mail = env.smtp.wait_for(1, ARRIVAL).await?;
    let header = mail[0]
        .header("List-Unsubscribe")
        .unwrap_or_default()
        .to_owned();
    let url = header.trim_start_matches('<').trim_end_matches('>');
    let token = url.rsplit('/').next().unwrap_or_default();
    let endpoint = format!("http://{}/unsubscribe/{token}", app.public_addr);
    let http = reqwest::Client::new();

    let page = http.get(&endpoint).send().await?;
    assert_eq!(page.status(), 200);
    assert!(page.text().await?.contains("method=\"post\""));
    let before = app
        .client()
        .await?
        .get_contact(pb::GetContactRequest {
            user_id: "una".into(),
        })
        .await?;
    assert!(
        before.into_inner().preferences.iter().all(|p| p.enabled),
        "a GET changes nothing"
    );

    let forged = format!("http://{}/unsubscribe/{}x", app.public_addr, token);
    assert_eq!(http.post(&forged).send().await?.status(), 404);
    let done = http
        .post(&endpoint)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await?;
    assert_eq!(done.status(), 200);
    let after = app
        .client()
        .await?
        .get_contact(pb::GetContactRequest {
            user_id: "una".into(),
        })
        .await?
        .into_inner();
    let off: Vec<_> = after.preferences.iter().filter(|p| !p.enabled).collect();
    assert_eq!(off.len(), 1);
    assert_eq!(
        (off[0].kind, off[0].channel),
        (
            pb::AlertKind::AccountVerified as i32,
            pb::Channel::Email as i32
        )
    );

    // The next "ready" goes out on SMS and push only.
    publish_once(
        &js,
        &events::account("linked", "una", "acc-una-2", flow, now),
    )
    .await?;
    let second = events::account("verified", "una", "acc-una-2", flow, now);
    publish_once(&js, &second).await?;
    env.sms.http.wait_for_accepted(2, ARRIVAL).await?;
    env.push.http.wait_for_accepted(2, ARRIVAL).await?;
    let listed = app.notifications("una").await?;
    let email = listed
        .iter()
        .find(|n| n.event_id == second.2 && n.channel == pb::Channel::Email as i32)
        .expect("an email alert recorded");
    assert_eq!(email.state, pb::NotificationState::Suppressed as i32);
    assert_eq!(email.last_error, "switched off by the person");
    app.sweeps(3).await?;
    assert_eq!(env.smtp.messages()?.len(), 1);
    app.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_click_unsubscribe_switches_that_kind_off_on_email() -> anyhow::Result<()> {
    for_each_db(one_click).await
}
