//! `pennyctl keys rotate`: verification's secrets (access tokens) and the notifier's (contact
//! data) re-sealed under the newest key with each service's own rotation, the notifier running
//! meanwhile; idempotent; a bad keyring is refused before anything changes.

use penny_config::Secret;
use penny_notifier::store::contacts::AddressBook;
use penny_notifier::store::entities::contact;
use penny_proto::v1 as pb;
use penny_proto::v1::notifier_service_client::NotifierServiceClient;
use penny_store::Keyring;
use penny_testkit::{Bearer, DbKind};
use penny_verification::store::Secrets;
use penny_verification::store::entities::item;
use sea_orm::EntityTrait;

use crate::services;
use crate::support::{KEYS_K1, KEYS_K2_K1, TOKEN, code, json, start};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn keys_rotate_reseals_under_the_newest_key_once() -> anyhow::Result<()> {
    let app = start(DbKind::Sqlite, |_| {}).await?;
    let linked = app.link_account("user-keys").await?;
    // The notifier seals a person's contact data under k1.
    let notifier = services::notifier_with(&app, |c| {
        c.encryption_keys = Some(Secret::new(KEYS_K1.to_owned()));
    })
    .await?;
    NotifierServiceClient::with_interceptor(
        tonic::transport::Endpoint::from_shared(notifier.url.clone())?
            .connect()
            .await?,
        Bearer::new(TOKEN)?,
    )
    .upsert_contact(pb::UpsertContactRequest {
        user_id: "user-keys".into(),
        email: "kay@example.com".into(),
        phone: "+14155550114".into(),
        channels: vec![pb::Channel::Email as i32],
        ..Default::default()
    })
    .await?;
    let db_url = app.stack.db.url().to_owned();
    let notifier_db_url = notifier.db_url().to_owned();
    let env = |keys: &'static str| {
        [
            ("PENNY_VERIFICATION_DATABASE_URL", db_url.clone()),
            ("PENNY_VERIFICATION_ENCRYPTION_KEYS", keys.to_owned()),
            ("PENNY_NOTIFIER_DATABASE_URL", notifier_db_url.clone()),
            ("PENNY_NOTIFIER_ENCRYPTION_KEYS", keys.to_owned()),
        ]
    };
    let run = |keys: &'static str| {
        let env = env(keys);
        let app = &app;
        async move {
            let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.pennyctl_with(&["--json", "keys", "rotate"], &env).await
        }
    };
    // Under the same key: nothing to do.
    let same = run(KEYS_K1).await;
    assert_eq!(code(&same), 0, "{same:?}");
    assert_eq!(json(&same)["services"][0]["access_tokens"], 0);
    assert_eq!(json(&same)["services"][1]["contacts"], 0);
    // A new active key: the Item's access token and the contact are re-sealed, once.
    let rotated = run(KEYS_K2_K1).await;
    assert_eq!(code(&rotated), 0, "{rotated:?}");
    let report = json(&rotated);
    assert_eq!(report["services"][0]["active_key"], "k2");
    assert_eq!(report["services"][0]["access_tokens"], 1);
    assert_eq!(report["services"][1]["service"], "notifier");
    assert_eq!(report["services"][1]["active_key"], "k2");
    assert_eq!(report["services"][1]["contacts"], 1);
    let db = penny_verification::store::connect(&db_url).await?;
    let items = item::Entity::find().all(&db).await?;
    assert!(
        items
            .iter()
            .all(|i| i.access_token_key_id.as_deref() == Some("k2"))
    );
    let again = json(&run(KEYS_K2_K1).await);
    assert_eq!(again["services"][0]["access_tokens"], 0);
    assert_eq!(again["services"][1]["contacts"], 0);
    // The contact's addresses are sealed under k2 now, and k2 alone opens them.
    let notifier_db = penny_notifier::store::connect(&notifier_db_url).await?;
    let contacts = contact::Entity::find().all(&notifier_db).await?;
    assert_eq!(contacts.len(), 1);
    for sealed in [&contacts[0].email, &contacts[0].phone] {
        assert!(sealed.as_deref().unwrap().starts_with("k2:"), "{sealed:?}");
    }
    let k2_book = AddressBook::new(Keyring::parse(KEYS_K2_K1.split(',').next().unwrap())?);
    let opened = k2_book.find(&notifier_db, "user-keys").await?.unwrap();
    assert_eq!(opened.email.as_deref().unwrap().as_str(), "kay@example.com");
    assert_eq!(opened.phone.as_deref().unwrap().as_str(), "+14155550114");
    // Sealed under k2 now: a keyring with k2 alone opens every access token.
    let k2_only = Secrets::new(Keyring::parse(KEYS_K2_K1.split(',').next().unwrap())?);
    for row in &items {
        let token = k2_only.open_access_token(
            &row.item_id,
            row.access_token_key_id.as_deref().unwrap(),
            row.access_token_ct.as_deref().unwrap(),
        )?;
        assert!(token.expose().starts_with("access-sandbox-"));
    }
    assert_eq!(
        items.len(),
        1,
        "the one linked Item ({})",
        linked.account_id
    );
    // A malformed keyring is refused (exit 4) and never echoed.
    let bad = run("k3:not-base64").await;
    assert_eq!(code(&bad), 4, "{bad:?}");
    assert!(!String::from_utf8_lossy(&bad.stderr).contains("not-base64"));
    notifier.stop().await?;
    app.stop().await
}
