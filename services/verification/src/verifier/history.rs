//! An account's history as the core keeps it: every status change (the status history) and
//! every webhook processed for the account or its Item (the inbox), oldest first. The gRPC
//! `GetAccountHistory` adds the Link sessions; `pennyctl account timeline` the other services'.

use penny_store::inbox;
use sea_orm::sea_query::Condition;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::{INBOX_CONSUMER, Verifier, VerifierError};
use crate::store::accounts::AccountRecord;
use crate::store::entities::status_history;
use crate::store::history;

/// What the core knows of one account's past.
#[derive(Clone, Debug)]
pub struct AccountHistory {
    pub account: AccountRecord,
    /// Applied transitions, oldest first.
    pub status_changes: Vec<status_history::Model>,
    /// Webhooks about the account, or about its Item without naming an account, by receipt.
    pub webhooks: Vec<inbox::Model>,
}

impl Verifier {
    /// The history of `account_id` (`AccountNotFound` for an unknown one).
    pub async fn account_history(&self, account_id: &str) -> Result<AccountHistory, VerifierError> {
        let account = self.account(account_id).await?;
        let status_changes = history::of_account(&self.db, account_id).await?;
        let about_item = Condition::all()
            .add(inbox::Column::AggregateId.eq(account.row.item_id.as_str()))
            .add(inbox::Column::EntityId.is_null());
        let webhooks = inbox::Entity::find()
            .filter(inbox::Column::Consumer.eq(INBOX_CONSUMER))
            .filter(
                Condition::any()
                    .add(inbox::Column::EntityId.eq(account_id))
                    .add(about_item),
            )
            .order_by_asc(inbox::Column::ReceivedAt)
            .order_by_asc(inbox::Column::Id)
            .all(&self.db)
            .await
            .map_err(VerifierError::db)?;
        Ok(AccountHistory {
            account,
            status_changes,
            webhooks,
        })
    }
}
