//! The contacts API: bad input is INVALID_ARGUMENT naming the field, and nothing is stored;
//! scopes; preferences with the protective kinds locked; DeleteContact erases the person's
//! data (alerts keep only ids and states; unsent ones are suppressed); addresses are
//! encrypted at rest.

use penny_proto::v1 as pb;
use penny_testkit::DbKind;
use tonic::Code;

use crate::support::events::{self, publish_once};
use crate::support::{
    ARRIVAL, CONTACTS_TOKEN, Env, PUSH_SECRET, STATUS_TOKEN, a_weekday_morning, contact,
    for_each_db,
};

type Edit = fn(&mut pb::UpsertContactRequest);

const BAD: [(Edit, &str); 12] = [
    (|r| r.email = "ada@localhost".into(), "email"),
    (|r| r.email = "ada@[10.0.0.1]".into(), "email"),
    (|r| r.email = "not an email".into(), "email"),
    (|r| r.phone = "4155550123".into(), "phone"),
    (|r| r.phone = "+97233142764978".into(), "phone"),
    (|r| r.phone = "+3367a829916".into(), "phone"),
    (|r| r.push_url = "ftp://push.example.com".into(), "push_url"),
    (|r| r.time_zone = "Mars/Olympus_Mons".into(), "time_zone"),
    (|r| r.locale = "klingon".into(), "locale"),
    (|r| r.user_id = String::new(), "user_id"),
    (|r| r.channels = vec![7], "channels[0]"),
    (
        |r| {
            r.preferences = vec![pb::Preference {
                kind: pb::AlertKind::VerificationExpired as i32,
                channel: pb::Channel::Email as i32,
                enabled: false,
                locked: false,
            }]
        },
        "preferences[0]",
    ),
];

async fn validation_and_erasure(kind: DbKind) -> anyhow::Result<()> {
    let now = a_weekday_morning();
    let env = Env::start(kind, now).await?;
    let app = env.spawn(|_| {}).await?;
    let mut client = app.client().await?;
    for (edit, field) in BAD {
        let mut request = contact(&env, "new-person", "+14155550109", "en");
        request.quiet_hours = Some(pb::QuietHours {
            start: "22:00".into(),
            end: "07:00".into(),
        });
        request.time_zone = "America/Chicago".into();
        edit(&mut request);
        let status = client.upsert_contact(request).await.unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{field}: {status:?}");
        assert!(
            status.message().starts_with(&format!("{field}: ")),
            "{field}: {}",
            status.message()
        );
        let stored = client
            .get_contact(pb::GetContactRequest {
                user_id: "new-person".into(),
            })
            .await;
        assert_eq!(
            stored.unwrap_err().code(),
            Code::NotFound,
            "{field}: nothing stored"
        );
    }

    // A good contact; a bad update leaves it as it was.
    let good = app
        .upsert(contact(&env, "kim", "+14155550110", "es"))
        .await?;
    let mut bad = contact(&env, "kim", "+14155550110", "en");
    bad.email = "kim@localhost".into();
    assert_eq!(
        client.upsert_contact(bad).await.unwrap_err().code(),
        Code::InvalidArgument
    );
    let read = client
        .get_contact(pb::GetContactRequest {
            user_id: "kim".into(),
        })
        .await?
        .into_inner();
    assert_eq!(read, good);
    assert_eq!(read.email, "kim@example.com");
    assert_eq!(read.preferences.len(), 21, "7 kinds × 3 channels");
    for p in &read.preferences {
        let protective = [
            pb::AlertKind::VerificationExpired as i32,
            pb::AlertKind::VerificationFailed as i32,
            pb::AlertKind::NumbersChanged as i32,
            pb::AlertKind::DepositReversed as i32,
        ]
        .contains(&p.kind);
        assert_eq!(p.locked, protective, "{p:?}");
        assert!(p.enabled);
    }
    // Addresses are sealed at rest.
    if let Some(path) = env.db.sqlite_path() {
        for file in [path.to_owned(), path.with_extension("sqlite-wal")] {
            let bytes = std::fs::read(&file).unwrap_or_default();
            let text = String::from_utf8_lossy(&bytes);
            for secret in ["kim@example.com", "+14155550110", "127.0.0.1:"] {
                assert!(!text.contains(secret), "{secret} in {}", file.display());
            }
        }
    }

    // An alert sent, one scheduled; then the person is erased.
    let js = env.jetstream().await?;
    let same_day = pb::VerificationFlow::SameDay;
    publish_once(
        &js,
        &events::account("linked", "kim", "acc-kim", same_day, now),
    )
    .await?;
    publish_once(
        &js,
        &events::account("verified", "kim", "acc-kim", same_day, now),
    )
    .await?;
    // A deposit reminder for a second account, still waiting for its code.
    publish_once(
        &js,
        &events::account("linked", "kim", "acc-kim-2", same_day, now),
    )
    .await?;
    let later = now + chrono::Duration::hours(20);
    let posted = events::deposit(pb::DepositState::Posted, "acc-kim-2", now, Some(later));
    publish_once(&js, &posted).await?;
    env.smtp.wait_for(1, ARRIVAL).await?;
    penny_testkit::poll_until(ARRIVAL, || async {
        app.notifications("kim")
            .await
            .ok()
            .is_some_and(|n| n.len() == 6)
    })
    .await?;
    let erased = client
        .delete_contact(pb::DeleteContactRequest {
            user_id: "kim".into(),
        })
        .await?
        .into_inner();
    assert!(erased.deleted);
    assert_eq!(erased.suppressed_alerts, 3, "the scheduled ones");
    let gone = client
        .get_contact(pb::GetContactRequest {
            user_id: "kim".into(),
        })
        .await;
    assert_eq!(gone.unwrap_err().code(), Code::NotFound);
    let kept = app.notifications("kim").await?;
    assert_eq!(kept.len(), 6, "ids and states stay");
    for n in &kept {
        let state = pb::NotificationState::try_from(n.state)?;
        assert!(matches!(
            state,
            pb::NotificationState::Sent | pb::NotificationState::Suppressed
        ));
    }
    env.clock.set(later);
    app.sweeps(3).await?;
    assert_eq!(
        env.smtp.messages()?.len(),
        1,
        "nothing more for an erased person"
    );
    app.stop().await
}

async fn scopes(kind: DbKind) -> anyhow::Result<()> {
    let env = Env::start(kind, a_weekday_morning()).await?;
    let app = env.spawn(|_| {}).await?;
    let request = contact(&env, "pat", "+14155550112", "en");
    let mut reader = app.client_with(Some(STATUS_TOKEN)).await?;
    let denied = reader.upsert_contact(request.clone()).await.unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
    let mut writer = app.client_with(Some(CONTACTS_TOKEN)).await?;
    writer.upsert_contact(request).await?;
    let read = writer
        .get_contact(pb::GetContactRequest {
            user_id: "pat".into(),
        })
        .await;
    assert_eq!(read.unwrap_err().code(), Code::PermissionDenied);
    reader
        .get_contact(pb::GetContactRequest {
            user_id: "pat".into(),
        })
        .await?;
    let mut anonymous = app.client_with(None).await?;
    let who = anonymous
        .get_contact(pb::GetContactRequest {
            user_id: "pat".into(),
        })
        .await;
    assert_eq!(who.unwrap_err().code(), Code::Unauthenticated);
    app.stop().await
}

async fn production_wants_https_push(kind: DbKind) -> anyhow::Result<()> {
    let env = Env::start(kind, a_weekday_morning()).await?;
    let app = env
        .spawn(|c| {
            c.environment = "production".into();
            c.channels = "push".parse().unwrap();
            c.encryption_keys = Some(penny_notifier::config::INSECURE_DEV_KEYRING.into());
            c.link_key = Some(penny_notifier::config::INSECURE_DEV_LINK_KEY.into());
            c.public_url = "https://notify.example.com".into();
            c.push.push_signing_secret = Some(PUSH_SECRET.into());
        })
        .await?;
    let mut request = contact(&env, "hal", "+14155550113", "en");
    request.channels = vec![pb::Channel::Push as i32];
    let status = app
        .client()
        .await?
        .upsert_contact(request.clone())
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(status.message(), "push_url: must be https in production");
    request.push_url = "https://push.example.com/penny".into();
    app.upsert(request).await?;
    app.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bad_input_names_the_field_and_stores_nothing_and_delete_erases_the_person()
-> anyhow::Result<()> {
    for_each_db(validation_and_erasure).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn contacts_need_the_contacts_scope_and_reads_the_status_scope() -> anyhow::Result<()> {
    for_each_db(scopes).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_http_push_url_is_refused_in_production() -> anyhow::Result<()> {
    for_each_db(production_wants_https_push).await
}
