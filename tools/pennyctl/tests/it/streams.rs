//! `pennyctl streams apply` is the one owner of stream settings: an operator's 10 GiB
//! PLAID_WEBHOOKS stays 10 GiB when verification or ingress restart (they only create a stream
//! that is missing), and `streams show` reports each consumer.

use std::net::SocketAddr;
use std::process::Output;

use async_nats::jetstream;
use penny_testkit::{NatsServer, TempSqlite};
use tokio_util::sync::CancellationToken;

const TEN_GIB: i64 = 10 << 30;

async fn pennyctl(nats: &NatsServer, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_pennyctl"));
    command.args(args).env("PENNY_NATS_URL", nats.url());
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().await.unwrap()
}

async fn webhooks_max_bytes(js: &jetstream::Context) -> i64 {
    let mut stream = js.get_stream(penny_bus::PLAID_WEBHOOKS).await.unwrap();
    stream.info().await.unwrap().config.max_bytes
}

/// Builds and runs verification on `nats` until the returned token is cancelled.
async fn start_verification(
    nats: &NatsServer,
    db: &TempSqlite,
) -> (
    CancellationToken,
    tokio::task::JoinHandle<anyhow::Result<()>>,
) {
    let mut config = penny_verification::Config {
        grpc_listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        admin_listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        database_url: db.url().into(),
        ..Default::default()
    };
    config.nats.nats_url = nats.url().to_owned();
    let app = penny_verification::App::build(config).await.unwrap();
    let token = CancellationToken::new();
    let task = tokio::spawn(app.run_until_stopped(token.clone()));
    (token, task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn applied_settings_survive_restarts_of_the_services() {
    penny_testkit::init();
    let nats = NatsServer::start().await.unwrap();
    let js = jetstream::new(nats.connect().await.unwrap());

    let applied = pennyctl(
        &nats,
        &["streams", "apply"],
        &[("PENNY_STREAMS_WEBHOOKS_MAX_BYTES", "10GiB")],
    )
    .await;
    assert!(applied.status.success(), "{applied:?}");
    let table = String::from_utf8_lossy(&applied.stdout);
    assert!(table.contains("PLAID_WEBHOOKS  created"), "{table}");
    assert_eq!(webhooks_max_bytes(&js).await, TEN_GIB);

    // Verification starts (with its development default of creating missing streams), stops
    // and starts again; ingress starts with its own default of 1 GiB for a missing stream.
    let db = TempSqlite::new().unwrap();
    for _ in 0..2 {
        let (token, task) = start_verification(&nats, &db).await;
        token.cancel();
        task.await.unwrap().unwrap();
        assert_eq!(
            webhooks_max_bytes(&js).await,
            TEN_GIB,
            "after a verification run"
        );
    }
    let ingress = penny_ingress::App::build(penny_ingress::Config {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        nats: penny_config::NatsArgs {
            nats_url: nats.url().to_owned(),
        },
        ..Default::default()
    })
    .await
    .unwrap();
    drop(ingress);
    assert_eq!(
        webhooks_max_bytes(&js).await,
        TEN_GIB,
        "after an ingress start"
    );

    // The owner changes it back: reported as updated; applying again changes nothing.
    let again = pennyctl(&nats, &["streams", "apply"], &[]).await;
    let table = String::from_utf8_lossy(&again.stdout);
    assert!(table.contains("PLAID_WEBHOOKS  updated"), "{table}");
    assert!(table.contains("PENNY_EVENTS    unchanged"), "{table}");
    assert_eq!(webhooks_max_bytes(&js).await, 1 << 30);

    // `show` lists the streams and verification's durable consumer.
    let shown = pennyctl(&nats, &["streams", "show"], &[]).await;
    assert!(shown.status.success(), "{shown:?}");
    let text = String::from_utf8_lossy(&shown.stdout);
    assert!(text.contains("DEAD_LETTERS"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("PLAID_WEBHOOKS") && l.contains("verification")),
        "{text}"
    );
    let json = pennyctl(&nats, &["streams", "show", "--json"], &[]).await;
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(value["streams"][0]["max_bytes"], 1 << 30);
}

#[tokio::test]
async fn bad_settings_are_refused_and_nothing_is_created() {
    penny_testkit::init();
    let nats = NatsServer::start().await.unwrap();
    let js = jetstream::new(nats.connect().await.unwrap());
    let refused = pennyctl(
        &nats,
        &["streams", "apply"],
        &[("PENNY_STREAMS_WEBHOOKS_MAX_BYTES", "10GB")],
    )
    .await;
    assert!(!refused.status.success());
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("unknown size unit"), "{err}");
    assert!(!penny_bus::streams::stream_exists(&js, penny_bus::PLAID_WEBHOOKS).await);
}
