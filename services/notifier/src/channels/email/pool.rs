//! SMTP connections, kept open between alerts: at most `pool_size` at once, each reused while
//! it works and dropped at the first error (a connection that failed mid-transaction is never
//! reused). Connecting covers the greeting, TLS (implicit, or STARTTLS) and AUTH.

use std::future::Future;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{
    AsyncSmtpConnection, AsyncTokioStream, Certificate, TlsParameters,
};
use lettre::transport::smtp::extension::ClientId;
use penny_config::Secret;
use tokio::net::TcpStream;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::implicit_tls::{self, ImplicitTls};

/// How the connection is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Security {
    /// No TLS: a local catcher or a relay on the same host only.
    Plain,
    /// Upgrade with STARTTLS (port 587); refused if the server does not offer it.
    Starttls,
    /// Implicit TLS from the first byte (port 465).
    Tls,
}

/// Where and how to connect.
#[derive(Clone, Debug)]
pub struct SmtpSettings {
    /// Server host name (also the TLS name).
    pub host: String,
    /// Port.
    pub port: u16,
    /// Protection.
    pub security: Security,
    /// `AUTH` user and password.
    pub credentials: Option<(String, Secret<String>)>,
    /// Name sent in `EHLO`.
    pub hello_name: String,
    /// Connections at most.
    pub pool_size: usize,
    /// Limit for each step (connect, each command, the message).
    pub timeout: Duration,
    /// CA certificates (PEM) trusted besides the public roots (a private relay).
    pub extra_roots_pem: Option<Vec<u8>>,
}

/// The TLS parameters for `s`: its host's name, checked against the public roots plus
/// `extra_roots_pem`.
pub fn tls_parameters(s: &SmtpSettings) -> Result<TlsParameters, String> {
    let mut builder = TlsParameters::builder(s.host.clone());
    if let Some(pem) = &s.extra_roots_pem {
        let roots = Certificate::from_pem(pem)
            .map_err(|e| describe("reading the extra SMTP CA certificates", &e))?;
        builder = builder.add_root_certificate(roots);
    }
    builder.build().map_err(|e| describe("setting up TLS", &e))
}

/// Checks `s`'s TLS settings (the extra CA certificates above all) without connecting, so a
/// bad file stops the notifier at start-up rather than failing every email.
pub fn check_tls(s: &SmtpSettings) -> Result<(), String> {
    match s.security {
        Security::Plain => Ok(()),
        Security::Starttls => tls_parameters(s).map(drop),
        Security::Tls => implicit_tls::client_config(s).map(drop),
    }
}

/// A pool of connections.
pub struct Pool {
    settings: SmtpSettings,
    idle: Mutex<Vec<AsyncSmtpConnection>>,
    slots: Arc<Semaphore>,
    /// The implicit-TLS client configuration, built at the first such connection and shared by
    /// every later one (start-up already checked that it builds).
    tls_config: OnceLock<Arc<rustls::ClientConfig>>,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("host", &self.settings.host)
            .field("port", &self.settings.port)
            .field("security", &self.settings.security)
            .finish_non_exhaustive()
    }
}

/// A connection taken from the pool, with its slot.
pub struct Pooled {
    /// The connection.
    pub connection: AsyncSmtpConnection,
    _slot: OwnedSemaphorePermit,
}

impl Pool {
    /// An empty pool.
    pub fn new(settings: SmtpSettings) -> Self {
        let slots = Arc::new(Semaphore::new(settings.pool_size.max(1)));
        Self {
            settings,
            idle: Mutex::new(Vec::new()),
            slots,
            tls_config: OnceLock::new(),
        }
    }

    /// The settings.
    pub fn settings(&self) -> &SmtpSettings {
        &self.settings
    }

    /// A working connection: an idle one, or a new one. The error says which step failed
    /// (nothing was sent yet, whatever it is).
    pub async fn get(&self) -> Result<Pooled, String> {
        let slot = Arc::clone(&self.slots)
            .acquire_owned()
            .await
            .map_err(|_| "the SMTP pool is closed".to_owned())?;
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .pop();
        let connection = match idle {
            Some(c) if !c.has_broken() => c,
            _ => self.connect().await?,
        };
        Ok(Pooled {
            connection,
            _slot: slot,
        })
    }

    /// Returns a connection that finished its transaction cleanly.
    pub fn put_back(&self, pooled: Pooled) {
        if pooled.connection.has_broken() {
            return;
        }
        self.idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(pooled.connection);
    }

    /// The implicit-TLS client configuration, built once.
    fn tls_config(&self) -> Result<Arc<rustls::ClientConfig>, String> {
        if let Some(config) = self.tls_config.get() {
            return Ok(Arc::clone(config));
        }
        let built = Arc::new(implicit_tls::client_config(&self.settings)?);
        Ok(Arc::clone(self.tls_config.get_or_init(|| built)))
    }

    async fn connect(&self) -> Result<AsyncSmtpConnection, String> {
        let s = &self.settings;
        let hello = ClientId::Domain(s.hello_name.clone());
        let transport: Box<dyn AsyncTokioStream> = match s.security {
            Security::Plain | Security::Starttls => Box::new(connect_no_delay(s).await?),
            Security::Tls => Box::new(ImplicitTls::connect(s, self.tls_config()?).await?),
        };
        let greet = AsyncSmtpConnection::connect_with_transport(transport, &hello);
        let mut connection = step(s.timeout, "connecting", greet).await?;
        if s.security == Security::Starttls {
            step(
                s.timeout,
                "STARTTLS",
                connection.starttls(tls_parameters(s)?, &hello),
            )
            .await?;
        }
        if let Some((user, password)) = &s.credentials {
            let credentials = Credentials::new(user.clone(), password.expose().clone());
            let mechanisms = [Mechanism::Plain, Mechanism::Login];
            step(
                s.timeout,
                "AUTH",
                connection.auth(&mechanisms, &credentials),
            )
            .await?;
        }
        Ok(connection)
    }
}

/// A TCP connection to the server with `TCP_NODELAY` (plain, STARTTLS, and implicit TLS on top
/// of it, [`ImplicitTls`]). lettre writes a message's body and its
/// final `.` in two writes; with Nagle's algorithm the kernel holds the small second one until
/// the server acknowledges the body, and the server delays that acknowledgement (40 ms on Linux)
/// while it waits for the rest. That stall, once per email, capped a pool of 8 connections at
/// about 130 emails a second on loopback.
pub(super) async fn connect_no_delay(s: &SmtpSettings) -> Result<TcpStream, String> {
    let tcp = match tokio::time::timeout(s.timeout, TcpStream::connect((s.host.as_str(), s.port)))
        .await
    {
        Ok(Ok(tcp)) => tcp,
        Ok(Err(_)) => return Err("connecting with the SMTP server: network error".to_owned()),
        Err(_) => return Err("connecting with the SMTP server timed out".to_owned()),
    };
    tcp.set_nodelay(true)
        .map_err(|_| "connecting with the SMTP server: setting TCP_NODELAY failed".to_owned())?;
    Ok(tcp)
}

/// Runs one connection step under `timeout`, describing a failure.
async fn step<T>(
    timeout: Duration,
    what: &str,
    work: impl Future<Output = Result<T, lettre::transport::smtp::Error>>,
) -> Result<T, String> {
    match tokio::time::timeout(timeout, work).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(describe(what, &e)),
        Err(_) => Err(format!("{what} with the SMTP server timed out")),
    }
}

/// A fixed description of a failed step: its name, the kind of failure and the reply code,
/// never the server's text (it can echo an address).
pub fn describe(what: &str, error: &lettre::transport::smtp::Error) -> String {
    if let Some(code) = error.status() {
        return format!("{what}: the SMTP server answered {code}");
    }
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_tls() {
        "TLS failed"
    } else if error.is_client() {
        "refused by the client (unsupported by the server?)"
    } else if error.is_response() {
        "unreadable answer"
    } else {
        "network error"
    };
    format!("{what} with the SMTP server: {kind}")
}
