//! No plaintext access token or account number anywhere in the database (on SQLite every byte
//! of the file, WAL included; on PostgreSQL every row of every table) or in the logs of the
//! real binary; key rotation re-seals everything.

use std::time::Duration;

use penny_plaid::VerificationStatus;
use penny_proto::v1 as pb;
use penny_store::Keyring;
use penny_verification::store::{Secrets, accounts, rotate};

use crate::support::binary::{Binary, RunOptions};
use crate::support::{DbKind, Stack, TestApp, for_each_db, spawn_app, start_stack};

const WAIT: Duration = Duration::from_secs(20);

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_secret_in_the_database_or_the_logs() -> anyhow::Result<()> {
    for_each_db(no_secret_in_the_database_or_the_logs_on).await
}

async fn no_secret_in_the_database_or_the_logs_on(kind: DbKind) -> anyhow::Result<()> {
    let stack = start_stack(kind).await?;
    let logs = tempfile::tempdir()?;
    let keys = Keyring::generate_key("k1")?;
    let port = penny_testkit::free_port()?;
    let mut binary = Binary::spawn(
        &stack,
        &logs.path().join("service.log"),
        &RunOptions {
            grpc_port: port,
            encryption_keys: Some(keys.clone()),
            log_filter: Some("debug,h2=info,hyper=info,tower=info"),
            ..RunOptions::default()
        },
    )?;
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let app = TestApp::external(&stack, addr, &keys).await?;
    // Wait for the binary to serve.
    penny_testkit::poll_until(WAIT, || async { app.client().await.is_ok() }).await?;

    let (public_token, link_accounts) = app.complete_link("user-secrets").await?;
    let exchanged = app
        .client()
        .await?
        .exchange_public_token(pb::ExchangePublicTokenRequest {
            user_id: "user-secrets".into(),
            public_token: public_token.clone(),
            accounts: link_accounts,
        })
        .await?
        .into_inner();
    let account_id = exchanged.accounts[0].account_id.clone();
    let access_token = app.access_token(&exchanged.item_id).await?;
    app.stack
        .plaid
        .sandbox_item_set_verification_status(
            &access_token,
            &account_id,
            &VerificationStatus::AutomaticallyVerified,
        )
        .await?;
    app.wait_for_status(&account_id, pb::AccountStatus::Verified, WAIT)
        .await?;
    let numbers = app
        .client()
        .await?
        .get_auth_numbers(pb::GetAuthNumbersRequest {
            account_id: account_id.clone(),
        })
        .await?
        .into_inner();
    binary.terminate(Duration::from_secs(15)).await?;

    let mut secrets = vec![
        access_token.expose().to_owned(),
        public_token,
        numbers.account.clone(),
        numbers.routing.clone(),
    ];
    if !numbers.wire_routing.is_empty() {
        secrets.push(numbers.wire_routing.clone());
    }
    // Sanity: the values are real.
    assert!(access_token.expose().starts_with("access-"));
    assert!(numbers.account.len() >= 8);

    let (what, stored) = match kind {
        DbKind::Sqlite => ("the SQLite files", sqlite_bytes(&stack)),
        DbKind::Postgres => ("the PostgreSQL rows", postgres_rows(&app.db).await?),
    };
    for secret in &secrets {
        assert!(
            !contains(&stored, secret),
            "{what} hold a secret in plaintext"
        );
    }
    // Ids are stored in plaintext, so the scan provably looks at the data.
    assert!(
        contains(&stored, &account_id),
        "the scan of {what} sees stored ids"
    );

    let log = std::fs::read(&binary.log)?;
    assert!(
        contains(&log, "account status changed"),
        "logs were written"
    );
    assert!(contains(&log, &account_id), "logs mention the account id");
    for secret in &secrets {
        assert!(!contains(&log, secret), "the logs hold a secret");
    }
    Ok(())
}

/// Every byte of the SQLite database: the file, its WAL and shared memory (free pages and
/// not-yet-checkpointed writes included).
fn sqlite_bytes(stack: &Stack) -> Vec<u8> {
    let db_path = stack.db.sqlite_path().expect("sqlite");
    let mut all = Vec::new();
    for suffix in ["", "-wal", "-shm"] {
        let mut name = db_path.as_os_str().to_owned();
        name.push(suffix);
        if let Ok(bytes) = std::fs::read(std::path::PathBuf::from(name)) {
            all.extend_from_slice(&bytes);
        }
    }
    all
}

/// Every row of every table of the PostgreSQL database as text, with `bytea` columns shown as
/// escaped bytes (printable ASCII kept as is, so a plaintext value in a blob column shows).
async fn postgres_rows(db: &sea_orm::DatabaseConnection) -> anyhow::Result<Vec<u8>> {
    use sea_orm::{ConnectionTrait as _, Statement, TransactionTrait as _};
    let backend = db.get_database_backend();
    let txn = db.begin().await?;
    txn.execute_unprepared("SET LOCAL bytea_output = 'escape'")
        .await?;
    let tables = txn
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
        ))
        .await?;
    let mut all = Vec::new();
    for table in tables {
        let name: String = table.try_get_by_index(0)?;
        let rows = txn
            .query_all_raw(Statement::from_string(
                backend,
                format!("SELECT row_to_json(t)::text FROM \"{name}\" t"),
            ))
            .await?;
        for row in rows {
            let text: String = row.try_get_by_index(0)?;
            all.extend_from_slice(text.as_bytes());
            all.push(b'\n');
        }
    }
    txn.rollback().await?;
    Ok(all)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rotate_keys_reseals_tokens_and_numbers_under_the_active_key() -> anyhow::Result<()> {
    for_each_db(rotate_keys_reseals_tokens_and_numbers_under_the_active_key_on).await
}

async fn rotate_keys_reseals_tokens_and_numbers_under_the_active_key_on(
    kind: DbKind,
) -> anyhow::Result<()> {
    let app = spawn_app(kind).await?;
    let linked = app.verified_account("user-rotate").await?;
    let old = app.secrets.clone();
    let (sealed, _) = accounts::numbers(&app.db, &linked.account_id)
        .await?
        .expect("numbers");
    let before = old.open_numbers(&linked.account_id, &sealed)?;
    let old_key = penny_verification::config::INSECURE_DEV_KEYRING;
    assert_eq!(sealed.key_id, old_key.split(':').next().unwrap_or_default());

    let new_key = Keyring::generate_key("k2")?;
    let both = Secrets::new(Keyring::parse(&format!("{new_key},{old_key}"))?);
    let report = rotate::rotate_keys(&app.db, &both).await?;
    assert_eq!(
        (report.access_tokens, report.numbers, report.skipped),
        (1, 1, 0)
    );
    // Again: nothing left to do.
    assert_eq!(rotate::rotate_keys(&app.db, &both).await?.access_tokens, 0);

    // Only the new key is needed now.
    let only_new = Secrets::new(Keyring::parse(&new_key)?);
    let (sealed, _) = accounts::numbers(&app.db, &linked.account_id)
        .await?
        .expect("numbers");
    assert_eq!(sealed.key_id, "k2");
    assert_eq!(only_new.open_numbers(&linked.account_id, &sealed)?, before);
    let item = penny_verification::store::items::find(&app.db, &linked.item_id)
        .await?
        .expect("item");
    let token = penny_verification::store::items::access_token(&only_new, &item)?.expect("token");
    assert_eq!(token, linked.access_token);
    app.stop().await
}
