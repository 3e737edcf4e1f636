//! `preferences`: kinds a person switched on or off per channel.

use sea_orm::entity::prelude::*;

/// One preference.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "preferences")]
pub struct Model {
    /// The app's user id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: String,
    /// [`crate::domain::AlertKind`] as text.
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: String,
    /// [`crate::domain::Channel`] as text.
    #[sea_orm(primary_key, auto_increment = false)]
    pub channel: String,
    /// On or off.
    pub enabled: bool,
    /// `api` or `unsubscribe`.
    pub source: String,
    /// Last written.
    pub updated_at: DateTimeUtc,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
