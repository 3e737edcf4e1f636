//! [`Case`]: one fault case's run: the stack as real processes (debug binaries, free ports, the
//! sandbox's clock at real time, SQLite unless the case says otherwise), a linked cohort, the
//! burst triggered, and at the end the effects settled, the figures printed and nothing lost
//! or doubled.

use std::time::{Duration, Instant, SystemTime};

use penny_e2e::burst::{self, Cohort};
use penny_e2e::local::{LocalOptions, LocalStack, Ports};
use penny_e2e::morning::Clients;
use penny_testkit::poll_until;

use super::{Figures, Random, Size};

/// Tries to start the stack when probed ports are taken meanwhile.
const START_ATTEMPTS: u32 = 3;
/// What a service logs when its port was taken.
const PORT_TAKEN: &str = "Address already in use";

/// A running case.
pub struct Case {
    /// Its name (the JSON file's).
    pub name: &'static str,
    /// How large it runs.
    pub size: Size,
    /// Its fault points.
    pub random: Random,
    /// The whole stack.
    pub stack: LocalStack,
    /// penny's gRPC APIs.
    pub clients: Clients,
    /// The linked members.
    pub cohort: Cohort,
    triggered: Instant,
    _dir: tempfile::TempDir,
}

/// Starts the stack in a fresh directory on free ports; again on other ports when one probed
/// free was taken before a service bound it (other tests start servers meanwhile).
async fn start_on_free_ports(
    mut options: LocalOptions,
) -> anyhow::Result<(LocalStack, tempfile::TempDir)> {
    let mut attempt = 1;
    loop {
        let dir = tempfile::tempdir()?;
        options.data_dir = dir.path().to_path_buf();
        options.ports = Ports::free()?;
        match LocalStack::start(options.clone()).await {
            Ok(stack) => return Ok((stack, dir)),
            Err(e) if attempt < START_ATTEMPTS && format!("{e:#}").contains(PORT_TAKEN) => {
                eprintln!("a port was taken while the stack started; again on others");
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

/// A case's effects, counted: recorded, lost, doubled, and a summary for a failure's message.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    /// Effects recorded.
    pub recorded: usize,
    /// Effects missing.
    pub lost: usize,
    /// Effects beyond one each.
    pub doubled: usize,
    /// What was counted, in words.
    pub summary: String,
}

/// When a fault ended (the last restart, resume or clearing returned): recovery is measured
/// from here.
#[derive(Debug, Clone, Copy)]
pub struct FaultEnd {
    instant: Instant,
    wall: SystemTime,
}

impl FaultEnd {
    /// Now.
    pub fn now() -> Self {
        Self {
            instant: Instant::now(),
            wall: SystemTime::now(),
        }
    }
}

impl Case {
    /// Starts the stack (`configure` adjusts its options) and links `short_n` members, or the
    /// full size under `PENNY_FAULTS_FULL=1`.
    pub async fn start(
        name: &'static str,
        short_n: usize,
        configure: impl FnOnce(&mut LocalOptions),
    ) -> anyhow::Result<Self> {
        penny_runtime::install_crypto_provider();
        let size = Size::from_env(short_n);
        let random = Random::from_env();
        let mut options = LocalOptions {
            clock_speed: 1.0,
            ..LocalOptions::defaults("")
        };
        // A webhook's retry delay grows with its delivery count, which every crash or outage
        // redelivery raises too: locally at most 5 s, as the local stack does for the notifier
        // (production: 15 min, so a webhook redelivered by many faults may wait that long).
        options.env.push((
            "penny-verification",
            "PENNY_VERIFICATION_CONSUMER_RETRY_CAP",
            "5s".to_owned(),
        ));
        configure(&mut options);
        let (stack, dir) = start_on_free_ports(options).await?;
        let clients = Clients::connect(&stack).await?;
        eprintln!(
            "{name}: stack up; linking {} (seed {})",
            size.n, random.seed
        );
        let cohort = Cohort::link(&stack, &clients, name, size.n).await?;
        anyhow::ensure!(
            cohort.len() == size.n,
            "linked {} of {}",
            cohort.len(),
            size.n
        );
        Ok(Self {
            name,
            size,
            random,
            stack,
            clients,
            cohort,
            triggered: Instant::now(),
            _dir: dir,
        })
    }

    /// The sandbox verifies every member at once: `n` webhooks leave.
    pub async fn trigger(&mut self) -> anyhow::Result<()> {
        self.begin();
        burst::trigger(&self.stack).await
    }

    /// The load begins now ([`t`](Self::t) counts from here).
    pub fn begin(&mut self) {
        eprintln!("{}: linked; the load begins", self.name);
        self.triggered = Instant::now();
    }

    /// Seconds since the load began.
    pub fn t(&self) -> f64 {
        self.triggered.elapsed().as_secs_f64()
    }

    /// Pushes received so far (the last effect of each member).
    pub fn pushes(&self) -> usize {
        self.stack.push.accepted_count()
    }

    /// Waits a moment chosen at random in `[low, high)`: where the next fault strikes.
    pub async fn pause(&mut self, low: Duration, high: Duration) {
        tokio::time::sleep(self.random.between(low, high)).await;
    }

    /// Settles the burst's effects (the fault ended at `end`), prints the figures (and writes
    /// them in full mode), and fails unless every member has exactly one of each effect,
    /// nothing was parked in `DEAD_LETTERS` and every service still runs.
    pub async fn finish(&mut self, fault: String, end: FaultEnd) -> anyhow::Result<Figures> {
        let deadline = self.size.settle_deadline();
        let effects = burst::settle(&self.stack, &self.clients, &self.cohort, deadline).await?;
        let tally = Tally {
            recorded: effects.recorded(&self.cohort),
            lost: effects.lost(&self.cohort),
            doubled: effects.doubled(&self.cohort),
            summary: effects.to_string(),
        };
        self.report(fault, end, "AUTOMATICALLY_VERIFIED", tally)
            .await
    }

    /// Prints the figures of `tally` (the webhooks counted are those with `webhook_code`),
    /// writes them in full mode, and fails unless nothing was lost, doubled or parked and every
    /// service still runs.
    pub async fn report(
        &mut self,
        fault: String,
        end: FaultEnd,
        webhook_code: &str,
        tally: Tally,
    ) -> anyhow::Result<Figures> {
        let attempts = self.stack.sandbox().webhook_attempts(webhook_code).await?;
        let mut figures = Figures {
            case: self.name.to_owned(),
            fault,
            members: self.cohort.len(),
            effects_recorded: tally.recorded,
            lost: tally.lost,
            doubled: tally.doubled,
            parked: self.dead_letters().await?,
            recovery_seconds: self.recovery(end)?.as_secs_f64(),
            seed: self.random.seed,
            full: self.size.full,
            ..Figures::default()
        };
        figures.count_webhooks(&attempts);
        eprintln!("{figures}");
        if self.size.full {
            figures.write_json()?;
        }
        assert_eq!(
            (figures.lost, figures.doubled, figures.parked),
            (0, 0, 0),
            "{}: {}\n{}",
            figures.fault,
            tally.summary,
            self.stack.logs()
        );
        self.stack.ensure_running()?;
        Ok(figures)
    }

    /// Waits until ingress reports ready again (after an outage of NATS).
    pub async fn ingress_ready(&self) -> anyhow::Result<()> {
        let url = format!("http://127.0.0.1:{}/readyz", self.stack.ports.ingress);
        let http = reqwest::Client::new();
        poll_until(Duration::from_secs(30), || {
            let request = http.get(&url).send();
            async move { request.await.ok()?.status().is_success().then_some(()) }
        })
        .await
    }

    /// Messages parked in `DEAD_LETTERS` (none, when faults lose nothing).
    pub async fn dead_letters(&self) -> anyhow::Result<u64> {
        let client = async_nats::connect(self.stack.nats_url()).await?;
        let js = async_nats::jetstream::new(client);
        let mut stream = js.get_stream(penny_bus::DEAD_LETTERS).await?;
        Ok(stream.info().await?.state.messages)
    }

    /// Stops every part.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.stack.stop().await
    }

    /// From `end` until the last email or push arrived (zero if all came before).
    fn recovery(&self, end: FaultEnd) -> anyhow::Result<Duration> {
        let push = self
            .stack
            .push
            .accepted()
            .iter()
            .map(|r| r.at.saturating_duration_since(end.instant))
            .max()
            .unwrap_or_default();
        let mail = self
            .stack
            .smtp
            .last_arrival()?
            .and_then(|at| at.duration_since(end.wall).ok())
            .unwrap_or_default();
        Ok(push.max(mail))
    }
}
