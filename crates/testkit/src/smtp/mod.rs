//! A real SMTP server for tests: `aiosmtpd` (Python, installed into `.tools` by the project's
//! bootstrap) writing every message it accepts, as received, into a Maildir (`penny_smtp.py`).
//! Plain, STARTTLS or implicit TLS (certificates from a throwaway CA, [`TlsFiles`]). Free port,
//! temp directory, ready when it greets (with implicit TLS: when it accepts), killed on drop; [`SmtpServer::stop`] and
//! [`SmtpServer::restart`] (same port, same Maildir) simulate an outage.

use std::fs::File;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use anyhow::Context as _;
use tempfile::TempDir;
use tokio::io::AsyncReadExt as _;

mod tls;

pub use tls::TlsFiles;

use crate::mail::ReceivedMail;
use crate::poll_until;
use crate::ports::free_port;
use crate::tools::{find_binary, log_tail};

/// How long a start or restart may take.
const READY_TIMEOUT: Duration = Duration::from_secs(20);

/// The handlers aiosmtpd loads: `RawMaildir` stores each message as received into a Maildir;
/// `SlowOnce` also waits before answering `250` to the first message (a client's timeout then
/// falls between the final dot and the reply).
const HANDLERS: &str = include_str!("penny_smtp.py");

/// A running `aiosmtpd` owned by a test.
#[derive(Debug)]
pub struct SmtpServer {
    dir: TempDir,
    python: PathBuf,
    child: Option<Child>,
    port: u16,
    first_reply_delay: Option<Duration>,
    tls: Option<TlsFiles>,
    mode: Mode,
}

/// How the server protects its connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// No TLS.
    Plain,
    /// STARTTLS offered, and required before mail.
    Starttls,
    /// TLS from the first byte (SMTPS, port 465 in production).
    Implicit,
}

impl SmtpServer {
    /// Starts a server on a free port and waits until it greets. (Python is found through
    /// `$PENNY_AIOSMTPD_PYTHON`, else `<workspace>/.tools/bin/python`, else `PATH`.)
    pub async fn start() -> anyhow::Result<Self> {
        Self::launch_new(None, Mode::Plain).await
    }

    /// Like [`start`](Self::start), but the server offers STARTTLS with a certificate for
    /// `127.0.0.1` and `localhost` from a throwaway CA ([`SmtpServer::tls`]) and refuses mail
    /// before STARTTLS.
    pub async fn start_with_starttls() -> anyhow::Result<Self> {
        Self::launch_new(None, Mode::Starttls).await
    }

    /// Like [`start_with_starttls`](Self::start_with_starttls), but TLS from the first byte
    /// (SMTPS): the greeting comes only after the handshake, so it is ready once it accepts a
    /// connection.
    pub async fn start_with_implicit_tls() -> anyhow::Result<Self> {
        Self::launch_new(None, Mode::Implicit).await
    }

    /// Like [`start`](Self::start), but the first message, once stored, is answered only after
    /// `delay`: a client that gives up sooner cannot know whether it was accepted (the gap
    /// between SMTP's final dot and its `250`).
    pub async fn start_with_first_reply_delayed(delay: Duration) -> anyhow::Result<Self> {
        Self::launch_new(Some(delay), Mode::Plain).await
    }

    async fn launch_new(first_reply_delay: Option<Duration>, mode: Mode) -> anyhow::Result<Self> {
        let python = find_binary("python", "PENNY_AIOSMTPD_PYTHON")?;
        let dir = tempfile::Builder::new()
            .prefix("penny-smtp-")
            .tempdir()
            .context("creating a temp dir for aiosmtpd")?;
        std::fs::write(dir.path().join("penny_smtp.py"), HANDLERS)
            .context("writing the SMTP handlers")?;
        let tls = (mode != Mode::Plain)
            .then(|| tls::make(dir.path()))
            .transpose()?;
        let mut server = Self {
            dir,
            python,
            child: None,
            port: 0,
            first_reply_delay,
            tls,
            mode,
        };
        let mut last = anyhow::anyhow!("aiosmtpd did not start");
        // A free port can be taken by another process before aiosmtpd binds it: try another.
        for _ in 0..5 {
            server.port = free_port()?;
            match server.launch().await {
                Ok(()) => return Ok(server),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    /// The port it listens on (kept across restarts).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The certificate files when it offers TLS (a client trusts [`TlsFiles::ca`]).
    pub fn tls(&self) -> Option<&TlsFiles> {
        self.tls.as_ref()
    }

    /// The Maildir messages are written to.
    pub fn maildir(&self) -> PathBuf {
        self.dir.path().join("maildir")
    }

    /// Kills the server (like a crash or an outage); messages received so far stay.
    pub fn stop(&mut self) -> anyhow::Result<()> {
        if let Some(mut child) = self.child.take() {
            child.kill().context("killing aiosmtpd")?;
            child.wait().context("waiting for aiosmtpd to exit")?;
        }
        Ok(())
    }

    /// Starts it again on the same port with the same Maildir and waits until it greets.
    pub async fn restart(&mut self) -> anyhow::Result<()> {
        self.stop()?;
        self.launch().await
    }

    /// Every message received so far, oldest first.
    pub fn messages(&self) -> anyhow::Result<Vec<ReceivedMail>> {
        let mut files = self.stored()?;
        files.sort();
        files
            .into_iter()
            .map(|(_, path)| ReceivedMail::read(&path))
            .collect()
    }

    /// The server's process id while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// How many messages were received so far (without reading them).
    pub fn count(&self) -> anyhow::Result<usize> {
        let mut n = 0;
        for sub in ["new", "cur"] {
            if let Ok(entries) = std::fs::read_dir(self.maildir().join(sub)) {
                n += entries.count();
            }
        }
        Ok(n)
    }

    /// When the newest message was stored (`None` before the first).
    pub fn last_arrival(&self) -> anyhow::Result<Option<SystemTime>> {
        Ok(self.stored()?.into_iter().map(|(at, _)| at).max())
    }

    /// The stored message files with the time each was written.
    fn stored(&self) -> anyhow::Result<Vec<(SystemTime, PathBuf)>> {
        let mut files = Vec::new();
        for sub in ["new", "cur"] {
            let Ok(entries) = std::fs::read_dir(self.maildir().join(sub)) else {
                continue;
            };
            for entry in entries {
                let path = entry?.path();
                let modified = std::fs::metadata(&path)?.modified()?;
                files.push((modified, path));
            }
        }
        Ok(files)
    }

    /// Waits (up to `timeout`) until at least `n` messages arrived, and returns them.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> anyhow::Result<Vec<ReceivedMail>> {
        poll_until(timeout, || async {
            let messages = self.messages().ok()?;
            (messages.len() >= n).then_some(messages)
        })
        .await
        .with_context(|| {
            let got = self.messages().map(|m| m.len()).unwrap_or_default();
            format!("fewer than {n} messages at the SMTP server (got {got})")
        })
    }

    async fn launch(&mut self) -> anyhow::Result<()> {
        let log = File::options()
            .create(true)
            .append(true)
            .open(self.dir.path().join("aiosmtpd.log"))
            .context("opening aiosmtpd.log")?;
        let mut command = Command::new(&self.python);
        command
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{}", self.port));
        if let Some(tls) = &self.tls {
            let (cert, key) = match self.mode {
                Mode::Implicit => ("--smtpscert", "--smtpskey"),
                Mode::Plain | Mode::Starttls => ("--tlscert", "--tlskey"),
            };
            command.arg(cert).arg(&tls.cert).arg(key).arg(&tls.key);
        }
        command.env("PYTHONPATH", self.dir.path());
        match self.first_reply_delay {
            None => command.args(["-c", "penny_smtp.RawMaildir"]),
            Some(_) => command.args(["-c", "penny_smtp.SlowOnce"]),
        };
        // The handler creates the Maildir's new/, cur/ and tmp/ (kept across restarts).
        command.arg(self.maildir());
        if let Some(delay) = self.first_reply_delay {
            command.arg(delay.as_secs_f64().to_string());
        }
        let child = command
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("spawning {} -m aiosmtpd", self.python.display()))?;
        self.child = Some(child);
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if matches!(self.child.as_mut().map(Child::try_wait), Some(Ok(Some(_)))) {
                self.child = None;
                return Err(self.failure("exited at start-up"));
            }
            let ready = match self.mode {
                Mode::Implicit => accepts(self.port).await,
                Mode::Plain | Mode::Starttls => greets(self.port).await,
            };
            if ready {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(self.failure("never greeted"));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn failure(&self, what: &str) -> anyhow::Error {
        let log = log_tail(&self.dir.path().join("aiosmtpd.log"), 2000);
        anyhow::anyhow!("aiosmtpd on port {} {what}; log tail:\n{log}", self.port)
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

/// Whether something on `port` accepts a TCP connection.
async fn accepts(port: u16) -> bool {
    let connect = tokio::net::TcpStream::connect(("127.0.0.1", port));
    matches!(
        tokio::time::timeout(Duration::from_millis(500), connect).await,
        Ok(Ok(_))
    )
}

/// Whether something on `port` answers a TCP connect with an SMTP `220` greeting.
async fn greets(port: u16) -> bool {
    let connect = tokio::net::TcpStream::connect(("127.0.0.1", port));
    let Ok(Ok(mut stream)) = tokio::time::timeout(Duration::from_millis(500), connect).await else {
        return false;
    };
    let mut greeting = [0u8; 3];
    matches!(
        tokio::time::timeout(Duration::from_secs(2), stream.read_exact(&mut greeting)).await,
        Ok(Ok(_)) if &greeting == b"220"
    )
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};

    use super::*;

    /// Reads one SMTP reply; multi-line replies (EHLO) end with a line whose 4th character
    /// is a space.
    async fn reply(
        lines: &mut tokio::io::Lines<BufReader<tokio::net::tcp::OwnedReadHalf>>,
    ) -> anyhow::Result<String> {
        loop {
            let line = lines.next_line().await?.unwrap_or_default();
            if line.len() < 4 || line.as_bytes()[3] == b' ' {
                return Ok(line);
            }
        }
    }

    /// Sends one message by hand; returns the reply to the final dot.
    async fn send(port: u16, message_id: &str) -> anyhow::Result<String> {
        let stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read).lines();
        reply(&mut lines).await?;
        for command in [
            "EHLO test",
            "MAIL FROM:<a@b.example>",
            "RCPT TO:<c@d.example>",
            "DATA",
        ] {
            write.write_all(format!("{command}\r\n").as_bytes()).await?;
            reply(&mut lines).await?;
        }
        let body = format!(
            "Message-ID: {message_id}\r\nSubject: =?utf-8?b?4oCi4oCi?= hi\r\n\r\nbody\r\n.\r\n"
        );
        write.write_all(body.as_bytes()).await?;
        let done = reply(&mut lines).await?;
        write.write_all(b"QUIT\r\n").await?;
        Ok(done)
    }

    #[tokio::test]
    async fn stores_messages_survives_a_restart_and_can_answer_late() -> anyhow::Result<()> {
        let mut smtp = SmtpServer::start().await?;
        assert!(send(smtp.port(), "<m1@x>").await?.starts_with("250"));
        let got = smtp.wait_for(1, Duration::from_secs(10)).await?;
        assert_eq!(got[0].message_id(), Some("<m1@x>"));
        assert_eq!(got[0].subject(), "•• hi");
        assert_eq!(got[0].recipient(), Some("c@d.example"));
        smtp.stop()?;
        assert!(!greets(smtp.port()).await, "down");
        smtp.restart().await?;
        assert!(send(smtp.port(), "<m2@x>").await?.starts_with("250"));
        assert_eq!(smtp.wait_for(2, Duration::from_secs(10)).await?.len(), 2);

        let slow = SmtpServer::start_with_first_reply_delayed(Duration::from_millis(700)).await?;
        let started = Instant::now();
        send(slow.port(), "<s1@x>").await?;
        assert!(
            started.elapsed() >= Duration::from_millis(700),
            "the first reply waits"
        );
        let started = Instant::now();
        send(slow.port(), "<s2@x>").await?;
        assert!(
            started.elapsed() < Duration::from_millis(700),
            "only the first"
        );
        Ok(())
    }
}
