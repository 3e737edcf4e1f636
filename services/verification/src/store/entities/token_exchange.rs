//! `token_exchanges`: one row per public token exchanged (by SHA-256, never the token), which
//! makes `ExchangePublicToken` idempotent and lets concurrent duplicates agree on one Item.

use sea_orm::entity::prelude::*;

/// A claimed or completed exchange.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "token_exchanges")]
pub struct Model {
    /// Hex SHA-256 of the public token.
    #[sea_orm(primary_key, auto_increment = false)]
    pub public_token_sha256: String,
    /// The user the exchange was made for.
    pub user_id: String,
    /// The Item, once Plaid exchanged the token.
    pub item_id: Option<String>,
    /// The sealed access token between Plaid's exchange and the commit that stores the Item
    /// (so an attempt that dies in between can be resumed); cleared on completion.
    pub access_token_ct: Option<Vec<u8>>,
    /// Key id of `access_token_ct`.
    pub access_token_key_id: Option<String>,
    /// When the current attempt claimed the token (a stale claim may be taken over).
    pub claimed_at: DateTimeUtc,
    /// When the Item was stored.
    pub completed_at: Option<DateTimeUtc>,
}

/// No sea-orm relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
