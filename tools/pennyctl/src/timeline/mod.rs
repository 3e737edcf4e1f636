//! `pennyctl account timeline ACCOUNT_ID`: every step of an account's life in time order, each
//! with its trace id where one is known, from the services' gRPC read APIs only:
//!
//! - verification's `GetAccountHistory`: the Link session that linked it, every webhook
//!   processed for it or its Item (trace ids from the webhooks' `traceparent` in
//!   PLAID_WEBHOOKS), every status change (a change a webhook caused carries its trace id);
//! - transfer-events' `ListEvents`: every ACH event of the account, with the trace id of the
//!   sync that recorded it;
//! - the notifier's `ListNotifications(account_id)`: every alert (channel, state) about it, with
//!   the trace id of the domain event it answers (its send is a span of that trace). Alerts the
//!   notifier recorded before it stored account ids name none; the user's such alerts are
//!   counted as unattributed.
//!
//! A source that cannot be reached is named and the rest is printed (exit 6).

mod entry;
mod trace;

use std::collections::HashMap;

use async_nats::jetstream;
use clap::Args;
use penny_proto::v1 as pb;
use serde_json::json;
use tonic::Code;

use crate::exit::{Exit, Failure};
use crate::output::{Output, object_table};
use crate::services::{Notifier, ServiceArgs};

/// Largest page asked of a service.
const PAGE_SIZE: u32 = 500;

/// Which account.
#[derive(Args, Debug)]
pub struct TimelineArgs {
    /// The account (Plaid's account_id).
    pub account_id: String,
    #[command(flatten)]
    pub services: ServiceArgs,
}

/// Runs the command; `js` (for trace ids) is optional.
pub async fn run(
    args: TimelineArgs,
    js: Option<&jetstream::Context>,
    out: &mut Output<'_>,
) -> anyhow::Result<()> {
    let mut verification = args.services.verification().await?;
    let history = verification
        .get_account_history(pb::GetAccountHistoryRequest {
            account_id: args.account_id.clone(),
        })
        .await?
        .into_inner();
    let account = history.account.clone().unwrap_or_default();
    let mut entries = Vec::new();
    let mut unavailable = Vec::new();
    for session in &history.link_sessions {
        entries.extend(entry::link_session(session));
    }
    let mut traces: HashMap<String, String> = HashMap::new();
    for webhook in &history.webhooks {
        let trace_id = match js {
            Some(js) => trace::of_webhook(js, webhook.stream_sequence).await,
            None => None,
        };
        if let Some(id) = &trace_id {
            traces.insert(webhook.dedupe_key.clone(), id.clone());
        }
        entries.push(entry::webhook(webhook, trace_id));
    }
    for change in &history.status_changes {
        entries.push(entry::status_change(
            change,
            traces.get(&change.dedupe_key).cloned(),
        ));
    }
    match ach_events(&args.services, &args.account_id).await {
        Ok(events) => entries.extend(events.iter().map(entry::ach)),
        Err(error) => unavailable.push(("transfer-events", error)),
    }
    let mut unattributed = 0usize;
    match alerts(&args.services, &args.account_id, &account.user_id).await {
        Ok((alerts, older)) => {
            entries.extend(alerts.iter().map(entry::alert));
            unattributed = older;
        }
        Err(error) => unavailable.push(("notifier", error)),
    }
    entries.sort_by_key(|e| (e.at, rank(e.source)));
    let rows: Vec<serde_json::Value> = entries
        .iter()
        .map(|e| {
            json!({
                "time": e.at.to_rfc3339(),
                "source": e.source,
                "what": e.what,
                "detail": e.detail,
                "trace_id": e.trace_id,
            })
        })
        .collect();
    let missing: Vec<serde_json::Value> = unavailable
        .iter()
        .map(|(service, error)| json!({ "service": service, "error": format!("{error:#}") }))
        .collect();
    let value = json!({
        "account_id": account.account_id,
        "user_id": account.user_id,
        "item_id": account.item_id,
        "entries": rows,
        "unavailable": missing,
        "unattributed_alerts": unattributed,
    });
    out.emit(&value, |w| {
        writeln!(
            w,
            "account {} (user {}, item {})",
            account.account_id, account.user_id, account.item_id
        )?;
        object_table(w, &["time", "source", "what", "detail", "trace_id"], &rows)?;
        if unattributed > 0 {
            writeln!(
                w,
                "{unattributed} alert(s) of this user could not be attributed to an account"
            )?;
        }
        Ok(())
    })?;
    if unavailable.is_empty() {
        return Ok(());
    }
    let names: Vec<String> = unavailable
        .iter()
        .map(|(service, error)| format!("{service} ({error:#})"))
        .collect();
    Err(Failure::error(
        Exit::Partial,
        format!("incomplete timeline: {} unavailable", names.join(", ")),
    ))
}

/// Order of sources at the same instant: the cause before its effects.
fn rank(source: &str) -> u8 {
    match source {
        "link" => 0,
        "webhook" => 1,
        "ach" => 2,
        "status" => 3,
        _ => 4,
    }
}

/// Every ACH event of the account (none when transfer-events never saw it).
async fn ach_events(services: &ServiceArgs, account_id: &str) -> anyhow::Result<Vec<pb::AchEvent>> {
    let mut client = services.transfer_events().await?;
    let mut events = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = match client
            .list_events(pb::ListEventsRequest {
                account_id: account_id.to_owned(),
                page_token: page_token.clone(),
                page_size: PAGE_SIZE,
            })
            .await
        {
            Ok(page) => page.into_inner(),
            Err(status) if status.code() == Code::NotFound => return Ok(events),
            Err(status) => return Err(status.into()),
        };
        events.extend(page.events);
        if page.next_page_token.is_empty() {
            return Ok(events);
        }
        page_token = page.next_page_token;
    }
}

/// Every alert about `account_id`, and how many of `user_id`'s alerts name no account
/// (recorded before the notifier stored account ids).
async fn alerts(
    services: &ServiceArgs,
    account_id: &str,
    user_id: &str,
) -> anyhow::Result<(Vec<pb::Notification>, usize)> {
    let mut client = services.notifier().await?;
    let about = every_alert(&mut client, "", account_id).await?;
    let older = if user_id.is_empty() {
        0
    } else {
        every_alert(&mut client, user_id, "")
            .await?
            .iter()
            .filter(|n| n.account_id.is_empty())
            .count()
    };
    Ok((about, older))
}

/// Every page of `ListNotifications(user_id, account_id)`.
async fn every_alert(
    client: &mut Notifier,
    user_id: &str,
    account_id: &str,
) -> anyhow::Result<Vec<pb::Notification>> {
    let mut request = pb::ListNotificationsRequest {
        user_id: user_id.to_owned(),
        account_id: account_id.to_owned(),
        page_size: PAGE_SIZE,
        page_token: String::new(),
    };
    let mut alerts = Vec::new();
    loop {
        let page = client
            .list_notifications(request.clone())
            .await?
            .into_inner();
        alerts.extend(page.notifications);
        if page.next_page_token.is_empty() {
            return Ok(alerts);
        }
        request.page_token = page.next_page_token;
    }
}
