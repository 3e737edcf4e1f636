//! The demo's morning over real processes (`penny_e2e::local`: nats-server, the sandbox,
//! ingress, verification, transfer-events and the notifier as binaries; a real SMTP server, an
//! SMS API and a push endpoint), asserting every final state: each account's status, the numbers
//! served (and refused), every ACH event, every deposit state, and every alert as the person
//! receives it (count and content) and as the notifier records it.

use std::collections::BTreeMap;
use std::time::Duration;

use penny_e2e::local::{LocalOptions, LocalStack, Ports};
use penny_e2e::morning::{self, Clients, DemoAccount, Flow, Narrator};
use penny_proto::v1 as pb;
use penny_testkit::poll_until;
use tonic::Code;

const WAIT: Duration = Duration::from_secs(60);

struct Log;

impl Narrator for Log {
    fn say(&self, line: &str) {
        tracing::info!("{line}");
    }
}

fn id(accounts: &[DemoAccount], flow: Flow) -> String {
    accounts
        .iter()
        .find(|a| a.flow == flow)
        .map(|a| a.account_id.clone())
        .expect("every flow has an account")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_flow_of_the_morning_ends_where_it_should() -> anyhow::Result<()> {
    penny_testkit::init();
    let dir = tempfile::tempdir()?;
    let options = LocalOptions {
        ports: Ports::free()?,
        log_filter: "warn".into(),
        ..LocalOptions::defaults(dir.path())
    };
    let stack = LocalStack::start(options).await?;
    let accounts = match morning::play(&stack, &Log).await {
        Ok(accounts) => accounts,
        Err(e) => anyhow::bail!("{e:#}\n{}", stack.logs()),
    };
    let mut clients = Clients::connect(&stack).await?;

    statuses_and_numbers(&mut clients, &accounts).await?;
    ach_events_and_deposits(&mut clients, &accounts).await?;
    alerts(&stack, &mut clients).await?;
    stack.stop().await
}

async fn statuses_and_numbers(
    clients: &mut Clients,
    accounts: &[DemoAccount],
) -> anyhow::Result<()> {
    use pb::AccountStatus::{Expired, NeedsRelink, Verified};
    let expected = [
        (
            Flow::Automatic,
            Verified,
            Some(("021000021", "1111222233330000")),
        ),
        (Flow::Expires, Expired, None),
        (Flow::Reversed, Expired, None),
        (
            Flow::UpdateMode,
            Verified,
            Some(("021000021", "1111222233330000")),
        ),
        (
            Flow::SameDay,
            Verified,
            Some(("110000000", "1111222233330000")),
        ),
        (Flow::WrongCodes, NeedsRelink, None),
    ];
    for (flow, status, numbers) in expected {
        let account_id = id(accounts, flow);
        let account = clients
            .verification
            .get_account(pb::GetAccountRequest {
                account_id: account_id.clone(),
            })
            .await?
            .into_inner();
        assert_eq!(account.status, status as i32, "{flow:?}: {account:?}");
        let served = clients
            .verification
            .get_auth_numbers(pb::GetAuthNumbersRequest {
                account_id: account_id.clone(),
            })
            .await;
        match (numbers, served) {
            (Some((routing, number)), Ok(served)) => {
                let served = served.into_inner();
                assert_eq!(
                    (served.routing.as_str(), served.account.as_str()),
                    (routing, number),
                    "{flow:?}"
                );
                assert!(served.verified_at.is_some(), "{flow:?}");
            }
            (None, Err(refused)) => {
                assert_eq!(
                    refused.code(),
                    Code::FailedPrecondition,
                    "{flow:?}: {refused:?}"
                );
            }
            (wanted, got) => panic!("{flow:?}: numbers {wanted:?}, served {got:?}"),
        }
    }
    Ok(())
}

async fn ach_events_and_deposits(
    clients: &mut Clients,
    accounts: &[DemoAccount],
) -> anyhow::Result<()> {
    for account in accounts {
        let events = clients
            .transfers
            .list_events(pb::ListEventsRequest {
                account_id: account.account_id.clone(),
                ..Default::default()
            })
            .await?
            .into_inner()
            .events;
        let types: Vec<&str> = events.iter().map(|e| e.plaid_event_type.as_str()).collect();
        let deposit = clients
            .transfers
            .get_deposit_status(pb::GetDepositStatusRequest {
                account_id: account.account_id.clone(),
            })
            .await?
            .into_inner();
        assert!(
            deposit.linked,
            "{:?}: linked through verification's event",
            account.flow
        );
        assert_eq!(deposit.user_id, account.flow.user());
        let summary = deposit.summary.expect("a summary");
        if account.flow == Flow::Reversed {
            assert_eq!(types, ["pending", "posted", "reversed"], "{events:?}");
            assert_eq!(events[2].ach_return_code, "R03");
            assert_eq!(summary.state, pb::DepositState::Reversed as i32);
            assert_eq!(summary.ach_return_code, "R03");
            assert!(!summary.return_reason.is_empty(), "a reason in plain words");
        } else {
            assert_eq!(
                types,
                ["pending", "posted"],
                "{:?}: {events:?}",
                account.flow
            );
            assert_eq!(summary.state, pb::DepositState::Posted as i32);
            assert_eq!(summary.amount_credited, "0.01");
            assert!(summary.available_at.is_some(), "{:?}", account.flow);
        }
        assert!(
            events
                .iter()
                .all(|e| e.amount == "0.01" && e.direction == pb::DepositDirection::Credit as i32),
            "{events:?}"
        );
    }
    Ok(())
}

/// (recipient or user, what) of every alert, counted.
fn counted<I: IntoIterator<Item = (String, String)>>(items: I) -> BTreeMap<(String, String), u32> {
    let mut map = BTreeMap::new();
    for item in items {
        *map.entry(item).or_insert(0) += 1;
    }
    map
}

async fn alerts(stack: &LocalStack, clients: &mut Clients) -> anyhow::Result<()> {
    let ready = "Your account ••••0000 is ready";
    let again = "Please link your account ••••0000 again";
    let mail = |to: &str, subject: &str| (format!("{to}@example.com"), subject.to_owned());
    let expected_mail = counted([
        mail("ada", ready),
        mail("ben", again),
        mail("cy", again),
        mail("cy", again),
        mail("dee", ready),
        mail("dee", "Reconnect your bank for account ••••0000"),
        mail("eve", ready),
        mail("fay", again),
    ]);
    let total: u32 = expected_mail.values().sum();
    let mails = stack
        .smtp
        .wait_for(usize::try_from(total)?, WAIT)
        .await
        .map_err(|e| anyhow::anyhow!("{e:#}\n{}", stack.logs()))?;
    let received = counted(
        mails
            .iter()
            .map(|m| (m.recipient().unwrap_or_default().to_owned(), m.subject())),
    );
    assert_eq!(received, expected_mail);
    for m in &mails {
        let text = m.text().unwrap_or_default();
        assert!(
            !text.contains("1111222233330000"),
            "no account number in an alert: {text}"
        );
        assert!(m.message_id().is_some(), "every email has its Message-ID");
    }

    let texts = poll_until(WAIT, || {
        let texts = stack.sms.accepted();
        async move { (!texts.is_empty()).then_some(texts) }
    })
    .await?;
    assert_eq!(texts.len(), 1, "{texts:?}");
    assert_eq!(texts[0].0, "+14155550101");
    assert!(texts[0].1.contains("is ready"), "{texts:?}");

    let pushes = poll_until(WAIT, || {
        let pushes = stack.push.accepted();
        async move { (pushes.len() >= 2).then_some(pushes) }
    })
    .await?;
    assert_eq!(pushes.len(), 2, "ada's and eve's 'ready' pushes");
    assert_eq!(stack.push.distinct_ids().len(), 2);
    let titles: Vec<String> = pushes
        .iter()
        .map(|p| p.json()["title"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(titles, [ready, ready]);

    // As the notifier records them: the Same-Day reminders ("check your statement") were due
    // at the deposit's available_at, but the account settled first, so they are never sent.
    use pb::AlertKind::{
        AccountVerified, DepositPosted, DepositReversed, LoginRequired, VerificationExpired,
        VerificationFailed,
    };
    use pb::Channel::{Email, Push, Sms};
    use pb::NotificationState::{Sent, Suppressed};
    let expected = [
        (
            "ada",
            vec![
                (AccountVerified, Email, Sent),
                (AccountVerified, Sms, Sent),
                (AccountVerified, Push, Sent),
            ],
        ),
        ("ben", vec![(VerificationExpired, Email, Sent)]),
        (
            "cy",
            vec![
                (VerificationExpired, Email, Sent),
                (DepositReversed, Email, Sent),
            ],
        ),
        (
            "dee",
            vec![(AccountVerified, Email, Sent), (LoginRequired, Email, Sent)],
        ),
        (
            "eve",
            vec![
                (AccountVerified, Email, Sent),
                (AccountVerified, Push, Sent),
                (DepositPosted, Email, Suppressed),
                (DepositPosted, Push, Suppressed),
            ],
        ),
        (
            "fay",
            vec![
                (VerificationFailed, Email, Sent),
                (DepositPosted, Email, Suppressed),
            ],
        ),
    ];
    for (user, wanted) in expected {
        let mut wanted: Vec<(i32, i32, i32)> = wanted
            .into_iter()
            .map(|(k, c, s)| (k as i32, c as i32, s as i32))
            .collect();
        wanted.sort_unstable();
        let client = clients.notifier.clone();
        let got = poll_until(WAIT, || {
            let mut client = client.clone();
            let wanted = wanted.clone();
            async move {
                let list = client
                    .list_notifications(pb::ListNotificationsRequest {
                        user_id: user.into(),
                        ..Default::default()
                    })
                    .await
                    .ok()?
                    .into_inner()
                    .notifications;
                let mut got: Vec<(i32, i32, i32)> =
                    list.iter().map(|n| (n.kind, n.channel, n.state)).collect();
                got.sort_unstable();
                (got == wanted).then_some(got)
            }
        })
        .await;
        assert!(got.is_ok(), "{user}: alerts never became {wanted:?}");
    }
    Ok(())
}
