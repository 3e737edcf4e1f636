//! `rotate-keys`: re-seals every access token and account number that is not sealed under the
//! active key, so an old key can then be removed from the keyring.
//!
//! Each row is re-sealed with a compare-and-swap on its old ciphertext, so a concurrent change
//! (a purge, new numbers) is never overwritten with stale data; such rows are skipped and
//! counted, and a second run picks them up.

use anyhow::Context as _;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::entities::{account_numbers, item};
use super::now;
use super::secrets::{SealedNumbers, Secrets};

/// What a rotation did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RotationReport {
    /// Access tokens re-sealed.
    pub access_tokens: u64,
    /// Accounts whose numbers were re-sealed.
    pub numbers: u64,
    /// Rows that changed concurrently and were left for the next run.
    pub skipped: u64,
}

/// Re-seals everything not under `secrets`' active key.
pub async fn rotate_keys(
    db: &impl ConnectionTrait,
    secrets: &Secrets,
) -> anyhow::Result<RotationReport> {
    let active = secrets.active_key_id().to_owned();
    let mut report = RotationReport::default();

    let items = item::Entity::find()
        .filter(item::Column::AccessTokenKeyId.is_not_null())
        .filter(item::Column::AccessTokenKeyId.ne(active.as_str()))
        .all(db)
        .await
        .context("listing access tokens to rotate")?;
    for row in items {
        let (Some(key_id), Some(ct)) = (&row.access_token_key_id, &row.access_token_ct) else {
            continue;
        };
        let token = secrets.open_access_token(&row.item_id, key_id, ct)?;
        let sealed = secrets.seal_access_token(&row.item_id, &token)?;
        let updated = item::Entity::update_many()
            .col_expr(
                item::Column::AccessTokenCt,
                Expr::value(Some(sealed.ciphertext)),
            )
            .col_expr(
                item::Column::AccessTokenKeyId,
                Expr::value(Some(sealed.key_id)),
            )
            .col_expr(item::Column::UpdatedAt, Expr::value(now()))
            .filter(item::Column::ItemId.eq(row.item_id.as_str()))
            .filter(item::Column::AccessTokenKeyId.eq(key_id.as_str()))
            .filter(item::Column::AccessTokenCt.eq(ct.clone()))
            .exec(db)
            .await
            .context("re-sealing an access token")?;
        if updated.rows_affected == 1 {
            report.access_tokens += 1;
        } else {
            report.skipped += 1;
        }
    }

    let numbers = account_numbers::Entity::find()
        .filter(account_numbers::Column::KeyId.ne(active.as_str()))
        .all(db)
        .await
        .context("listing account numbers to rotate")?;
    for row in numbers {
        let old = SealedNumbers {
            key_id: row.key_id.clone(),
            account_ct: row.account_ct.clone(),
            routing_ct: row.routing_ct.clone(),
            wire_routing_ct: row.wire_routing_ct.clone(),
        };
        let plain = secrets.open_numbers(&row.account_id, &old)?;
        let sealed = secrets.seal_numbers(&row.account_id, &plain)?;
        let updated = account_numbers::Entity::update_many()
            .col_expr(account_numbers::Column::KeyId, Expr::value(sealed.key_id))
            .col_expr(
                account_numbers::Column::AccountCt,
                Expr::value(sealed.account_ct),
            )
            .col_expr(
                account_numbers::Column::RoutingCt,
                Expr::value(sealed.routing_ct),
            )
            .col_expr(
                account_numbers::Column::WireRoutingCt,
                Expr::value(sealed.wire_routing_ct),
            )
            .filter(account_numbers::Column::AccountId.eq(row.account_id.as_str()))
            .filter(account_numbers::Column::KeyId.eq(row.key_id.as_str()))
            .filter(account_numbers::Column::AccountCt.eq(row.account_ct))
            .exec(db)
            .await
            .context("re-sealing account numbers")?;
        if updated.rows_affected == 1 {
            report.numbers += 1;
        } else {
            report.skipped += 1;
        }
    }
    Ok(report)
}
