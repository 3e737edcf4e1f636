//! `spawn_app()`: a real nats-server, the real sandbox and the ingress on port 0, plus typed
//! helpers to sign webhooks at the sandbox (its typed control client), post them and inspect
//! the stream.

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, EcdsaSigningAlgorithm};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use penny_config::NatsArgs;
use penny_ingress::{App, Config, IngressArgs, Metrics};
use penny_testkit::{NatsServer, SandboxControl, SandboxServer, Signed};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use penny_testkit::{EndpointFault, ForcedError, SignRequest};

pub const STREAM: &str = "PLAID_WEBHOOKS";
pub const KEY_GET: &str = "/webhook_verification_key/get";

/// A running ingress with its own NATS and sandbox; everything stops on drop.
pub struct TestApp {
    pub base: String,
    pub webhook_url: String,
    pub nats: NatsServer,
    pub sandbox: SandboxServer,
    /// The sandbox's control API.
    pub control: SandboxControl,
    pub metrics: Arc<Metrics>,
    pub http: reqwest::Client,
    pub js: jetstream::Context,
    pub shutdown: CancellationToken,
    pub task: Option<JoinHandle<anyhow::Result<()>>>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Like [`spawn_app`], with a chance to change the ingress config first.
pub async fn spawn_app_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
    penny_testkit::init();
    let nats = NatsServer::start().await.expect("nats-server starts");
    let sandbox = SandboxServer::start().await.expect("sandbox starts");
    let mut cfg = Config {
        listen: "127.0.0.1:0".parse().expect("addr"),
        nats: NatsArgs {
            nats_url: nats.url().to_owned(),
        },
        plaid: sandbox.plaid_args(),
        ingress: IngressArgs {
            readiness_interval: Duration::from_millis(100),
            nats_connect_deadline: Duration::from_secs(5),
            shutdown_grace: Duration::from_secs(10),
            ..IngressArgs::default()
        },
        ..Config::default()
    };
    tweak(&mut cfg);
    let app = App::build(cfg).await.expect("ingress builds");
    let base = format!("http://{}", app.local_addr());
    let metrics = app.metrics();
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(app.run_until_stopped(shutdown.clone()));
    let client = nats.connect().await.expect("test NATS client");
    TestApp {
        webhook_url: format!("{base}/webhooks/plaid"),
        base,
        nats,
        control: sandbox.control(),
        sandbox,
        metrics,
        http: reqwest::Client::new(),
        js: jetstream::new(client),
        shutdown,
        task: Some(task),
    }
}

impl TestApp {
    /// A `Plaid-Verification` for `body` signed by the sandbox's current key, `iat` now.
    pub async fn sign(&self, body: &str) -> Signed {
        self.control.sign(body).await.expect("the sandbox signs")
    }

    /// As [`sign`](Self::sign) with a chosen `iat`.
    pub async fn sign_at(&self, body: &str, iat: i64) -> Signed {
        let request = SignRequest {
            body: body.to_owned(),
            iat: Some(iat),
            ..SignRequest::default()
        };
        self.control
            .sign_with(&request)
            .await
            .expect("the sandbox signs")
    }

    /// Posts `body` as Plaid does (JSON content type), with `token` as `Plaid-Verification`.
    pub async fn post(&self, body: impl Into<Vec<u8>>, token: Option<&str>) -> (StatusCode, Value) {
        let mut req = self
            .http
            .post(&self.webhook_url)
            .header("content-type", "application/json")
            .body(body.into());
        if let Some(t) = token {
            req = req.header("Plaid-Verification", t);
        }
        send(req).await
    }

    /// Signs `body` at the sandbox and posts it.
    pub async fn deliver(&self, body: &str) -> (StatusCode, Value) {
        let signed = self.sign(body).await;
        self.post(body, Some(&signed.token)).await
    }

    /// Messages in the webhook stream.
    pub async fn stream_messages(&self) -> u64 {
        let mut stream = self.js.get_stream(STREAM).await.expect("stream exists");
        stream.info().await.expect("stream info").state.messages
    }

    /// The last message on `subject`.
    pub async fn last_on(&self, subject: &str) -> async_nats::jetstream::message::StreamMessage {
        let stream = self.js.get_stream(STREAM).await.expect("stream exists");
        stream
            .get_last_raw_message_by_subject(subject)
            .await
            .expect("a message on the subject")
    }

    /// Rotates the sandbox's signing key; returns (new kid, expired kid).
    pub async fn rotate(&self) -> (String, String) {
        let rotation = self.control.rotate_key().await.expect("key rotation");
        (rotation.kid, rotation.expired_kid)
    }

    /// How many times the sandbox served `path` since the last reset.
    pub async fn sandbox_calls(&self, path: &str) -> u64 {
        self.control
            .stats()
            .await
            .expect("stats")
            .endpoint(path)
            .calls
    }

    /// Adds a sandbox fault.
    pub async fn fault(&self, fault: EndpointFault) {
        self.control
            .add_fault(&fault)
            .await
            .unwrap_or_else(|e| panic!("fault {fault:?} refused: {e:#}"));
    }

    pub async fn get(&self, path: &str) -> (StatusCode, String) {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("GET");
        let status = resp.status();
        (status, resp.text().await.unwrap_or_default())
    }

    /// A raw TCP connection that has sent the head of `POST /webhooks/plaid` (JSON content
    /// type, a junk token) with `header` as one more header line, then `body_start`: for
    /// requests reqwest would not send (chunked floods, bodies that stop arriving).
    pub async fn raw_webhook(&self, header: &str, body_start: &[u8]) -> TcpStream {
        let addr = self.base.trim_start_matches("http://");
        let mut tcp = TcpStream::connect(addr).await.expect("connect");
        let head = format!(
            "POST /webhooks/plaid HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nPlaid-Verification: a.b.c\r\n{header}\r\n\r\n"
        );
        tcp.write_all(head.as_bytes()).await.expect("head");
        tcp.write_all(body_start).await.expect("body start");
        tcp
    }
}

/// Sends a request; returns the status and the JSON body (`Null` when not JSON).
pub async fn send(req: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let resp = req.send().await.expect("request sent");
    let status = resp.status();
    let bytes = resp.bytes().await.unwrap_or_default();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// The start of the server's answer on a raw connection (waits up to 5 s).
pub async fn read_answer(tcp: &mut TcpStream) -> String {
    let mut response = vec![0u8; 1024];
    let n = tokio::time::timeout(Duration::from_secs(5), tcp.read(&mut response))
        .await
        .expect("an answer within 5 s")
        .expect("read");
    String::from_utf8_lossy(&response[..n]).into_owned()
}

/// The error code of a rejection body.
pub fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("<no error code>")
}

pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

pub fn sha256_hex(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

/// An AUTH webhook body the way Plaid writes it (2-space indentation), unique per `item_id`.
pub fn auth_body(item_id: &str) -> String {
    format!(
        "{{\n  \"webhook_type\": \"AUTH\",\n  \"webhook_code\": \"AUTOMATICALLY_VERIFIED\",\n  \"item_id\": \"{item_id}\",\n  \"account_id\": \"acc-{item_id}\",\n  \"environment\": \"sandbox\",\n  \"error\": null\n}}"
    )
}

/// The BANK_TRANSFERS poke: the same bytes every time.
pub const POKE: &str = "{\n  \"webhook_type\": \"BANK_TRANSFERS\",\n  \"webhook_code\": \"BANK_TRANSFERS_EVENTS_UPDATE\",\n  \"environment\": \"sandbox\"\n}";

/// An EC key pair generated in the test (never known to the sandbox).
pub struct OwnKey {
    pub encoding: EncodingKey,
}

pub fn own_key(alg: &'static EcdsaSigningAlgorithm) -> OwnKey {
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(alg, &SystemRandom::new()).expect("keygen");
    OwnKey {
        encoding: EncodingKey::from_ec_der(pkcs8.as_ref()),
    }
}

pub fn own_p256() -> OwnKey {
    own_key(&ECDSA_P256_SHA256_FIXED_SIGNING)
}

/// A JWT with Plaid's claims for `body`, signed with `key` under `alg` and header `kid`.
pub fn forge(key: &EncodingKey, alg: Algorithm, kid: &str, body: &str, iat: i64) -> String {
    let mut header = Header::new(alg);
    header.kid = Some(kid.to_owned());
    let claims = json!({ "iat": iat, "request_body_sha256": sha256_hex(body.as_bytes()) });
    jsonwebtoken::encode(&header, &claims, key).expect("sign")
}

pub fn b64(s: &str) -> String {
    URL_SAFE_NO_PAD.encode(s)
}

/// Replaces the JOSE header of `token` (keeping claims and signature).
pub fn with_header(token: &str, header_json: &str) -> String {
    let mut parts = token.splitn(2, '.');
    let _ = parts.next();
    format!("{}.{}", b64(header_json), parts.next().expect("rest"))
}
