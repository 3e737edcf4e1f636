//! The Link funnel over gRPC: the seed's exact session linked to its account, exits after each
//! step, duplicates that change nothing, bad input refused with the field named and nothing
//! stored, and the account's history starting with its Link session.

use chrono::{DateTime, TimeDelta, Utc};
use penny_proto::v1 as pb;
use penny_verification::funnel::script::{exit_after, on_event, seed_session};
use tonic::Code;

use crate::support::{DbKind, LINK_TOKEN, STATUS_TOKEN, TestApp, for_each_db, spawn_app};

async fn record(
    app: &TestApp,
    session: &str,
    user: &str,
    events: Vec<pb::LinkEvent>,
) -> Result<pb::RecordLinkEventsResponse, tonic::Status> {
    let mut client = app.client_with(Some(LINK_TOKEN)).await.unwrap();
    client
        .record_link_events(pb::RecordLinkEventsRequest {
            link_session_id: session.to_owned(),
            user_id: user.to_owned(),
            events,
            flow: pb::LinkFlow::Automated as i32,
        })
        .await
        .map(tonic::Response::into_inner)
}

async fn funnel(app: &TestApp, from: DateTime<Utc>, to: DateTime<Utc>) -> pb::LinkFunnel {
    let mut client = app.client_with(Some(STATUS_TOKEN)).await.unwrap();
    client
        .get_link_funnel(pb::GetLinkFunnelRequest {
            from: Some(penny_verification::events::timestamp(from)),
            to: Some(penny_verification::events::timestamp(to)),
            flow: pb::VerificationFlow::Automated as i32,
        })
        .await
        .unwrap()
        .into_inner()
}

fn reached(funnel: &pb::LinkFunnel, step: pb::LinkFunnelStep) -> u32 {
    funnel
        .steps
        .iter()
        .find(|s| s.step == step as i32)
        .map_or(0, |s| s.sessions)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_funnel_counts_the_seed_session_exits_and_duplicates_once() -> anyhow::Result<()> {
    for_each_db(funnel_on).await
}

async fn funnel_on(kind: DbKind) -> anyhow::Result<()> {
    let app = spawn_app(kind).await?;
    let start = Utc::now() - TimeDelta::hours(1);
    let gap = TimeDelta::seconds(20);

    // The seed's exact session, its onSuccess listing the account Link created; then exchanged.
    let (public_token, accounts) = app.complete_link("user-funnel").await?;
    let account_id = accounts[0].account_id.clone();
    assert_eq!(
        accounts[0].verification_status,
        "pending_automatic_verification"
    );
    let seed = seed_session(start, gap, accounts.clone());
    let first = record(&app, "link-session-seed", "user-funnel", seed.clone()).await?;
    assert_eq!((first.recorded, first.duplicates), (7, 0));
    app.client()
        .await?
        .exchange_public_token(pb::ExchangePublicTokenRequest {
            user_id: "user-funnel".into(),
            public_token,
            accounts,
        })
        .await?;

    // One session exits after each of the seed's first six steps.
    for steps in 1..=6 {
        let events = exit_after(start, gap, steps, "", "requires_credentials");
        record(&app, &format!("link-session-exit-{steps}"), "u-2", events).await?;
    }
    // Two fail at the credentials with Plaid's error, the second sending its events in two
    // calls, out of order.
    let failed = exit_after(start, gap, 3, "INVALID_CREDENTIALS", "requires_credentials");
    record(&app, "link-session-bad-creds-1", "u-3", failed.clone()).await?;
    record(
        &app,
        "link-session-bad-creds-2",
        "u-3",
        failed[3..].to_vec(),
    )
    .await?;
    record(
        &app,
        "link-session-bad-creds-2",
        "u-3",
        failed[..3].to_vec(),
    )
    .await?;

    let window = (start - TimeDelta::minutes(1), Utc::now());
    let before = funnel(&app, window.0, window.1).await;
    assert_eq!(before.sessions, 9);
    assert_eq!(before.successes, 1);
    use pb::LinkFunnelStep as S;
    assert_eq!(reached(&before, S::Opened), 9);
    assert_eq!(reached(&before, S::InstitutionSelected), 8);
    assert_eq!(reached(&before, S::CredentialsSubmitted), 7);
    assert_eq!(reached(&before, S::Mfa), 0);
    assert_eq!(reached(&before, S::Numbers), 4);
    assert_eq!(reached(&before, S::Connected), 3);
    assert_eq!(reached(&before, S::Handoff), 2);
    assert_eq!(reached(&before, S::SuccessPending), 1);
    let numbers = before
        .steps
        .iter()
        .find(|s| s.step == S::Numbers as i32)
        .unwrap();
    assert_eq!(
        numbers.median_from_previous,
        Some(prost_types::Duration {
            seconds: 20,
            nanos: 0
        })
    );
    assert_eq!(
        before.exits[0],
        pb::LinkFunnelExit {
            after_step: S::CredentialsSubmitted as i32,
            error_code: "INVALID_CREDENTIALS".into(),
            exit_status: "requires_credentials".into(),
            sessions: 2,
        }
    );
    assert_eq!(before.exits.len(), 7, "{:?}", before.exits);

    // Duplicates: the seed session resent whole, and with a copy inside the call.
    let mut twice = seed.clone();
    twice.push(seed[0].clone());
    let again = record(&app, "link-session-seed", "user-funnel", twice).await?;
    assert_eq!((again.recorded, again.duplicates), (0, 7));
    assert_eq!(funnel(&app, window.0, window.1).await, before);

    // Bad input: the field is named and nothing of the call is stored (the valid event
    // before the bad one included).
    let mut bad = vec![on_event("OPEN", "", start)];
    let mut no_time = on_event("SELECT_INSTITUTION", "", start);
    no_time.timestamp = None;
    bad.push(no_time);
    let refused = record(&app, "link-session-new", "u-4", bad)
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert!(
        refused.message().starts_with("events[1].timestamp:"),
        "{}",
        refused.message()
    );
    let refused = record(&app, "", "u-4", seed.clone()).await.unwrap_err();
    assert!(refused.message().starts_with("link_session_id:"));
    assert_eq!(funnel(&app, window.0, window.1).await, before);
    // Another user cannot write into someone's session.
    let other = record(&app, "link-session-seed", "u-5", seed.clone())
        .await
        .unwrap_err();
    assert_eq!(other.code(), Code::FailedPrecondition);
    // Scopes: recording needs `link`, reading `status`.
    let mut status_only = app.client_with(Some(STATUS_TOKEN)).await?;
    let denied = status_only
        .record_link_events(pb::RecordLinkEventsRequest {
            link_session_id: "s".into(),
            user_id: "u".into(),
            events: seed.clone(),
            flow: 0,
        })
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
    let bad_range = status_only
        .get_link_funnel(pb::GetLinkFunnelRequest {
            from: Some(penny_verification::events::timestamp(window.1)),
            to: Some(penny_verification::events::timestamp(window.0)),
            flow: 0,
        })
        .await
        .unwrap_err();
    assert_eq!(bad_range.code(), Code::InvalidArgument);
    assert!(bad_range.message().starts_with("to:"));

    // The account's history starts with its Link session.
    let history = status_only
        .get_account_history(pb::GetAccountHistoryRequest {
            account_id: account_id.clone(),
        })
        .await?
        .into_inner();
    assert_eq!(history.account.unwrap().account_id, account_id);
    assert_eq!(history.link_sessions.len(), 1);
    let session = &history.link_sessions[0];
    assert_eq!(session.link_session_id, "link-session-seed");
    assert_eq!(session.flow, pb::VerificationFlow::Automated as i32);
    let names: Vec<&str> = session
        .events
        .iter()
        .map(|e| e.event_name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "OPEN",
            "SELECT_INSTITUTION",
            "SUBMIT_CREDENTIALS",
            "TRANSITION_VIEW",
            "TRANSITION_VIEW",
            "HANDOFF",
            ""
        ]
    );
    assert_eq!(
        history.status_changes.len(),
        0,
        "pending since the exchange"
    );
    let unknown = status_only
        .get_account_history(pb::GetAccountHistoryRequest {
            account_id: "nope".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);
    app.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_resends_of_a_session_store_each_event_once() -> anyhow::Result<()> {
    for_each_db(|kind| async move {
        let app = spawn_app(kind).await?;
        let start = Utc::now() - TimeDelta::minutes(10);
        let events = exit_after(start, TimeDelta::seconds(5), 4, "", "requires_credentials");
        let calls = (0..4).map(|_| record(&app, "link-session-race", "u-race", events.clone()));
        let answers = futures::future::join_all(calls).await;
        let recorded: u32 = answers
            .into_iter()
            .map(|a| a.map(|r| r.recorded))
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .sum();
        assert_eq!(recorded, 6, "4 steps, EXIT and onExit, each stored once");
        let report = funnel(&app, start - TimeDelta::minutes(1), Utc::now()).await;
        assert_eq!(report.sessions, 1);
        assert_eq!(reached(&report, pb::LinkFunnelStep::Numbers), 1);
        app.stop().await
    })
    .await
}
