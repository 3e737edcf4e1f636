//! `penny-demo` (`just demo`): starts the whole of penny as `just up` does, then plays a
//! scripted morning through the public gRPC APIs, as an app backend would (see
//! `penny_e2e::morning`): six users, every flow. A live table shows each account's status
//! (verification), deposit state (transfer-events) and alerts (notifier) as webhooks flow;
//! then the final table and where to look next. The stack keeps running until Ctrl-C
//! (`PENNY_DEMO_EXIT=1`: stop at the end).

#![allow(clippy::print_stdout)] // printing the demo is this binary's job

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use penny_e2e::local::{AlertFeed, DEV_TOKEN, LocalOptions, LocalStack};
use penny_e2e::morning::{self, Clients, DemoAccount, Narrator};

/// How long alerts get to arrive after the last step.
const SETTLE: Duration = Duration::from_secs(30);

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    penny_runtime::install_crypto_provider();
    let started = Instant::now();
    let data =
        std::env::var_os("PENNY_DATA_DIR").map_or_else(|| PathBuf::from("data"), PathBuf::from);
    let options = LocalOptions::defaults(std::path::absolute(&data)?);
    println!(
        "▶ starting penny (nats-server, sandbox, ingress, verification, transfer-events, notifier, SMTP/SMS/push receivers) …"
    );
    let stack = LocalStack::start(options).await?;
    let screen = Arc::new(Screen::new());
    let clients = Clients::connect(&stack).await?;
    let live = tokio::spawn(redraw(screen.clone(), clients.clone()));
    let played = morning::play(&stack, screen.as_ref()).await;
    let played = match played {
        Ok(played) => played,
        Err(e) => {
            live.abort();
            println!("\n✗ the demo failed: {e:#}\n{}", stack.logs());
            stack.stop().await?;
            return Err(e);
        }
    };
    screen.say("waiting for the last alerts …");
    let deadline = Instant::now() + SETTLE;
    let mut last = Vec::new();
    while Instant::now() < deadline {
        let rows = morning::snapshot(&clients, &played).await;
        if rows == last
            && !rows
                .iter()
                .any(|r| r.alerts.iter().any(|a| a.2 == "SENDING"))
        {
            break;
        }
        last = rows;
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    live.abort();
    screen.finish(&morning::render(
        &morning::snapshot(&clients, &played).await,
    ));
    println!(
        "✓ the morning took {:.0} s\n",
        started.elapsed().as_secs_f64()
    );
    let mut feed = AlertFeed::default();
    println!("alerts received (SMTP / SMS / push):");
    for line in feed.new_lines(&stack) {
        println!("  {line}");
    }
    where_next(&stack, &played);
    if std::env::var_os("PENNY_DEMO_EXIT").is_none() {
        println!("\nthe stack keeps running; Ctrl-C stops it");
        penny_runtime::shutdown_on_signal().cancelled().await;
    }
    stack.stop().await
}

/// Redraws the table whenever it changes, until aborted.
async fn redraw(screen: Arc<Screen>, clients: Clients) {
    loop {
        let accounts = screen
            .accounts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if !accounts.is_empty() {
            screen.table(&morning::render(
                &morning::snapshot(&clients, &accounts).await,
            ));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Narration above a table redrawn in place (when stdout is a terminal; otherwise only the
/// narration and the final table are printed).
struct Screen {
    tty: bool,
    /// The table last drawn and how many lines it took.
    drawn: Mutex<(String, usize)>,
    /// The accounts the table shows (none until every account is linked).
    accounts: Mutex<Vec<DemoAccount>>,
}

impl Screen {
    fn new() -> Self {
        Self {
            tty: std::io::stdout().is_terminal(),
            drawn: Mutex::new((String::new(), 0)),
            accounts: Mutex::default(),
        }
    }

    fn erase(&self, lines: usize) {
        if self.tty && lines > 0 {
            print!("\x1b[{lines}A\x1b[J");
        }
    }

    fn table(&self, table: &str) {
        if !self.tty {
            return;
        }
        let mut drawn = self.drawn.lock().unwrap_or_else(PoisonError::into_inner);
        if drawn.0 == table {
            return;
        }
        self.erase(drawn.1);
        print!("{table}");
        *drawn = (table.to_owned(), table.lines().count());
    }

    fn finish(&self, table: &str) {
        let mut drawn = self.drawn.lock().unwrap_or_else(PoisonError::into_inner);
        self.erase(drawn.1);
        println!("\nfinal state:\n{table}");
        *drawn = (String::new(), 0);
    }
}

impl Narrator for Screen {
    fn say(&self, line: &str) {
        let drawn = self.drawn.lock().unwrap_or_else(PoisonError::into_inner);
        self.erase(drawn.1);
        println!("▶ {line}");
        if self.tty {
            print!("{}", drawn.0);
        }
    }

    fn linked(&self, accounts: &[DemoAccount]) {
        *self.accounts.lock().unwrap_or_else(PoisonError::into_inner) = accounts.to_vec();
    }
}

fn where_next(stack: &LocalStack, accounts: &[DemoAccount]) {
    let p = stack.ports;
    let auth = format!("-H 'authorization: Bearer {DEV_TOKEN}'");
    let account = accounts.first().map_or("…", |a| a.account_id.as_str());
    println!("\nwhere to look next:");
    println!(
        "  grpcurl -plaintext {auth} 127.0.0.1:{} list",
        p.verification_grpc
    );
    println!(
        "  grpcurl -plaintext {auth} -d '{{\"account_id\":\"{account}\"}}' 127.0.0.1:{} penny.v1.VerificationService/GetAccount",
        p.verification_grpc
    );
    println!(
        "  grpcurl -plaintext {auth} -d '{{\"account_id\":\"{account}\"}}' 127.0.0.1:{} penny.v1.TransferEventsService/ListEvents",
        p.transfer_events_grpc
    );
    println!(
        "  grpcurl -plaintext {auth} -d '{{\"user_id\":\"ada\"}}' 127.0.0.1:{} penny.v1.NotifierService/ListNotifications",
        p.notifier_grpc
    );
    println!(
        "  PENNY_CTL_TRANSFER_EVENTS_URL=http://127.0.0.1:{} PENNY_CTL_NOTIFIER_URL=http://127.0.0.1:{} cargo run -q -p pennyctl -- account timeline {account}",
        p.transfer_events_grpc, p.notifier_grpc
    );
    println!(
        "  metrics: http://127.0.0.1:{}/metrics http://127.0.0.1:{}/metrics http://127.0.0.1:{}/metrics http://127.0.0.1:{}/metrics",
        p.ingress, p.verification_admin, p.transfer_events_admin, p.notifier_admin
    );
    println!("  mailbox: {}", stack.smtp.maildir().display());
    println!("  logs:    {}", stack.data_dir.join("logs").display());
}
