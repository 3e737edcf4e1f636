//! One trace per webhook, across real processes: the whole stack runs as its binaries
//! (`penny_e2e::local`), configured by the standard `OTEL_EXPORTER_OTLP_ENDPOINT`, exporting to
//! an OTLP receiver inside this test.
//!
//! - A signed AUTH webhook from the sandbox yields one trace holding ingress's receive, verify
//!   and publish spans, verification's consume, webhook, `/auth/get` call, database commit and
//!   outbox publish, and the notifier's consume, send and SMTP transaction; every span's parent
//!   is in the trace and there is one root.
//! - A gRPC call carrying the test's `traceparent` continues the test's trace in the service.
//! - A deposit alert's trace reaches back to the transfer sync that recorded the deposit, and
//!   that sync carries a span link to the poke it served (one sync answers many pokes: links,
//!   not a parent).
//!
//! Context crosses HTTP, NATS headers, the outbox and gRPC.

use std::time::Duration;

use penny_e2e::local::{LocalOptions, LocalStack, Ports};
use penny_e2e::morning::{Clients, steps};
use penny_proto::v1 as pb;
use penny_testkit::{Advance, OtlpReceiver, ReceivedSpan};

const WAIT: Duration = Duration::from_secs(60);
const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_SPAN_ID: &str = "00f067aa0ba902b7";

fn of<'a>(spans: &'a [ReceivedSpan], service: &str, name: &str) -> Vec<&'a ReceivedSpan> {
    spans
        .iter()
        .filter(|s| s.service == service && s.name == name)
        .collect()
}

fn in_trace(spans: &[ReceivedSpan], trace_id: &str) -> Vec<ReceivedSpan> {
    spans
        .iter()
        .filter(|s| s.trace_id == trace_id)
        .cloned()
        .collect()
}

async fn start(otlp: &OtlpReceiver, dir: &std::path::Path) -> anyhow::Result<LocalStack> {
    LocalStack::start(LocalOptions {
        ports: Ports::free()?,
        otlp_endpoint: Some(otlp.endpoint()),
        log_filter: "warn".into(),
        ..LocalOptions::defaults(dir)
    })
    .await
}

/// Registers `user` for email alerts, then links an automated account: its id.
async fn linked(stack: &LocalStack, clients: &mut Clients, user: &str) -> anyhow::Result<String> {
    clients
        .notifier
        .upsert_contact(pb::UpsertContactRequest {
            user_id: user.into(),
            email: format!("{user}@example.com"),
            channels: vec![pb::Channel::Email as i32],
            ..Default::default()
        })
        .await?;
    steps::link_user(
        clients,
        &stack.sandbox(),
        user,
        pb::LinkFlow::Automated,
        None,
    )
    .await
}

/// Whether every span's parent has arrived. Each service exports in batches of its own, so a
/// child can arrive before its parent from another service: wait for this, then check the tree.
fn parents_present(trace: &[ReceivedSpan]) -> bool {
    trace.iter().all(|span| {
        span.parent_span_id.is_empty() || trace.iter().any(|p| p.span_id == span.parent_span_id)
    })
}

/// Every span's parent is in the trace, and exactly one span, `root`, has none.
fn one_tree(trace: &[ReceivedSpan], root: (&str, &str)) {
    let roots: Vec<&ReceivedSpan> = trace
        .iter()
        .filter(|s| s.parent_span_id.is_empty())
        .collect();
    assert_eq!(roots.len(), 1, "one root: {trace:#?}");
    assert_eq!((roots[0].service.as_str(), roots[0].name.as_str()), root);
    for span in trace {
        if !span.parent_span_id.is_empty() {
            assert!(
                trace.iter().any(|p| p.span_id == span.parent_span_id),
                "{span:?} has its parent in the trace"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_auth_webhook_is_one_trace_from_ingress_to_the_email() -> anyhow::Result<()> {
    penny_testkit::init();
    let otlp = OtlpReceiver::start().await?;
    let dir = tempfile::tempdir()?;
    let stack = start(&otlp, dir.path()).await?;
    let mut clients = Clients::connect(&stack).await?;

    // A gRPC call from the test continues the test's trace inside the service.
    let mut request = tonic::Request::new(pb::CreateLinkTokenRequest {
        user_id: "trace-user".into(),
        ..Default::default()
    });
    request.metadata_mut().insert(
        "traceparent",
        format!("00-{TRACE_ID}-{PARENT_SPAN_ID}-01").parse()?,
    );
    clients.verification.create_link_token(request).await?;
    otlp.wait_for(WAIT, |spans| {
        spans
            .iter()
            .find(|s| {
                s.service == "verification"
                    && s.trace_id == TRACE_ID
                    && s.parent_span_id == PARENT_SPAN_ID
            })
            .cloned()
    })
    .await?;
    let link_spans = otlp.trace(TRACE_ID);
    assert!(
        link_spans.iter().any(|s| s.name == "plaid.call"),
        "the /link/token/create call is in the caller's trace: {link_spans:#?}"
    );

    // Link, exchange, then a day passes: the sandbox verifies and sends the signed webhook.
    linked(&stack, &mut clients, "trace-user").await?;
    stack
        .sandbox()
        .advance_clock(Duration::from_secs(86_400))
        .await?;

    let wanted = [
        ("ingress", "ingress.verify"),
        ("ingress", "ingress.publish"),
        ("verification", "consume"),
        ("verification", "verification.webhook"),
        ("verification", "plaid.call"),
        ("verification", "verification.db_commit"),
        ("verification", "outbox.publish"),
        ("notifier", "consume"),
        ("notifier", "notifier.send"),
        ("notifier", "smtp.send"),
    ];
    let trace = otlp
        .wait_for(WAIT, |spans| {
            of(spans, "ingress", "plaid_webhook").iter().find_map(|r| {
                let trace = in_trace(spans, &r.trace_id);
                (wanted
                    .iter()
                    .all(|(service, name)| !of(&trace, service, name).is_empty())
                    && parents_present(&trace))
                .then_some(trace)
            })
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e}: spans {:#?}\n{}", otlp.spans(), stack.logs()))?;
    one_tree(&trace, ("ingress", "plaid_webhook"));
    // The shared batch commit is linked to the webhook's span.
    let commit = of(&trace, "verification", "verification.db_commit")[0];
    assert_eq!(commit.links.len(), 1, "linked to the shared commit span");
    // The email went out inside the alert's send span.
    let send = of(&trace, "notifier", "notifier.send")[0];
    let smtp = of(&trace, "notifier", "smtp.send")[0];
    assert_eq!(smtp.parent_span_id, send.span_id);
    assert_eq!(stack.smtp.count()?, 1, "one email");
    stack.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deposit_alert_traces_back_to_the_sync_and_its_poke() -> anyhow::Result<()> {
    penny_testkit::init();
    let otlp = OtlpReceiver::start().await?;
    let dir = tempfile::tempdir()?;
    let stack = start(&otlp, dir.path()).await?;
    let mut clients = Clients::connect(&stack).await?;
    let account_id = linked(&stack, &mut clients, "deposit-user").await?;

    // The bank posts the deposit, then returns it (R03); each move pokes transfer-events.
    let bank = stack.sandbox();
    let mut post = Advance::to("posted").accounts([account_id.clone()]);
    post.poke = Some(true);
    bank.advance_transfers(&post).await?;
    let mut reverse = Advance::to("reversed")
        .accounts([account_id.clone()])
        .return_code("R03");
    reverse.poke = Some(true);
    bank.advance_transfers(&reverse).await?;

    // The "link again" alert for the reversal: its send span's trace is a sync's trace.
    let (sync, trace) = otlp
        .wait_for(WAIT, |spans| {
            of(spans, "transfer-events", "transfer_events.sync")
                .into_iter()
                .find_map(|sync| {
                    let trace = in_trace(spans, &sync.trace_id);
                    let sent = !of(&trace, "notifier", "notifier.send").is_empty()
                        && !of(&trace, "notifier", "smtp.send").is_empty()
                        && parents_present(&trace);
                    sent.then(|| (sync.clone(), trace))
                })
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e}: spans {:#?}\n{}", otlp.spans(), stack.logs()))?;
    one_tree(&trace, ("transfer-events", "transfer_events.sync"));
    assert!(
        !of(&trace, "transfer-events", "outbox.publish").is_empty(),
        "the deposit event left through the outbox in the sync's trace: {trace:#?}"
    );
    assert!(!of(&trace, "notifier", "consume").is_empty(), "{trace:#?}");

    // The sync links to the poke(s) it served; each link is a poke's consume span in its own
    // trace, which starts at ingress's receive span. Each service exports in batches of its
    // own, so ingress's span may arrive after the notifier's: wait for all of them.
    assert!(!sync.links.is_empty(), "the sync links its pokes: {sync:?}");
    let pokes = otlp
        .wait_for(WAIT, |spans| {
            sync.links
                .iter()
                .map(|(trace_id, span_id)| {
                    let poke = spans
                        .iter()
                        .find(|s| &s.trace_id == trace_id && &s.span_id == span_id)?;
                    let poke_trace = in_trace(spans, trace_id);
                    (!of(&poke_trace, "ingress", "plaid_webhook").is_empty()).then(|| poke.clone())
                })
                .collect::<Option<Vec<_>>>()
        })
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "{e}: every linked poke's consume span and ingress's receive span in its trace; \
                 links {:?}, spans {:#?}",
                sync.links,
                otlp.spans()
            )
        })?;
    for poke in &pokes {
        assert_eq!(
            (poke.service.as_str(), poke.name.as_str()),
            ("transfer-events", "consume")
        );
        assert_ne!(poke.trace_id, sync.trace_id, "a link, not a parent");
    }
    stack.stop().await
}
