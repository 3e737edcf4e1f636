//! `account_numbers`: a verified account's ACH numbers, encrypted.

use sea_orm::entity::prelude::*;

/// Encrypted account, routing and wire routing numbers of one account. All three ciphertexts are
/// sealed together under `key_id`; each one's AAD binds it to this row and its column.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "account_numbers")]
pub struct Model {
    /// The account these numbers belong to.
    #[sea_orm(primary_key, auto_increment = false)]
    pub account_id: String,
    /// The Item, so purging an Item's numbers is one statement.
    pub item_id: String,
    /// Key id of the keyring key the ciphertexts were sealed with.
    pub key_id: String,
    /// Account number ciphertext.
    pub account_ct: Vec<u8>,
    /// Routing number ciphertext.
    pub routing_ct: Vec<u8>,
    /// Wire routing number ciphertext, when the bank has one.
    pub wire_routing_ct: Option<Vec<u8>>,
    /// When `/auth/get` returned them.
    pub fetched_at: DateTimeUtc,
}

/// No sea-orm relations: queries join by hand where needed.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
