//! Real HTTP receivers for tests, on free ports, recording every request they get and
//! answering from a script (then a default answer): [`HttpReceiver`] for anything,
//! [`PushReceiver`] checking Standard Webhooks signatures with an independent library
//! (`standardwebhooks`), and [`SmsApi`] in the common SMS-provider shape
//! (`POST /Accounts/{sid}/Messages.json`, basic auth, form body).

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::Context as _;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use tokio_util::sync::CancellationToken;

use crate::poll_until;

mod push;
mod sms;

pub use push::PushReceiver;
pub use sms::SmsApi;

/// One request as a receiver got it, with what it answered.
#[derive(Clone, Debug)]
pub struct Recorded {
    /// Method.
    pub method: Method,
    /// Path and query.
    pub path: String,
    /// Headers.
    pub headers: HeaderMap,
    /// Body.
    pub body: Bytes,
    /// The status answered.
    pub status: u16,
    /// Whether the request passed the receiver's check (a push signature, the SMS API's
    /// path and credentials).
    pub verified: Option<bool>,
    /// When it arrived.
    pub at: std::time::Instant,
}

impl Recorded {
    /// Header `name` as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as JSON (`Null` when it is not).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_default()
    }

    /// The body as a form (`application/x-www-form-urlencoded`).
    pub fn form(&self) -> Vec<(String, String)> {
        sms::form_urlencoded(&self.body)
    }
}

/// An answer.
#[derive(Clone, Debug)]
pub struct Reply {
    /// Status.
    pub status: u16,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// Body (JSON text or plain).
    pub body: String,
}

impl Reply {
    /// `status` with `body`.
    pub fn new(status: u16, body: impl Into<String>) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
}

pub(crate) type Check =
    Arc<dyn Fn(&Method, &str, &HeaderMap, &Bytes) -> Result<(), Reply> + Send + Sync>;
pub(crate) type Answer = Arc<dyn Fn(usize, &Bytes) -> Reply + Send + Sync>;

struct Inner {
    requests: Mutex<Vec<Recorded>>,
    script: Mutex<VecDeque<Reply>>,
    check: Check,
    answer: Answer,
}

/// A recording HTTP server on a free port; stopped on drop.
pub struct HttpReceiver {
    addr: SocketAddr,
    inner: Arc<Inner>,
    stop: CancellationToken,
}

impl std::fmt::Debug for HttpReceiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpReceiver")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl HttpReceiver {
    /// A receiver answering `200 {}` to everything.
    pub async fn start() -> anyhow::Result<Self> {
        Self::with(
            Arc::new(|_, _, _, _| Ok(())),
            Arc::new(|_, _| Reply::new(200, "{}")),
        )
        .await
    }

    pub(crate) async fn with(check: Check, answer: Answer) -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .context("binding a test HTTP receiver")?;
        let addr = listener.local_addr()?;
        let inner = Arc::new(Inner {
            requests: Mutex::new(Vec::new()),
            script: Mutex::new(VecDeque::new()),
            check,
            answer,
        });
        let stop = CancellationToken::new();
        let app = axum::Router::new()
            .fallback(receive)
            .with_state(Arc::clone(&inner));
        let shutdown = stop.clone();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(shutdown.cancelled_owned())
                .await;
        });
        Ok(Self { addr, inner, stop })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Its address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Answers the next requests with `replies`, in order, before the default answer.
    pub fn script(&self, replies: impl IntoIterator<Item = Reply>) {
        lock(&self.inner.script).extend(replies);
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Recorded> {
        lock(&self.inner.requests).clone()
    }

    /// How many requests so far.
    pub fn count(&self) -> usize {
        lock(&self.inner.requests).len()
    }

    /// How many requests so far satisfy `matches` (counted in place: nothing is copied, so a
    /// bench can ask every second without cloning tens of thousands of requests).
    pub fn count_where(&self, matches: impl Fn(&Recorded) -> bool) -> usize {
        lock(&self.inner.requests)
            .iter()
            .filter(|r| matches(r))
            .count()
    }

    /// Waits until at least `n` requests were answered with a 2xx, and returns every request.
    pub async fn wait_for_accepted(
        &self,
        n: usize,
        timeout: Duration,
    ) -> anyhow::Result<Vec<Recorded>> {
        poll_until(timeout, || async {
            let all = self.requests();
            (all.iter()
                .filter(|r| (200..300).contains(&r.status))
                .count()
                >= n)
                .then_some(all)
        })
        .await
        .with_context(|| {
            format!(
                "fewer than {n} accepted requests at {} (got {:?})",
                self.url(),
                self.statuses()
            )
        })
    }

    fn statuses(&self) -> Vec<u16> {
        self.requests().iter().map(|r| r.status).collect()
    }
}

impl Drop for HttpReceiver {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

async fn receive(
    State(inner): State<Arc<Inner>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    let checked = (inner.check)(&method, &path, &headers, &body);
    let scripted = lock(&inner.script).pop_front();
    let index = lock(&inner.requests).len();
    let (reply, verified) = match checked {
        Err(refusal) => (refusal, Some(false)),
        Ok(()) => (
            scripted.unwrap_or_else(|| (inner.answer)(index, &body)),
            Some(true),
        ),
    };
    lock(&inner.requests).push(Recorded {
        method,
        path,
        headers,
        body,
        status: reply.status,
        verified,
        at: std::time::Instant::now(),
    });
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, reply.body).into_response();
    for (name, value) in reply.headers {
        if let (Ok(name), Ok(value)) = (
            axum::http::HeaderName::from_bytes(name.as_bytes()),
            axum::http::HeaderValue::from_str(&value),
        ) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
