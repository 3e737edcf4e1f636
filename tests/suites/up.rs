//! `just up` as a product: `penny-up` prints every address, stops cleanly on Ctrl-C (SIGINT),
//! and a second start on the same data directory resumes: what was verified stays verified, its
//! numbers are still served, and transfer-events (whose cursor survived while the sandbox
//! started afresh) records the new run's ACH events.

use std::process::Stdio;
use std::time::Duration;

use penny_e2e::local::{LocalOptions, LocalStack, Ports};
use penny_e2e::morning::{Clients, steps};
use penny_e2e::process::binary;
use penny_proto::v1 as pb;
use penny_testkit::{Advance, poll_until};
use tokio::io::{AsyncBufReadExt as _, BufReader};

const WAIT: Duration = Duration::from_secs(60);
/// How long `penny-up` may take to print its addresses.
const START: Duration = Duration::from_secs(180);

fn options(dir: &std::path::Path) -> anyhow::Result<LocalOptions> {
    Ok(LocalOptions {
        ports: Ports::free()?,
        log_filter: "warn".into(),
        ..LocalOptions::defaults(dir)
    })
}

async fn link(
    stack: &LocalStack,
    clients: &mut Clients,
    user: &str,
    flow: pb::LinkFlow,
) -> anyhow::Result<String> {
    steps::link_user(clients, &stack.sandbox(), user, flow, None).await
}

async fn posted(stack: &LocalStack, clients: &Clients, account_id: &str) -> anyhow::Result<()> {
    let mut post = Advance::to("posted").accounts([account_id.to_owned()]);
    post.poke = Some(true);
    stack.sandbox().advance_transfers(&post).await?;
    steps::wait_deposit(clients, account_id, pb::DepositState::Posted).await
}

async fn status(clients: &mut Clients, account_id: &str) -> anyhow::Result<i32> {
    Ok(clients
        .verification
        .get_account(pb::GetAccountRequest {
            account_id: account_id.into(),
        })
        .await?
        .into_inner()
        .status)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_second_start_resumes_with_the_same_data() -> anyhow::Result<()> {
    penny_testkit::init();
    let dir = tempfile::tempdir()?;

    let stack = LocalStack::start(options(dir.path())?).await?;
    let mut clients = Clients::connect(&stack).await?;
    let first = link(&stack, &mut clients, "ada", pb::LinkFlow::Automated).await?;
    posted(&stack, &clients, &first).await?;
    stack
        .sandbox()
        .advance_clock(Duration::from_secs(86_400))
        .await?;
    poll_until(WAIT, || {
        let mut clients = clients.clone();
        let first = first.clone();
        async move {
            (status(&mut clients, &first).await.ok()? == pb::AccountStatus::Verified as i32)
                .then_some(())
        }
    })
    .await?;
    stack.stop().await?;

    let stack = LocalStack::start(options(dir.path())?).await?;
    let mut clients = Clients::connect(&stack).await?;
    assert_eq!(
        status(&mut clients, &first).await?,
        pb::AccountStatus::Verified as i32,
        "verified before the restart, verified after"
    );
    let numbers = clients
        .verification
        .get_auth_numbers(pb::GetAuthNumbersRequest {
            account_id: first.clone(),
        })
        .await?
        .into_inner();
    assert_eq!(numbers.account, "1111222233330000");
    let events = clients
        .transfers
        .list_events(pb::ListEventsRequest {
            account_id: first.clone(),
            ..Default::default()
        })
        .await?
        .into_inner()
        .events;
    assert_eq!(
        events.len(),
        2,
        "the first run's ACH events are kept: {events:?}"
    );
    // The sandbox started afresh; the new run's events are above the kept cursor.
    let second = link(&stack, &mut clients, "eve", pb::LinkFlow::SameDay).await?;
    posted(&stack, &clients, &second).await?;
    stack.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn penny_up_prints_its_addresses_and_stops_cleanly_on_ctrl_c() -> anyhow::Result<()> {
    penny_testkit::init();
    let dir = tempfile::tempdir()?;
    // The binaries penny-up starts are built (or taken as they are) once, here.
    for (package, bin) in [
        ("penny-sandbox", "penny-sandbox"),
        ("penny-ingress", "penny-ingress"),
        ("penny-verification", "penny-verification"),
        ("penny-transfer-events", "penny-transfer-events"),
        ("penny-notifier", "penny-notifier"),
        ("pennyctl", "pennyctl"),
        ("penny-e2e", "penny-up"),
    ] {
        binary(package, bin)?;
    }
    let mut child = tokio::process::Command::new(binary("penny-e2e", "penny-up")?)
        .env("PENNY_DATA_DIR", dir.path())
        .env("PENNY_UP_PORTS", "free")
        .env("PENNY_E2E_PREBUILT", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| anyhow::anyhow!("no stdout"))?;
    let mut lines = BufReader::new(stdout).lines();
    let mut printed = Vec::new();
    // Longer than penny-up's own wait for any one part, so that its error (with that part's log)
    // is what a failure shows.
    let up = tokio::time::timeout(START, async {
        while let Some(line) = lines.next_line().await? {
            let done = line.contains("Ctrl-C stops everything");
            printed.push(line);
            if done {
                return Ok(());
            }
        }
        anyhow::bail!("penny-up ended before it was up")
    })
    .await;
    if !matches!(up, Ok(Ok(()))) {
        anyhow::bail!(
            "penny-up was not up ({up:?}); it printed {printed:#?}\nlogs:\n{}",
            log_tails(&dir.path().join("logs"))
        );
    }
    for part in [
        "NATS (JetStream)",
        "Plaid sandbox",
        "ingress (Plaid webhooks)",
        "verification gRPC",
        "transfer-events gRPC",
        "notifier gRPC",
        "metrics",
        "SMTP server (mailbox)",
        "SMS API",
        "push endpoint",
    ] {
        assert!(
            printed.iter().any(|l| l.contains(part)),
            "{part} printed: {printed:#?}"
        );
    }
    let pid = child.id().ok_or_else(|| anyhow::anyhow!("no pid"))?;
    std::process::Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()?;
    let status = tokio::time::timeout(WAIT, child.wait()).await??;
    let mut rest = Vec::new();
    while let Some(line) = lines.next_line().await? {
        rest.push(line);
    }
    assert!(status.success(), "penny-up exited with {status}: {rest:#?}");
    assert!(rest.iter().any(|l| l.starts_with("stopped")), "{rest:#?}");
    // Every service stopped with it.
    let logs = std::fs::read_dir(dir.path().join("logs"))?.count();
    assert!(logs >= 6, "each part logged to data/logs");
    Ok(())
}

/// The last lines of every log under `logs` (for a failure's message).
fn log_tails(logs: &std::path::Path) -> String {
    let Ok(entries) = std::fs::read_dir(logs) else {
        return format!("(no {})", logs.display());
    };
    entries
        .filter_map(Result::ok)
        .map(|e| {
            format!(
                "== {}\n{}",
                e.path().display(),
                penny_testkit::log_tail(&e.path(), 1500)
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}
