//! `items`: one Plaid Item per successful token exchange, holding its encrypted access token.

use sea_orm::entity::prelude::*;

/// A linked Plaid Item.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "items")]
pub struct Model {
    /// Plaid's `item_id`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub item_id: String,
    /// The app's user who linked it.
    pub user_id: String,
    /// Plaid's institution id, when Link reported one.
    pub institution_id: Option<String>,
    /// AEAD ciphertext of the access token; `None` once purged (revoked or removed).
    pub access_token_ct: Option<Vec<u8>>,
    /// Key id the access token was sealed with.
    pub access_token_key_id: Option<String>,
    /// Set when Plaid locked the Item (verification expired or failed).
    pub locked_at: Option<DateTimeUtc>,
    /// Set when access was revoked or the Item removed.
    pub revoked_at: Option<DateTimeUtc>,
    /// When the Item was linked (token exchanged).
    pub created_at: DateTimeUtc,
    /// Last change to this row.
    pub updated_at: DateTimeUtc,
}

/// No sea-orm relations: queries join by hand where needed.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
