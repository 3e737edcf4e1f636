//! `rotate-keys`: contact data sealed under k1 is re-sealed under k2 (the new first key of the
//! keyring), in batches, and still opens (with k2 alone); a second run changes nothing; the
//! service (running with the new keyring) still sends to the re-sealed address. On SQLite and
//! PostgreSQL.

use penny_config::Secret;
use penny_notifier::store::contacts::AddressBook;
use penny_notifier::store::entities::contact;
use penny_notifier::store::{self, rotate};
use penny_proto::v1 as pb;
use penny_store::Keyring;
use penny_testkit::DbKind;
use sea_orm::EntityTrait;

use crate::support::{Env, a_weekday_morning, contact as contact_request, for_each_db, verified};

const K1: &str = "k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
const K2: &str = "k2:ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=";
const USERS: [&str; 5] = ["ana", "ben", "cy", "dee", "eli"];

async fn rotation(kind: DbKind) -> anyhow::Result<()> {
    let env = Env::start(kind, a_weekday_morning()).await?;
    let app = env
        .spawn(|c| c.encryption_keys = Some(Secret::from(K1)))
        .await?;
    for user in USERS {
        let mut request = contact_request(&env, user, "+14155550113", "en");
        if user == "cy" {
            // A contact without a phone or push URL: nothing to re-seal there.
            request.phone = String::new();
            request.push_url = String::new();
            request.channels = vec![pb::Channel::Email as i32];
        }
        app.upsert(request).await?;
    }
    app.stop().await?;
    let db = store::connect(env.db.url()).await?;
    let sealed_under = |rows: &[contact::Model], key: &str| {
        rows.iter().all(|r| {
            [&r.email, &r.phone, &r.push_url]
                .into_iter()
                .flatten()
                .all(|text| text.starts_with(&format!("{key}:")))
        })
    };
    let before = contact::Entity::find().all(&db).await?;
    assert!(sealed_under(&before, "k1"));

    // Batches of two: three pages for five contacts.
    let book = AddressBook::new(Keyring::parse(&format!("{K2},{K1}"))?);
    let report = rotate::rotate_keys(&db, &book, 2).await?;
    assert_eq!(report.contacts, 5);
    assert_eq!(report.skipped, 0);
    let after = contact::Entity::find().all(&db).await?;
    assert!(sealed_under(&after, "k2"), "{after:?}");
    let k2_only = AddressBook::new(Keyring::parse(K2)?);
    for user in USERS {
        let found = k2_only.find(&db, user).await?.expect("the contact");
        assert_eq!(
            found.email.as_deref().map(String::as_str),
            Some(&*format!("{user}@example.com"))
        );
        assert_eq!(found.phone.is_some(), user != "cy");
    }
    let cy = after.iter().find(|r| r.user_id == "cy").expect("cy");
    assert_eq!((cy.phone.as_ref(), cy.push_url.as_ref()), (None, None));

    // Idempotent: nothing left to do, nothing written.
    let again = rotate::rotate_keys(&db, &book, 2).await?;
    assert_eq!(again, rotate::RotationReport::default());
    assert_eq!(contact::Entity::find().all(&db).await?, after);

    // The service with the new keyring sends to the re-sealed address.
    let app = env
        .spawn(|c| c.encryption_keys = Some(Secret::from(format!("{K2},{K1}"))))
        .await?;
    verified(&env, &app, "ana", &[pb::Channel::Email]).await?;
    let mail = penny_testkit::poll_until(crate::support::ARRIVAL, || async {
        env.smtp.messages().ok()?.into_iter().next()
    })
    .await?;
    assert!(
        mail.recipient()
            .is_some_and(|to| to.contains("ana@example.com")),
        "{:?}",
        mail.recipient()
    );
    app.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rotate_keys_reseals_contact_data_under_the_newest_key_once() -> anyhow::Result<()> {
    for_each_db(rotation).await
}
