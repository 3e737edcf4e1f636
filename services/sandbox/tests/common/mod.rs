//! Shared harness: the sandbox in-process on a free port, a webhook receiver, polling helpers.
#![allow(dead_code)]

use std::future::Future;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use penny_sandbox::{App, Config};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

/// A running sandbox, stopped on drop.
pub struct Sandbox {
    pub base: String,
    pub client: reqwest::Client,
    shutdown: CancellationToken,
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

pub fn init() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}

impl Sandbox {
    pub async fn start() -> Sandbox {
        Self::start_with(Config::default()).await
    }

    pub async fn start_with(cfg: Config) -> Sandbox {
        init();
        let app = App::build(cfg).await.expect("sandbox builds");
        let base = app.base_url();
        let shutdown = CancellationToken::new();
        tokio::spawn(app.run_until_stopped(shutdown.clone()));
        Sandbox {
            base,
            client: reqwest::Client::new(),
            shutdown,
        }
    }

    /// POST a Plaid endpoint with credentials in the headers.
    pub async fn plaid(&self, path: &str, body: Value) -> (u16, Value) {
        let resp = self
            .client
            .post(format!("{}{path}", self.base))
            .header("PLAID-CLIENT-ID", "penny-sandbox-client")
            .header("PLAID-SECRET", "penny-sandbox-secret")
            .json(&body)
            .send()
            .await
            .expect("request sent");
        let status = resp.status().as_u16();
        (status, resp.json().await.expect("json body"))
    }

    /// POST a Plaid endpoint expecting 200.
    pub async fn ok(&self, path: &str, body: Value) -> Value {
        let (status, v) = self.plaid(path, body).await;
        assert_eq!(status, 200, "{path}: {v}");
        v
    }

    pub async fn control(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.expect("request sent");
        let status = resp.status().as_u16();
        (status, resp.json().await.expect("json body"))
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.control(reqwest::Method::POST, path, Some(body)).await
    }

    pub async fn get(&self, path: &str) -> Value {
        let (status, v) = self.control(reqwest::Method::GET, path, None).await;
        assert_eq!(status, 200, "{path}: {v}");
        v
    }

    /// An instant-auth Item: (access_token, item_id).
    pub async fn instant_item(&self, webhook: Option<&str>) -> (String, String) {
        let mut body = json!({"institution_id": "ins_109508", "initial_products": ["auth"]});
        if let Some(url) = webhook {
            body["options"] = json!({"webhook": url});
        }
        let public = self.ok("/sandbox/public_token/create", body).await;
        self.exchange(&public["public_token"]).await
    }

    /// A micro-deposit Item via a link token and Link completion: (access_token, item_id, account_id).
    pub async fn microdeposit_item(&self, webhook: &str) -> (String, String, String) {
        let link = self.ok("/link/token/create", link_request(webhook)).await;
        let (status, done) = self
            .post(
                "/__sandbox/link/complete",
                json!({"link_token": link["link_token"]}),
            )
            .await;
        assert_eq!(status, 200, "{done}");
        let account_id = done["accounts"][0]["id"]
            .as_str()
            .expect("account id")
            .to_owned();
        let (access, item) = self.exchange(&done["public_token"]).await;
        (access, item, account_id)
    }

    pub async fn exchange(&self, public_token: &Value) -> (String, String) {
        let v = self
            .ok(
                "/item/public_token/exchange",
                json!({"public_token": public_token}),
            )
            .await;
        (
            v["access_token"].as_str().expect("access_token").to_owned(),
            v["item_id"].as_str().expect("item_id").to_owned(),
        )
    }

    /// Delivery log entries.
    pub async fn attempts(&self) -> Vec<Value> {
        self.get("/__sandbox/webhooks").await["attempts"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }
}

pub fn link_request(webhook: &str) -> Value {
    json!({
        "client_name": "Penny", "language": "en", "country_codes": ["US"],
        "user": {"client_user_id": "user-1"}, "products": ["auth"],
        "webhook": webhook, "auth": {"automated_microdeposits_enabled": true}
    })
}

/// Sorted keys of a JSON object.
pub fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().expect("object").keys().cloned().collect();
    k.sort();
    k
}

/// Polls `f` until it returns Some, or panics after `deadline`.
pub async fn poll_until<T, F, Fut>(deadline: Duration, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(
            start.elapsed() < deadline,
            "condition not met within {deadline:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A webhook received by [`Receiver`].
#[derive(Clone, Debug)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Received {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("json webhook")
    }
}

#[derive(Clone, Default)]
struct ReceiverState {
    received: Arc<Mutex<Vec<Received>>>,
    status: Arc<AtomicU16>,
}

/// A webhook receiver on a free port answering a settable status (default 200).
pub struct Receiver {
    pub url: String,
    state: ReceiverState,
    shutdown: CancellationToken,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

async fn receive(State(s): State<ReceiverState>, headers: HeaderMap, body: Bytes) -> StatusCode {
    s.received
        .lock()
        .expect("lock")
        .push(Received { headers, body });
    StatusCode::from_u16(s.status.load(Ordering::SeqCst)).expect("status")
}

/// Serves `app` on a free local port until the returned token is cancelled; the URL of its
/// `/webhook` route.
pub async fn serve_webhook_receiver(app: axum::Router) -> (String, CancellationToken) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/webhook", listener.local_addr().expect("addr"));
    let shutdown = CancellationToken::new();
    let token = shutdown.clone();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(token.cancelled_owned())
            .await;
    });
    (url, shutdown)
}

impl Receiver {
    pub async fn start() -> Receiver {
        let state = ReceiverState {
            status: Arc::new(AtomicU16::new(200)),
            ..Default::default()
        };
        let app = axum::Router::new()
            .route("/webhook", axum::routing::post(receive))
            .with_state(state.clone());
        let (url, shutdown) = serve_webhook_receiver(app).await;
        Receiver {
            url,
            state,
            shutdown,
        }
    }

    pub fn set_status(&self, status: u16) {
        self.state.status.store(status, Ordering::SeqCst);
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.received.lock().expect("lock").clone()
    }

    /// Waits until at least `n` webhooks arrived.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        poll_until(Duration::from_secs(10), || async {
            let r = self.received();
            (r.len() >= n).then_some(r)
        })
        .await
    }
}
