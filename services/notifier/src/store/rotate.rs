//! `rotate-keys`: re-seals every contact address (email, phone, push URL) that is not sealed
//! under the active key, so an old key can then be removed from the keyring.
//!
//! Contacts are read in batches in `user_id` order (keyset pages, so memory stays flat). Each
//! row is re-sealed with a compare-and-swap on its old ciphertexts, so a concurrent change (an
//! `UpsertContact`, a `DeleteContact`) is never overwritten with stale data; such rows are
//! skipped and counted, and a second run picks them up. Running it again changes nothing.
//! Safe while the service runs, once every replica has the new keyring (a replica with only
//! the old key would keep sealing new contact data under it).

use anyhow::Context as _;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::contacts::AddressBook;
use super::entities::contact::{Column, Entity};

/// Contacts read per batch.
pub const BATCH: u64 = 500;

/// What a rotation did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RotationReport {
    /// Contacts whose addresses were re-sealed.
    pub contacts: u64,
    /// Rows that changed concurrently and were left for the next run.
    pub skipped: u64,
}

/// Re-seals every contact address not under `book`'s active key, `batch` rows at a time.
pub async fn rotate_keys(
    db: &impl ConnectionTrait,
    book: &AddressBook,
    batch: u64,
) -> anyhow::Result<RotationReport> {
    let mut report = RotationReport::default();
    let mut after: Option<String> = None;
    loop {
        let mut select = Entity::find()
            .order_by_asc(Column::UserId)
            .limit(batch.max(1));
        if let Some(last) = &after {
            select = select.filter(Column::UserId.gt(last.as_str()));
        }
        let rows = select.all(db).await.context("listing contacts to rotate")?;
        let full = rows.len() as u64 >= batch.max(1);
        for row in &rows {
            let Some(sealed) = book
                .reseal(row)
                .with_context(|| format!("re-sealing the contact of user {}", row.user_id))?
            else {
                continue;
            };
            let mut update = Entity::update_many()
                .col_expr(Column::Email, Expr::value(sealed.email))
                .col_expr(Column::Phone, Expr::value(sealed.phone))
                .col_expr(Column::PushUrl, Expr::value(sealed.push_url))
                .filter(Column::UserId.eq(row.user_id.as_str()));
            for (column, old) in [
                (Column::Email, &row.email),
                (Column::Phone, &row.phone),
                (Column::PushUrl, &row.push_url),
            ] {
                update = update.filter(match old {
                    Some(text) => column.eq(text.as_str()),
                    None => column.is_null(),
                });
            }
            let updated = update
                .exec(db)
                .await
                .context("writing a re-sealed contact")?;
            if updated.rows_affected == 1 {
                report.contacts += 1;
            } else {
                report.skipped += 1;
            }
        }
        match rows.last() {
            Some(last) if full => after = Some(last.user_id.clone()),
            _ => return Ok(report),
        }
    }
}
