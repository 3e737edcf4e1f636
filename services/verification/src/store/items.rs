//! Reading and changing Items.

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use penny_plaid::AccessToken;
use penny_store::Sealed;
use sea_orm::sea_query::Expr;
use sea_orm::sea_query::LockType;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::entities::item;
use super::secrets::Secrets;

/// The Items of `item_ids` that exist, in one query.
pub async fn find_many(
    db: &impl ConnectionTrait,
    item_ids: &[&str],
) -> anyhow::Result<Vec<item::Model>> {
    if item_ids.is_empty() {
        return Ok(Vec::new());
    }
    item::Entity::find()
        .filter(item::Column::ItemId.is_in(item_ids.iter().copied()))
        .all(db)
        .await
        .context("reading Items")
}

/// Locks the rows of `item_ids` for the rest of the transaction, in item-id order (so two
/// transactions locking overlapping sets never deadlock): `SELECT … ORDER BY item_id FOR
/// UPDATE` on PostgreSQL. On SQLite the write transaction already holds the database's one
/// write lock, and the clause is left out.
pub async fn lock_rows(txn: &impl ConnectionTrait, item_ids: &[&str]) -> anyhow::Result<()> {
    if item_ids.is_empty() {
        return Ok(());
    }
    item::Entity::find()
        .select_only()
        .column(item::Column::ItemId)
        .filter(item::Column::ItemId.is_in(item_ids.iter().copied()))
        .order_by_asc(item::Column::ItemId)
        .lock(LockType::Update)
        .into_tuple::<String>()
        .all(txn)
        .await
        .context("locking Item rows")?;
    Ok(())
}

/// One Item, if it exists.
pub async fn find(db: &impl ConnectionTrait, item_id: &str) -> anyhow::Result<Option<item::Model>> {
    item::Entity::find_by_id(item_id.to_owned())
        .one(db)
        .await
        .context("reading an Item")
}

/// Inserts a freshly exchanged Item with its sealed access token.
pub async fn insert(
    db: &impl ConnectionTrait,
    item_id: &str,
    user_id: &str,
    institution_id: Option<String>,
    token: Sealed,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    item::ActiveModel {
        item_id: Set(item_id.to_owned()),
        user_id: Set(user_id.to_owned()),
        institution_id: Set(institution_id),
        access_token_ct: Set(Some(token.ciphertext)),
        access_token_key_id: Set(Some(token.key_id)),
        locked_at: Set(None),
        revoked_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await
    .context("inserting an Item")?;
    Ok(())
}

/// The Item's access token, decrypted; `None` once purged.
pub fn access_token(secrets: &Secrets, item: &item::Model) -> anyhow::Result<Option<AccessToken>> {
    match (&item.access_token_key_id, &item.access_token_ct) {
        (Some(key_id), Some(ct)) => Ok(Some(secrets.open_access_token(
            &item.item_id,
            key_id,
            ct,
        )?)),
        _ => Ok(None),
    }
}

/// Forgets the Item's access token and marks it revoked (idempotent).
pub async fn purge_token(
    db: &impl ConnectionTrait,
    item_id: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    item::Entity::update_many()
        .col_expr(
            item::Column::AccessTokenCt,
            Expr::value(Option::<Vec<u8>>::None),
        )
        .col_expr(
            item::Column::AccessTokenKeyId,
            Expr::value(Option::<String>::None),
        )
        .col_expr(item::Column::RevokedAt, Expr::value(Some(now)))
        .col_expr(item::Column::UpdatedAt, Expr::value(now))
        .filter(item::Column::ItemId.eq(item_id))
        .exec(db)
        .await
        .context("purging an Item's access token")?;
    Ok(())
}

/// Sets (`Some`) or clears (`None`) the Item's lock.
pub async fn set_locked(
    db: &impl ConnectionTrait,
    item_id: &str,
    locked_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    item::Entity::update_many()
        .col_expr(item::Column::LockedAt, Expr::value(locked_at))
        .col_expr(item::Column::UpdatedAt, Expr::value(now))
        .filter(item::Column::ItemId.eq(item_id))
        .exec(db)
        .await
        .context("locking or unlocking an Item")?;
    Ok(())
}
