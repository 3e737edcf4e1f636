//! What people switched on or off, per kind and channel (no row: on).

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};

use super::entities::preference::{self, Column, Entity};
use crate::domain::{AlertKind, Channel};

/// Who changed a preference.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// `UpsertContact`.
    Api,
    /// A one-click unsubscribe (RFC 8058).
    Unsubscribe,
}

impl Source {
    fn as_str(self) -> &'static str {
        match self {
            Self::Api => "api",
            Self::Unsubscribe => "unsubscribe",
        }
    }
}

/// Sets one preference.
pub async fn set(
    db: &impl ConnectionTrait,
    user_id: &str,
    kind: AlertKind,
    channel: Channel,
    enabled: bool,
    source: Source,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let row = preference::ActiveModel {
        user_id: Set(user_id.to_owned()),
        kind: Set(kind.as_str().to_owned()),
        channel: Set(channel.as_str().to_owned()),
        enabled: Set(enabled),
        source: Set(source.as_str().to_owned()),
        updated_at: Set(now),
    };
    Entity::insert(row)
        .on_conflict(
            OnConflict::columns([Column::UserId, Column::Kind, Column::Channel])
                .update_columns([Column::Enabled, Column::Source, Column::UpdatedAt])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// The `(kind, channel)` pairs `user_id` switched off.
pub async fn switched_off(
    db: &impl ConnectionTrait,
    user_id: &str,
) -> Result<BTreeSet<(AlertKind, Channel)>, DbErr> {
    let rows = Entity::find()
        .filter(Column::UserId.eq(user_id))
        .filter(Column::Enabled.eq(false))
        .all(db)
        .await?;
    Ok(rows
        .iter()
        .filter_map(|r| Some((r.kind.parse().ok()?, r.channel.parse().ok()?)))
        .collect())
}

/// Deletes every preference of `user_id`.
pub async fn delete_all(db: &impl ConnectionTrait, user_id: &str) -> Result<u64, DbErr> {
    let result = Entity::delete_many()
        .filter(Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}
