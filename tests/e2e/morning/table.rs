//! The demo's table: one row per account with its status (verification), deposit state
//! (transfer-events) and alerts (notifier), read through the public gRPC APIs.

use std::fmt::Write as _;

use penny_proto::v1 as pb;

use super::{Clients, DemoAccount, Flow};

/// One account as the three services see it now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Its story.
    pub flow: Flow,
    /// Plaid's account id.
    pub account_id: String,
    /// Verification's status, e.g. `VERIFIED`.
    pub status: String,
    /// The deposit summary's state, e.g. `POSTED`, with the return code if any.
    pub deposit: String,
    /// Every alert of its user: (kind, channel, state).
    pub alerts: Vec<(String, String, String)>,
}

/// A protobuf enum value's name without its prefix ("…" when unknown).
fn short(name: Option<&str>, prefix: &str) -> String {
    name.map_or_else(
        || "…".to_owned(),
        |n| n.strip_prefix(prefix).unwrap_or(n).to_owned(),
    )
}

/// Reads every account's row; a service that does not answer leaves "…" in its column.
pub async fn snapshot(clients: &Clients, accounts: &[DemoAccount]) -> Vec<Row> {
    let mut rows = Vec::new();
    for account in accounts {
        let mut c = clients.clone();
        let status = c
            .verification
            .get_account(pb::GetAccountRequest {
                account_id: account.account_id.clone(),
            })
            .await
            .ok()
            .and_then(|r| pb::AccountStatus::try_from(r.into_inner().status).ok())
            .map(|s| s.as_str_name());
        let summary = c
            .transfers
            .get_deposit_status(pb::GetDepositStatusRequest {
                account_id: account.account_id.clone(),
            })
            .await
            .ok()
            .and_then(|r| r.into_inner().summary);
        let deposit = summary.as_ref().map_or_else(
            || "…".to_owned(),
            |s| {
                let state = short(
                    pb::DepositState::try_from(s.state)
                        .ok()
                        .map(|s| s.as_str_name()),
                    "DEPOSIT_STATE_",
                );
                if s.ach_return_code.is_empty() {
                    state
                } else {
                    format!("{state} {}", s.ach_return_code)
                }
            },
        );
        let alerts = c
            .notifier
            .list_notifications(pb::ListNotificationsRequest {
                user_id: account.flow.user().into(),
                ..Default::default()
            })
            .await
            .map(|r| r.into_inner().notifications)
            .unwrap_or_default();
        let mut alerts: Vec<(String, String, String)> = alerts
            .iter()
            .map(|n| {
                (
                    short(
                        pb::AlertKind::try_from(n.kind)
                            .ok()
                            .map(|k| k.as_str_name()),
                        "ALERT_KIND_",
                    ),
                    short(
                        pb::Channel::try_from(n.channel)
                            .ok()
                            .map(|c| c.as_str_name()),
                        "CHANNEL_",
                    ),
                    short(
                        pb::NotificationState::try_from(n.state)
                            .ok()
                            .map(|s| s.as_str_name()),
                        "NOTIFICATION_STATE_",
                    ),
                )
            })
            .collect();
        alerts.sort();
        rows.push(Row {
            flow: account.flow,
            account_id: account.account_id.clone(),
            status: short(status, "ACCOUNT_STATUS_"),
            deposit,
            alerts,
        });
    }
    rows
}

/// The rows as a text table (one line per alert under its account).
pub fn render(rows: &[Row]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<5} {:<22} {:<10} {:<14} {:<12} alerts (kind · channel · state)",
        "user", "flow", "account", "status", "deposit"
    );
    for row in rows {
        let account = row.account_id.get(..8).unwrap_or(&row.account_id);
        let first = row.alerts.first().map(alert).unwrap_or_default();
        let _ = writeln!(
            out,
            "{:<5} {:<22} {:<10} {:<14} {:<12} {first}",
            row.flow.user(),
            row.flow.label(),
            account,
            row.status,
            row.deposit
        );
        for more in row.alerts.iter().skip(1) {
            let _ = writeln!(out, "{:<66} {}", "", alert(more));
        }
    }
    out
}

fn alert((kind, channel, state): &(String, String, String)) -> String {
    format!("{kind} · {channel} · {state}")
}
