//! The HTTP load generator: keep-alive hyper HTTP/1.1 connections, closed loop at a fixed
//! concurrency or open loop at a fixed mean rate (latency measured from the scheduled send time,
//! so queueing is not hidden; see [`crate::arrivals`] for how sends are spaced).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::Request;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;

use crate::arrivals::{self, Arrivals};

/// One prepared request: body and optional `Plaid-Verification`.
#[derive(Clone)]
pub struct Prepared {
    pub body: Bytes,
    pub token: Option<Bytes>,
}

/// What a run measured.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct RunStats {
    pub requests: u64,
    pub ok: u64,
    pub errors: u64,
    pub seconds: f64,
    pub ok_per_sec: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
}

impl RunStats {
    fn from(mut latencies_us: Vec<u32>, ok: u64, errors: u64, elapsed: Duration) -> Self {
        latencies_us.sort_unstable();
        let pct = |p: f64| -> f64 {
            if latencies_us.is_empty() {
                return 0.0;
            }
            let idx = ((latencies_us.len() as f64 * p).ceil() as usize)
                .saturating_sub(1)
                .min(latencies_us.len() - 1);
            f64::from(latencies_us[idx]) / 1000.0
        };
        let seconds = elapsed.as_secs_f64();
        Self {
            requests: ok + errors,
            ok,
            errors,
            seconds,
            ok_per_sec: ok as f64 / seconds,
            p50_ms: pct(0.50),
            p99_ms: pct(0.99),
            p999_ms: pct(0.999),
            max_ms: latencies_us.last().map_or(0.0, |v| f64::from(*v) / 1000.0),
        }
    }
}

async fn connect(addr: SocketAddr) -> anyhow::Result<SendRequest<Full<Bytes>>> {
    let tcp = tokio::net::TcpStream::connect(addr)
        .await
        .context("connect")?;
    tcp.set_nodelay(true)?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp)).await?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(sender)
}

/// Sends one request; true when the answer is 200.
async fn send_one(
    sender: &mut SendRequest<Full<Bytes>>,
    host: &str,
    path: &str,
    p: &Prepared,
) -> anyhow::Result<bool> {
    let mut req = Request::post(path)
        .header(hyper::header::HOST, host)
        .header(hyper::header::CONTENT_TYPE, "application/json");
    if let Some(t) = &p.token {
        req = req.header("plaid-verification", t.as_ref());
    }
    let req = req.body(Full::new(p.body.clone()))?;
    sender.ready().await?;
    let resp = sender.send_request(req).await?;
    let ok = resp.status() == hyper::StatusCode::OK;
    let _ = resp.into_body().collect().await?;
    Ok(ok)
}

/// One connection's count: its latencies (µs), 200s and everything else.
#[derive(Default)]
struct Tally {
    latencies_us: Vec<u32>,
    ok: u64,
    errors: u64,
}

impl Tally {
    /// Sends `p` on `sender` to `addr` (`host` is its text, built once per connection) and
    /// counts the answer; after a transport error it counts an error and reconnects. False when
    /// the server cannot be reached any more.
    async fn send(
        &mut self,
        sender: &mut SendRequest<Full<Bytes>>,
        (addr, host): (SocketAddr, &str),
        path: &str,
        p: &Prepared,
    ) -> bool {
        match send_one(sender, host, path, p).await {
            Ok(true) => self.ok += 1,
            Ok(false) => self.errors += 1,
            Err(_) => {
                self.errors += 1;
                match connect(addr).await {
                    Ok(fresh) => *sender = fresh,
                    Err(_) => return false,
                }
            }
        }
        true
    }

    fn record(&mut self, latency: Duration) {
        self.latencies_us
            .push(u32::try_from(latency.as_micros()).unwrap_or(u32::MAX));
    }
}

/// Opens `n` keep-alive connections to `addr`.
async fn connect_all(addr: SocketAddr, n: usize) -> anyhow::Result<Vec<SendRequest<Full<Bytes>>>> {
    let mut senders = Vec::with_capacity(n);
    for _ in 0..n {
        senders.push(connect(addr).await?);
    }
    Ok(senders)
}

/// Waits for every connection's task and merges their tallies into one run from `started`
/// to the last task's end.
async fn gather(
    workers: impl IntoIterator<Item = tokio::task::JoinHandle<(Tally, Instant)>>,
    started: Instant,
) -> anyhow::Result<RunStats> {
    let mut all = Tally::default();
    let mut finished = started;
    for worker in futures::future::join_all(workers).await {
        let (tally, end) = worker?;
        all.latencies_us.extend(tally.latencies_us);
        all.ok += tally.ok;
        all.errors += tally.errors;
        finished = finished.max(end);
    }
    Ok(RunStats::from(
        all.latencies_us,
        all.ok,
        all.errors,
        finished - started,
    ))
}

/// Closed loop: `concurrency` connections each send the next unused request as soon as the
/// previous answer arrived, until `requests` are used up or `duration` passed.
pub async fn closed_loop(
    addr: SocketAddr,
    path: &'static str,
    requests: Arc<Vec<Prepared>>,
    concurrency: usize,
    duration: Duration,
) -> anyhow::Result<RunStats> {
    let next = Arc::new(AtomicUsize::new(0));
    let senders = connect_all(addr, concurrency).await?;
    let started = Instant::now();
    let deadline = started + duration;
    let workers = senders.into_iter().map(|mut sender| {
        let next = Arc::clone(&next);
        let requests = Arc::clone(&requests);
        let host = addr.to_string();
        tokio::spawn(async move {
            let mut tally = Tally::default();
            tally.latencies_us.reserve(requests.len() / concurrency + 1);
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= requests.len() || Instant::now() >= deadline {
                    break;
                }
                let t0 = Instant::now();
                if !tally
                    .send(&mut sender, (addr, &host), path, &requests[i])
                    .await
                {
                    break;
                }
                tally.record(t0.elapsed());
            }
            (tally, Instant::now())
        })
    });
    gather(workers, started).await
}

/// Open loop at a mean of `rate` requests/s over `connections` keep-alive connections, request
/// `i` due at its time in the `arrivals` schedule and sent on connection `i % connections`. When
/// its connection is still busy at that moment, its latency counts from `due` (so a slow server
/// shows up as latency, not as a lower send rate); when the connection is idle, from the actual
/// send (the timer or the pacer may wake up late; that is the load generator, not the server).
pub async fn open_loop(
    addr: SocketAddr,
    path: &'static str,
    requests: Arc<Vec<Prepared>>,
    rate: f64,
    connections: usize,
    arrivals: Arrivals,
) -> anyhow::Result<RunStats> {
    let senders = connect_all(addr, connections).await?;
    let total = requests.len();
    let due = Arc::new(arrivals.schedule(total, rate));
    let started = Instant::now() + Duration::from_millis(20);
    let feeds = arrivals::feeds(arrivals, &due, started, connections)?;
    let workers = senders
        .into_iter()
        .zip(feeds)
        .map(|(mut sender, mut feed)| {
            let requests = Arc::clone(&requests);
            let due = Arc::clone(&due);
            let host = addr.to_string();
            tokio::spawn(async move {
                let mut tally = Tally::default();
                tally.latencies_us.reserve(total / connections + 1);
                let mut idle_since = started;
                while let Some((i, due_at)) = feed.next(&due, started).await {
                    let measured_from = if idle_since <= due_at {
                        Instant::now()
                    } else {
                        due_at
                    };
                    if !tally
                        .send(&mut sender, (addr, &host), path, &requests[i])
                        .await
                    {
                        break;
                    }
                    idle_since = Instant::now();
                    tally.record(idle_since - measured_from);
                }
                (tally, Instant::now())
            })
        });
    gather(workers, started).await
}
