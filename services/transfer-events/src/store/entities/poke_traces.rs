//! `poke_traces`: the trace contexts of the pokes recorded into one request generation (at most
//! [`crate::store::feed::traces::KEPT`], the rest counted), for the span links of the sync that
//! serves it. Deleted once the generation is served.

use sea_orm::entity::prelude::*;

/// The pokes' trace contexts of one generation.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "poke_traces")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub feed: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub generation: i64,
    /// A JSON array of W3C `traceparent` values, in the order the pokes were recorded.
    pub traceparents: String,
    /// Pokes recorded into the generation whose trace context was not kept.
    pub dropped: i64,
}

/// No sea-orm relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
