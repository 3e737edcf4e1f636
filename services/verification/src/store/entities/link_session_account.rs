//! `link_session_accounts`: the accounts a Link session's onSuccess listed, so an account's
//! timeline can start with the session that linked it.

use sea_orm::entity::prelude::*;

/// An account listed by a session's onSuccess.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "link_session_accounts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub link_session_id: String,
    /// Plaid's account id (penny's account id).
    #[sea_orm(primary_key, auto_increment = false)]
    pub account_id: String,
    /// As onSuccess reported it, e.g. `pending_automatic_verification`.
    pub verification_status: String,
    /// Link's timestamp of the onSuccess.
    pub linked_at: DateTimeUtc,
}

/// No sea-orm relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
