//! `penny-demo`: the whole pipeline on one machine. Starts NATS, the Plaid sandbox, ingress and
//! verification, then walks one account through Link, token exchange, micro-deposit verification
//! (a signed AUTH webhook through ingress and JetStream) and reads the verified numbers over gRPC,
//! printing each step; then a Same-Day account confirmed through Link's update mode.

#![allow(clippy::print_stdout)] // printing the walkthrough is this binary's job

use std::time::Duration;

use anyhow::Context as _;
use futures::StreamExt as _;
use penny_config::{LogFormat, TelemetryArgs};
use penny_e2e::{Pipeline, PipelineOptions};
use penny_proto::v1::{
    AccountStatus, CreateLinkTokenRequest, CreateUpdateLinkTokenRequest,
    ExchangePublicTokenRequest, GetAccountRequest, GetAuthNumbersRequest, LinkFlow,
    RefreshAccountRequest, UpdateReason, WatchAccountsRequest,
};
use penny_testkit::LinkCompletion;

const USER: &str = "demo-user-1";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    penny_runtime::install_crypto_provider();
    let telemetry = TelemetryArgs {
        log_format: LogFormat::Pretty,
        log_filter: std::env::var("PENNY_LOG_FILTER").unwrap_or_else(|_| "error".into()),
        otlp_endpoint: std::env::var("PENNY_OTLP_ENDPOINT").ok(),
    };
    let _telemetry = penny_telemetry::init("penny-demo", &telemetry)?;

    step("starting nats-server (JetStream), the Plaid sandbox, ingress and verification");
    let pipeline = Pipeline::start(PipelineOptions::default()).await?;
    detail(&format!("NATS          {}", pipeline.stack.nats.url()));
    detail(&format!(
        "sandbox       {}",
        pipeline.stack.sandbox.base_url()
    ));
    detail(&format!("ingress       {}", pipeline.webhook_url()));
    detail(&format!(
        "verification  grpc://{}",
        pipeline.verification_addr
    ));
    let mut grpc = pipeline.grpc().await?;

    step("CreateLinkToken: Plaid /link/token/create, auth with automated micro-deposits");
    let link = grpc
        .create_link_token(CreateLinkTokenRequest {
            user_id: USER.into(),
            legal_name: "Ada Lovelace".into(),
            ..Default::default()
        })
        .await?
        .into_inner();
    detail(&format!("link_token {}…", prefix(&link.link_token, 24)));

    step("the user finishes Link at Houndstooth Bank (user_good / microdeposits_good)");
    let public_token = pipeline
        .stack
        .control
        .complete_link(&link.link_token)
        .await?
        .public_token;
    detail(&format!("public_token {}…", prefix(&public_token, 24)));

    step("ExchangePublicToken: the access token is stored encrypted, accounts as pending");
    let exchanged = grpc
        .exchange_public_token(ExchangePublicTokenRequest {
            user_id: USER.into(),
            public_token,
            accounts: vec![],
        })
        .await?
        .into_inner();
    let account = exchanged.accounts.first().context("no account")?.clone();
    detail(&format!(
        "item {} · account {} · {} ••••{} · status {}",
        exchanged.item_id,
        account.account_id,
        account.name,
        account.mask,
        status_name(account.status)
    ));

    step("GetAuthNumbers before verification is refused");
    let refused = grpc
        .get_auth_numbers(GetAuthNumbersRequest {
            account_id: account.account_id.clone(),
        })
        .await;
    match refused {
        Err(status) => detail(&format!("{:?}: {}", status.code(), status.message())),
        Ok(_) => anyhow::bail!("numbers were served before verification"),
    }

    step("a day passes at the bank: the sandbox clock jumps 24 h and Plaid verifies the deposit");
    let mut watch = grpc
        .watch_accounts(WatchAccountsRequest {
            user_id: USER.into(),
        })
        .await?
        .into_inner();
    pipeline
        .stack
        .control
        .advance_clock(Duration::from_secs(86_400))
        .await?;
    detail("Plaid → signed AUTH/AUTOMATICALLY_VERIFIED → ingress (JWT verified) → JetStream");
    detail(
        "→ verification → /auth/get → numbers encrypted → outbox → penny.event.account.verified",
    );
    let change = tokio::time::timeout(Duration::from_secs(30), watch.next())
        .await
        .context("no status change within 30 s")?
        .context("watch stream ended")??;
    let changed = change.account.context("change without account")?;
    detail(&format!(
        "WatchAccounts: {} → {} ({})",
        status_name(change.previous_status),
        status_name(changed.status),
        change.cause
    ));

    step("GetAccount and GetAuthNumbers (scope `numbers`)");
    let now = grpc
        .get_account(GetAccountRequest {
            account_id: account.account_id.clone(),
        })
        .await?
        .into_inner();
    detail(&format!("status {}", status_name(now.status)));
    let numbers = grpc
        .get_auth_numbers(GetAuthNumbersRequest {
            account_id: account.account_id.clone(),
        })
        .await?
        .into_inner();
    detail(&format!(
        "routing {} · account ••••{} (full number served to the caller, never logged)",
        numbers.routing,
        suffix(&numbers.account, 4)
    ));

    same_day(&pipeline, &mut grpc).await?;

    step("done: stopping the pipeline");
    pipeline.stop().await?;
    Ok(())
}

/// A Same-Day account beside the automated one: typed numbers, the deposit, the code confirmed
/// in Link's update mode, then `RefreshAccount` as the app calls after `onSuccess`.
async fn same_day(pipeline: &Pipeline, grpc: &mut penny_e2e::GrpcClient) -> anyhow::Result<()> {
    const SAME_DAY_USER: &str = "demo-user-2";
    step("CreateLinkToken with flow SAME_DAY: the user types routing and account numbers");
    let link = grpc
        .create_link_token(CreateLinkTokenRequest {
            user_id: SAME_DAY_USER.into(),
            flow: LinkFlow::SameDay as i32,
            ..Default::default()
        })
        .await?
        .into_inner();
    let done = pipeline
        .stack
        .control
        .complete_link_with(&LinkCompletion::same_day(&link.link_token))
        .await?;
    let exchanged = grpc
        .exchange_public_token(ExchangePublicTokenRequest {
            user_id: SAME_DAY_USER.into(),
            public_token: done.public_token,
            accounts: vec![],
        })
        .await?
        .into_inner();
    let account = exchanged.accounts.first().context("no account")?.clone();
    let available = account
        .expected_earliest
        .map(|t| t.seconds)
        .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
        .map_or_else(|| "unknown".to_owned(), |t| t.to_rfc3339());
    detail(&format!(
        "account {} · status {} · flow SAME_DAY · the $0.01 deposit is available from {available}",
        account.account_id,
        status_name(account.status)
    ));

    step("CreateUpdateLinkToken: Link in update mode so the user can enter the deposit's code");
    let update = grpc
        .create_update_link_token(CreateUpdateLinkTokenRequest {
            account_id: account.account_id.clone(),
        })
        .await?
        .into_inner();
    detail(&format!(
        "reason {}",
        UpdateReason::try_from(update.reason).map_or("UNKNOWN", |r| r.as_str_name())
    ));
    pipeline
        .stack
        .control
        .complete_link_with(&LinkCompletion::confirm_code(&update.link_token, "ABC"))
        .await?;
    detail("the user enters the code ABC from the deposit's description; Link's onSuccess");

    step("RefreshAccount: /accounts/get says manually_verified → /auth/get → numbers stored");
    let refreshed = grpc
        .refresh_account(RefreshAccountRequest {
            account_id: account.account_id.clone(),
        })
        .await?
        .into_inner();
    detail(&format!(
        "status {} ({})",
        status_name(refreshed.status),
        refreshed.plaid_verification_status
    ));
    let numbers = grpc
        .get_auth_numbers(GetAuthNumbersRequest {
            account_id: account.account_id,
        })
        .await?
        .into_inner();
    detail(&format!(
        "routing {} · account ••••{}",
        numbers.routing,
        suffix(&numbers.account, 4)
    ));
    Ok(())
}

fn step(text: &str) {
    println!("\n▶ {text}");
}

fn detail(text: &str) {
    println!("    {text}");
}

fn prefix(s: &str, n: usize) -> &str {
    s.get(..n).unwrap_or(s)
}

fn suffix(s: &str, n: usize) -> &str {
    s.get(s.len().saturating_sub(n)..).unwrap_or(s)
}

fn status_name(status: i32) -> &'static str {
    AccountStatus::try_from(status)
        .map(|s| s.as_str_name())
        .unwrap_or("UNKNOWN")
}
