//! The admin server and gRPC health follow readiness: `/readyz` and `grpc.health.v1` flip
//! together when a check fails and when it recovers, `/healthz` stays up, and `/metrics` serves
//! the registry.

#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures::future::BoxFuture;
use penny_runtime::{AdminServer, GrpcServer, Readiness, Supervisor};
use penny_testkit::poll_until;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::registry::Registry;
use tokio_util::sync::CancellationToken;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

const ANY: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 0);

async fn health(addr: SocketAddr) -> Option<i32> {
    let channel = tonic::transport::Channel::from_shared(format!("http://{addr}"))
        .ok()?
        .connect()
        .await
        .ok()?;
    let reply = HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .ok()?;
    Some(reply.into_inner().status)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_and_grpc_health_follow_the_checks() {
    penny_testkit::init();
    let database_up = Arc::new(AtomicBool::new(true));
    let flag = Arc::clone(&database_up);
    let probe = Arc::new(move || {
        let up = flag.load(Ordering::Relaxed);
        Box::pin(async move {
            if up {
                Ok(())
            } else {
                Err("database unreachable: connection refused".to_owned())
            }
        }) as BoxFuture<'static, Result<(), String>>
    });
    let readiness = Readiness::builder().probe("database", probe).build();
    let mut registry = Registry::with_prefix("penny_test");
    let requests = Counter::<u64>::default();
    registry.register("requests", "Requests", requests.clone());
    requests.inc();

    let admin = AdminServer::bind(ANY).await.unwrap();
    let grpc = GrpcServer::bind(ANY).await.unwrap();
    let (admin_addr, grpc_addr) = (admin.local_addr(), grpc.local_addr());
    let shutdown = CancellationToken::new();
    let mut tasks = Supervisor::new(shutdown.clone(), Duration::from_secs(5));
    tasks.spawn(
        "admin",
        admin.serve(Arc::clone(&readiness), Arc::new(registry), shutdown.clone()),
    );
    tasks.spawn("grpc", grpc.serve(Arc::clone(&readiness), shutdown.clone()));
    tasks.spawn("readiness", {
        let (readiness, shutdown) = (Arc::clone(&readiness), shutdown.clone());
        async move {
            readiness.run(Duration::from_millis(50), shutdown).await;
            Ok(())
        }
    });
    let run = tokio::spawn(tasks.run());

    let http = reqwest::Client::new();
    let get = |path: &'static str| {
        let http = http.clone();
        async move {
            let r = http
                .get(format!("http://{admin_addr}{path}"))
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let ready = || async { get("/readyz").await.0 == 200 };
    poll_until(Duration::from_secs(5), ready).await.unwrap();
    poll_until(Duration::from_secs(5), || async {
        health(grpc_addr).await == Some(ServingStatus::Serving as i32)
    })
    .await
    .unwrap();
    let (status, metrics) = get("/metrics").await;
    assert_eq!(status, 200);
    assert!(metrics.contains("penny_test_requests_total 1"), "{metrics}");

    database_up.store(false, Ordering::Relaxed);
    let (status, body) = poll_until(Duration::from_secs(5), || async {
        let r = get("/readyz").await;
        (r.0 == 503).then_some(r)
    })
    .await
    .unwrap();
    assert_eq!(status, 503);
    assert!(body.contains("connection refused"), "{body}");
    poll_until(Duration::from_secs(5), || async {
        health(grpc_addr).await == Some(ServingStatus::NotServing as i32)
    })
    .await
    .unwrap();
    assert_eq!(get("/healthz").await.0, 200, "alive while not ready");

    database_up.store(true, Ordering::Relaxed);
    poll_until(Duration::from_secs(5), ready).await.unwrap();
    poll_until(Duration::from_secs(5), || async {
        health(grpc_addr).await == Some(ServingStatus::Serving as i32)
    })
    .await
    .unwrap();

    shutdown.cancel();
    run.await.unwrap().unwrap();
}
