//! `pennyctl keys rotate`: verification's secrets re-sealed under the newest key with
//! verification's own rotation; idempotent; a bad keyring is refused before anything changes.

use penny_store::Keyring;
use penny_testkit::DbKind;
use penny_verification::store::Secrets;
use penny_verification::store::entities::item;
use sea_orm::EntityTrait;

use crate::support::{KEYS_K1, KEYS_K2_K1, code, json, start};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn keys_rotate_reseals_under_the_newest_key_once() -> anyhow::Result<()> {
    let app = start(DbKind::Sqlite, |_| {}).await?;
    let linked = app.link_account("user-keys").await?;
    let db_url = app.stack.db.url().to_owned();
    let env = |keys: &'static str| {
        [
            ("PENNY_VERIFICATION_DATABASE_URL", db_url.clone()),
            ("PENNY_VERIFICATION_ENCRYPTION_KEYS", keys.to_owned()),
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
    // A new active key: the Item's access token is re-sealed, once.
    let rotated = run(KEYS_K2_K1).await;
    assert_eq!(code(&rotated), 0, "{rotated:?}");
    let report = json(&rotated);
    assert_eq!(report["services"][0]["active_key"], "k2");
    assert_eq!(report["services"][0]["access_tokens"], 1);
    let db = penny_verification::store::connect(&db_url).await?;
    let items = item::Entity::find().all(&db).await?;
    assert!(
        items
            .iter()
            .all(|i| i.access_token_key_id.as_deref() == Some("k2"))
    );
    assert_eq!(
        json(&run(KEYS_K2_K1).await)["services"][0]["access_tokens"],
        0
    );
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
    app.stop().await
}
