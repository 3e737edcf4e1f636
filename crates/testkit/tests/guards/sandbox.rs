//! `SandboxServer`: serves on a free port with the reported credentials; stops on drop.

use std::time::Duration;

use penny_testkit::{SandboxServer, poll_until};
use serde_json::{Value, json};

async fn item_get(base_url: &str, client_id: &str, secret: &str) -> anyhow::Result<Value> {
    Ok(reqwest::Client::new()
        .post(format!("{base_url}/item/get"))
        .json(&json!({
            "client_id": client_id,
            "secret": secret,
            "access_token": "access-sandbox-00000000-0000-0000-0000-000000000000",
        }))
        .send()
        .await?
        .json()
        .await?)
}

#[tokio::test]
async fn serves_with_its_credentials_and_stops_on_drop() {
    penny_testkit::init();
    let sandbox = SandboxServer::start().await.unwrap();
    assert_ne!(sandbox.local_addr().port(), 0);
    assert!(sandbox.base_url().starts_with("http://127.0.0.1:"));

    let health = reqwest::get(format!("{}/__sandbox/health", sandbox.base_url()))
        .await
        .unwrap();
    assert!(health.status().is_success());

    // Right credentials get past authentication (the token itself is unknown)...
    let ok = item_get(sandbox.base_url(), sandbox.client_id(), sandbox.secret())
        .await
        .unwrap();
    assert_ne!(ok["error_code"], "INVALID_API_KEYS", "{ok}");
    // ...wrong ones do not.
    let bad = item_get(sandbox.base_url(), sandbox.client_id(), "wrong")
        .await
        .unwrap();
    assert_eq!(bad["error_code"], "INVALID_API_KEYS", "{bad}");

    let args = sandbox.plaid_args();
    assert_eq!(args.plaid_base_url, sandbox.base_url());
    assert_eq!(args.plaid_secret.expose(), sandbox.secret());

    let addr = sandbox.local_addr();
    drop(sandbox);
    poll_until(Duration::from_secs(5), || async {
        tokio::net::TcpStream::connect(addr).await.is_err()
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn stop_reports_a_clean_shutdown() {
    penny_testkit::init();
    let sandbox = SandboxServer::start_with(penny_sandbox::Config {
        client_id: "custom-id".to_owned(),
        ..penny_sandbox::Config::default()
    })
    .await
    .unwrap();
    assert_eq!(sandbox.client_id(), "custom-id");
    sandbox.stop().await.unwrap();
}
