//! `WatchAccounts` (scope `status`): a server stream of status changes for one user or all.

use std::pin::Pin;
use std::sync::Arc;

use futures::Stream;
use penny_proto::v1 as pb;
use tokio::sync::broadcast::{self, error::RecvError};
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

use super::error::user_id_field;
use super::{VerificationApi, convert};
use crate::verifier::Verifier;
use penny_runtime::auth::{Scope, require};

/// The stream type of `WatchAccounts`.
pub type WatchStream =
    Pin<Box<dyn Stream<Item = Result<pb::AccountStatusChanged, Status>> + Send + 'static>>;

struct Watch {
    events: broadcast::Receiver<Arc<pb::AccountEvent>>,
    user_id: Option<String>,
    verifier: Verifier,
    shutdown: CancellationToken,
    done: bool,
}

impl VerificationApi {
    pub(super) async fn watch_accounts_impl(
        &self,
        request: Request<pb::WatchAccountsRequest>,
    ) -> Result<Response<WatchStream>, Status> {
        let caller = require(&request, Scope::Status)?;
        let req = request.into_inner();
        let user_id = if req.user_id.is_empty() {
            None
        } else {
            Some(user_id_field("user_id", &req.user_id)?.to_owned())
        };
        tracing::info!(caller = %caller.name, user_id = ?user_id, "watcher subscribed");
        let watch = Watch {
            events: self.feed.subscribe(),
            user_id,
            verifier: self.verifier.clone(),
            shutdown: self.shutdown.clone(),
            done: false,
        };
        let stream = futures::stream::unfold(watch, |mut w| async move {
            let item = w.next().await?;
            Some((item, w))
        });
        Ok(Response::new(Box::pin(stream)))
    }
}

impl Watch {
    /// The next change for this watcher; `None` ends the stream.
    async fn next(&mut self) -> Option<Result<pb::AccountStatusChanged, Status>> {
        if self.done {
            return None;
        }
        loop {
            let received = tokio::select! {
                () = self.shutdown.cancelled() => return None,
                received = self.events.recv() => received,
            };
            let event = match received {
                Ok(event) => event,
                Err(RecvError::Closed) => return None,
                Err(RecvError::Lagged(missed)) => {
                    self.done = true;
                    return Some(Err(Status::resource_exhausted(format!(
                        "watcher fell {missed} changes behind; list the accounts and watch again"
                    ))));
                }
            };
            if self.user_id.as_deref().is_some_and(|u| u != event.user_id) {
                continue;
            }
            return Some(Ok(self.change(&event).await));
        }
    }

    /// The change message: the account as stored now, with the event's status and cause.
    async fn change(&self, event: &pb::AccountEvent) -> pb::AccountStatusChanged {
        let account = match self.verifier.account(&event.account_id).await {
            Ok(record) => {
                let mut account = convert::account(&record);
                account.status = event.status;
                account
            }
            // Not stored on this replica's database view (should not happen): the event's facts.
            Err(_) => pb::Account {
                account_id: event.account_id.clone(),
                item_id: event.item_id.clone(),
                user_id: event.user_id.clone(),
                status: event.status,
                status_changed_at: event.occurred_at,
                ..Default::default()
            },
        };
        pb::AccountStatusChanged {
            account: Some(account),
            previous_status: event.previous_status,
            cause: event.cause.clone(),
        }
    }
}
