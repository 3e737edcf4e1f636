//! `GetAccountHistory` (scope `status`): the account, its Link sessions, the webhooks processed
//! for it and its status changes.

use penny_proto::v1 as pb;
use penny_runtime::auth::{Scope, require};
use tonic::{Request, Response, Status};

use super::error::{id_field, status};
use super::{VerificationApi, convert};
use crate::domain::{Flow, Status as AccountStatus};
use crate::events::timestamp;
use crate::funnel::{Callback, LinkEvent, StoredSession};

impl VerificationApi {
    pub(super) async fn get_account_history_impl(
        &self,
        request: Request<pb::GetAccountHistoryRequest>,
    ) -> Result<Response<pb::AccountHistory>, Status> {
        require(&request, Scope::Status)?;
        let req = request.into_inner();
        let account_id = id_field("account_id", &req.account_id)?;
        let history = self
            .verifier
            .account_history(account_id)
            .await
            .map_err(status)?;
        let sessions = self
            .funnel
            .sessions_of_account(account_id)
            .await
            .map_err(|e| status(e.into()))?;
        Ok(Response::new(pb::AccountHistory {
            account: Some(convert::account(&history.account)),
            link_sessions: sessions.into_iter().map(session).collect(),
            webhooks: history
                .webhooks
                .into_iter()
                .map(|w| pb::ProcessedWebhook {
                    kind: w.kind,
                    received_at: Some(timestamp(w.received_at)),
                    processed_at: Some(timestamp(w.processed_at)),
                    stream_sequence: w
                        .stream_sequence
                        .and_then(|s| u64::try_from(s).ok())
                        .unwrap_or(0),
                    outcome: w.outcome,
                    detail: w.detail.unwrap_or_default(),
                    dedupe_key: w.key,
                })
                .collect(),
            status_changes: history
                .status_changes
                .into_iter()
                .map(|c| pb::StatusChange {
                    from_status: status_value(&c.from_status),
                    to_status: status_value(&c.to_status),
                    cause: c.cause,
                    occurred_at: Some(timestamp(c.occurred_at)),
                    event_id: c.event_id.unwrap_or_default(),
                    dedupe_key: c.dedupe_key.unwrap_or_default(),
                })
                .collect(),
        }))
    }
}

/// A stored status name as the API's enum (unspecified for one that does not parse).
fn status_value(stored: &str) -> i32 {
    AccountStatus::ALL
        .into_iter()
        .find(|s| s.as_str() == stored)
        .map_or(pb::AccountStatus::Unspecified, AccountStatus::to_proto) as i32
}

fn session(s: StoredSession) -> pb::LinkSession {
    let flow = s.row.flow.as_deref().and_then(|f| f.parse::<Flow>().ok());
    pb::LinkSession {
        link_session_id: s.row.link_session_id,
        user_id: s.row.user_id,
        flow: flow.map_or(pb::VerificationFlow::Unspecified, Flow::to_proto) as i32,
        started_at: Some(timestamp(s.row.first_event_at)),
        last_event_at: Some(timestamp(s.row.last_event_at)),
        events: s.events.into_iter().map(link_event).collect(),
    }
}

fn link_event(e: LinkEvent) -> pb::LinkEvent {
    let callback = match e.callback {
        Callback::OnEvent => pb::LinkCallback::OnEvent,
        Callback::OnExit => pb::LinkCallback::OnExit,
        Callback::OnSuccess => pb::LinkCallback::OnSuccess,
    };
    pb::LinkEvent {
        callback: callback as i32,
        event_name: e.event_name,
        timestamp: Some(timestamp(e.occurred_at)),
        view_name: e.view_name,
        institution_id: e.institution_id,
        mfa_type: e.mfa_type,
        error_type: e.error_type,
        error_code: e.error_code,
        exit_status: e.exit_status,
        accounts: e
            .accounts
            .into_iter()
            .map(|a| pb::LinkAccount {
                account_id: a.account_id,
                name: a.name,
                mask: a.mask,
                subtype: a.subtype,
                verification_status: a.verification_status,
            })
            .collect(),
        request_id: e.request_id,
    }
}
