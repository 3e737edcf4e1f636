//! `accounts`: one row per account of an Item, with its verification state.

use sea_orm::entity::prelude::*;

/// A linked bank account and where its verification stands.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "accounts")]
pub struct Model {
    /// Plaid's `account_id`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub account_id: String,
    /// The Item it belongs to.
    pub item_id: String,
    /// The app's user (copied from the Item for listing by user).
    pub user_id: String,
    /// [`crate::domain::Verification`] as text.
    pub verification: String,
    /// The Item needs Link update mode.
    pub login_required: bool,
    /// Plaid's last known raw `verification_status` (may be empty).
    pub plaid_verification_status: String,
    /// Last 2 to 4 digits of the account number, as Plaid shows them.
    pub mask: Option<String>,
    /// Account name.
    pub name: String,
    /// Plaid account subtype (`checking`, `savings`, ...).
    pub subtype: Option<String>,
    /// When the account was linked: the start of the verification window.
    pub linked_at: DateTimeUtc,
    /// When the visible status last changed.
    pub status_changed_at: DateTimeUtc,
    /// Optimistic-concurrency version, bumped by every change.
    pub version: i64,
    /// Last change to this row.
    pub updated_at: DateTimeUtc,
    /// [`crate::domain::Flow`] as text: how the account is verified.
    pub flow: String,
    /// When the reconciliation sweep next asks Plaid about this pending account (null: never).
    pub reconcile_at: Option<DateTimeUtc>,
    /// How many times the sweep has asked.
    pub reconcile_checks: i32,
}

/// No sea-orm relations: queries join by hand where needed.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
