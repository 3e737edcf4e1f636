//! The harness: [`Env`] (NATS, a database, an SMTP server, a push receiver, an SMS API and a
//! test clock for one scenario) and [`TestApp`] (the notifier on port 0 over it, with typed
//! gRPC clients); domain events published straight to `PENNY_EVENTS` ([`events`]).

pub mod app;
pub mod binary;
pub mod events;

use std::time::Duration;

use chrono::{DateTime, TimeZone as _, Utc};
use penny_notifier::clock::TestClock;
use penny_testkit::{DbKind, NatsServer, PushReceiver, SmsApi, SmtpServer, TestDb};

pub use app::{contact, one_state, swept, verified};
pub use penny_testkit::for_each_db;

/// Bearer tokens the test apps accept.
pub const CONTACTS_TOKEN: &str = "test-contacts-token-0123456789";
pub const STATUS_TOKEN: &str = "test-status-token-0123456789";
pub const ALL_TOKEN: &str = "test-all-token-0123456789";
/// The push signing secret (`whsec_` + base64 of 32 bytes).
pub const PUSH_SECRET: &str = "whsec_dGVzdCBwdXNoIHNpZ25pbmcga2V5LCAzMiBieXRlcyE=";
/// The SMS account.
pub const SMS_SID: &str = "ACtest0123456789";
pub const SMS_TOKEN: &str = "sms-test-token";

/// How long a test waits for an alert to arrive.
pub const ARRIVAL: Duration = Duration::from_secs(30);

/// The `PENNY_NOTIFIER_API_TOKENS` value for the tokens above.
pub fn api_tokens() -> String {
    format!(
        "contacts:{CONTACTS_TOKEN}:contacts,status:{STATUS_TOKEN}:status,all:{ALL_TOKEN}:contacts+status"
    )
}

/// Wednesday 3 March 2027, 10:00 a.m. in New York: an ordinary banking day, daytime everywhere
/// in the US.
pub fn a_weekday_morning() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 3, 3, 15, 0, 0).unwrap()
}

/// Everything one scenario runs against.
pub struct Env {
    pub nats: NatsServer,
    pub db: TestDb,
    pub smtp: SmtpServer,
    pub push: PushReceiver,
    pub sms: SmsApi,
    pub clock: TestClock,
}

impl Env {
    /// Starts it all, the clock at `now`.
    pub async fn start(kind: DbKind, now: DateTime<Utc>) -> anyhow::Result<Env> {
        penny_testkit::init();
        let (nats, db, smtp) =
            tokio::try_join!(NatsServer::start(), TestDb::new(kind), SmtpServer::start())?;
        Ok(Env {
            nats,
            db,
            smtp,
            push: PushReceiver::start(PUSH_SECRET).await?,
            sms: SmsApi::start(SMS_SID, SMS_TOKEN).await?,
            clock: TestClock::starting_at(now),
        })
    }

    /// Business time now.
    pub fn clock_now(&self) -> DateTime<Utc> {
        use penny_notifier::clock::Clock as _;
        self.clock.now()
    }

    /// A JetStream context on the scenario's NATS.
    pub async fn jetstream(&self) -> anyhow::Result<async_nats::jetstream::Context> {
        Ok(async_nats::jetstream::new(self.nats.connect().await?))
    }
}
