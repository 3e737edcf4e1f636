//! `NatsServer`: start, publish with JetStream, restart with the store kept, freeze and thaw,
//! limits, cleanup.

use std::time::Duration;

use async_nats::jetstream::{self, stream};
use penny_testkit::{NatsConfig, NatsServer, poll_until};

async fn file_stream(js: &jetstream::Context, name: &str) -> anyhow::Result<stream::Stream> {
    Ok(js
        .create_stream(stream::Config {
            name: name.to_owned(),
            subjects: vec![format!("{name}.>")],
            storage: stream::StorageType::File,
            ..Default::default()
        })
        .await?)
}

/// Whether a NATS server accepts a connection at `url` within a second.
async fn answers(url: &str) -> bool {
    async_nats::ConnectOptions::new()
        .connection_timeout(Duration::from_secs(1))
        .connect(url)
        .await
        .is_ok()
}

#[tokio::test]
async fn publishes_survive_a_restart_and_clients_reconnect() {
    penny_testkit::init();
    let mut server = NatsServer::start().await.unwrap();
    assert!(server.url().starts_with("nats://127.0.0.1:"));
    let port = server.port();

    let client = server.connect().await.unwrap();
    let js = jetstream::new(client.clone());
    file_stream(&js, "T").await.unwrap();
    js.publish("T.a", "one".into())
        .await
        .unwrap()
        .await
        .unwrap();

    server.stop().unwrap();
    assert!(!server.is_running());
    // Down means down: nobody answers on the port.
    assert!(
        !answers(server.url()).await,
        "server still answers after stop"
    );

    server.restart().await.unwrap();
    assert_eq!(server.port(), port);
    assert!(server.is_running());

    // The same client reconnects by itself and the stream kept its message.
    poll_until(Duration::from_secs(10), || async {
        client.connection_state() == async_nats::connection::State::Connected
    })
    .await
    .unwrap();
    js.publish("T.a", "two".into())
        .await
        .unwrap()
        .await
        .unwrap();
    let mut s = js.get_stream("T").await.unwrap();
    let info = s.info().await.unwrap();
    assert_eq!(
        info.state.messages, 2,
        "message published before the restart lost"
    );
    let first = s.get_raw_message(1).await.unwrap();
    assert_eq!(&first.payload[..], b"one");
}

#[tokio::test]
async fn a_frozen_server_is_silent_and_catches_up_when_thawed() {
    penny_testkit::init();
    let mut server = NatsServer::start().await.unwrap();
    let client = server.connect().await.unwrap();
    let js = jetstream::new(client.clone());
    file_stream(&js, "F").await.unwrap();

    server.freeze().await.unwrap();
    assert!(server.is_running(), "a frozen server is not dead");
    let ack = js.publish("F.a", "held".into()).await.unwrap();
    let silent = tokio::time::timeout(Duration::from_millis(500), ack).await;
    assert!(silent.is_err(), "a frozen server answered");
    assert_eq!(
        client.connection_state(),
        async_nats::connection::State::Connected,
        "the connection looks fine from the client"
    );

    server.thaw().unwrap();
    // What was sent while frozen is processed once the server runs again.
    poll_until(Duration::from_secs(10), || async {
        let mut s = js.get_stream("F").await.ok()?;
        (s.info().await.ok()?.state.messages == 1).then_some(())
    })
    .await
    .unwrap();
    js.publish("F.a", "after".into())
        .await
        .unwrap()
        .await
        .unwrap();

    // Dropping a frozen server still kills it.
    server.freeze().await.unwrap();
    let url = server.url().to_owned();
    drop(server);
    assert!(!answers(&url).await, "a frozen server survived its drop");
}

#[tokio::test]
async fn a_full_file_store_rejects_publishes() {
    penny_testkit::init();
    let server = NatsServer::start_with_config(NatsConfig {
        max_file_store: Some(64 * 1024),
        ..NatsConfig::default()
    })
    .await
    .unwrap();
    let js = jetstream::new(server.connect().await.unwrap());
    file_stream(&js, "FULL").await.unwrap();
    let payload = bytes::Bytes::from(vec![b'x'; 1024]);
    let mut rejected = None;
    for i in 0..1000 {
        let ack = async { js.publish("FULL.x", payload.clone()).await?.await };
        if let Err(e) = ack.await {
            rejected = Some((i, e));
            break;
        }
    }
    let (i, e) = rejected.expect("1 MiB fitted into a 64 KiB store");
    assert!(i > 0, "the first publish already failed: {e}");
}

#[tokio::test]
async fn drop_kills_the_server_and_removes_its_store() {
    penny_testkit::init();
    let server = NatsServer::start().await.unwrap();
    let (url, store) = (server.url().to_owned(), server.store_dir());
    assert!(store.exists());
    drop(server);
    assert!(!store.exists());
    assert!(!answers(&url).await, "server still answers after drop");
}
