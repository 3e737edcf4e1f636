//! Public-token exchanges, keyed by the token's SHA-256: the idempotency of
//! `ExchangePublicToken`.
//!
//! A row goes through: *claimed* (an attempt is talking to Plaid) → *exchanged* (Plaid returned
//! the Item; its sealed access token is kept here) → *completed* (the Item and its accounts are
//! stored; the token copy here is cleared). Concurrent callers wait while a claim is fresh; a
//! claim older than the stale timeout, or one released after a failure, is taken over with a
//! compare-and-swap on `claimed_at`, resuming from the stored token if Plaid had already
//! exchanged it (a public token is single-use, so exchanging again would fail).

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use penny_store::Sealed;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use super::entities::token_exchange;
use super::is_unique_violation;

/// What Plaid returned for an exchange not yet stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exchanged {
    pub item_id: String,
    /// Its sealed access token.
    pub token: Sealed,
}

/// Where an exchange of one token stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Claim {
    /// This caller claimed it: go and exchange.
    Claimed {
        /// The claim's timestamp (to record, complete or release it).
        claimed_at: DateTime<Utc>,
    },
    /// Another attempt holds it (or held it and died, or released it).
    InFlight {
        /// When it was claimed (the epoch once released).
        claimed_at: DateTime<Utc>,
        /// The user it is being exchanged for.
        user_id: String,
        /// Set when Plaid already exchanged the token.
        exchanged: Option<Exchanged>,
    },
    /// Stored as this Item.
    Done {
        item_id: String,
        /// The user it was exchanged for.
        user_id: String,
    },
}

/// The `claimed_at` of a released claim: stale for everyone at once.
pub fn released_at() -> DateTime<Utc> {
    DateTime::<Utc>::UNIX_EPOCH
}

/// Tries to claim the exchange of the token hashed as `sha256`.
pub async fn claim(
    db: &impl ConnectionTrait,
    sha256: &str,
    user_id: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<Claim> {
    let inserted = token_exchange::ActiveModel {
        public_token_sha256: Set(sha256.to_owned()),
        user_id: Set(user_id.to_owned()),
        item_id: Set(None),
        access_token_ct: Set(None),
        access_token_key_id: Set(None),
        claimed_at: Set(now),
        completed_at: Set(None),
    }
    .insert(db)
    .await;
    match inserted {
        Ok(_) => Ok(Claim::Claimed { claimed_at: now }),
        Err(e) if is_unique_violation(&e) => current(db, sha256)
            .await?
            .context("an exchange claim vanished while being read"),
        Err(e) => Err(e).context("claiming a public token exchange"),
    }
}

/// The current state of an exchange, if any row exists.
pub async fn current(db: &impl ConnectionTrait, sha256: &str) -> anyhow::Result<Option<Claim>> {
    let row = token_exchange::Entity::find_by_id(sha256.to_owned())
        .one(db)
        .await
        .context("reading a public token exchange")?;
    Ok(row.map(|r| match (r.completed_at, r.item_id) {
        (Some(_), Some(item_id)) => Claim::Done {
            item_id,
            user_id: r.user_id,
        },
        (_, item_id) => Claim::InFlight {
            claimed_at: r.claimed_at,
            user_id: r.user_id,
            exchanged: match (item_id, r.access_token_key_id, r.access_token_ct) {
                (Some(item_id), Some(key_id), Some(ciphertext)) => Some(Exchanged {
                    item_id,
                    token: Sealed { key_id, ciphertext },
                }),
                _ => None,
            },
        },
    }))
}

fn ours(sha256: &str, claimed_at: DateTime<Utc>) -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(token_exchange::Column::PublicTokenSha256.eq(sha256))
        .add(token_exchange::Column::ClaimedAt.eq(claimed_at))
        .add(token_exchange::Column::CompletedAt.is_null())
}

/// Takes over a stale claim made at `stale_claimed_at`. False if someone else did first.
pub async fn take_over(
    db: &impl ConnectionTrait,
    sha256: &str,
    stale_claimed_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let result = token_exchange::Entity::update_many()
        .col_expr(token_exchange::Column::ClaimedAt, Expr::value(now))
        .filter(ours(sha256, stale_claimed_at))
        .exec(db)
        .await
        .context("taking over a stale exchange claim")?;
    Ok(result.rows_affected == 1)
}

/// Records what Plaid returned, under our claim. False if the claim was taken over meanwhile.
pub async fn record_exchanged(
    db: &impl ConnectionTrait,
    sha256: &str,
    claimed_at: DateTime<Utc>,
    exchanged: &Exchanged,
) -> anyhow::Result<bool> {
    let result = token_exchange::Entity::update_many()
        .col_expr(
            token_exchange::Column::ItemId,
            Expr::value(exchanged.item_id.as_str()),
        )
        .col_expr(
            token_exchange::Column::AccessTokenCt,
            Expr::value(Some(exchanged.token.ciphertext.clone())),
        )
        .col_expr(
            token_exchange::Column::AccessTokenKeyId,
            Expr::value(Some(exchanged.token.key_id.clone())),
        )
        .filter(ours(sha256, claimed_at))
        .exec(db)
        .await
        .context("recording a public token exchange")?;
    Ok(result.rows_affected == 1)
}

/// Marks the exchange done and forgets the token copy (in the transaction that stores the
/// Item). False if the claim is no longer ours.
pub async fn complete(
    db: &impl ConnectionTrait,
    sha256: &str,
    claimed_at: DateTime<Utc>,
    item_id: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let result = token_exchange::Entity::update_many()
        .col_expr(token_exchange::Column::ItemId, Expr::value(item_id))
        .col_expr(token_exchange::Column::CompletedAt, Expr::value(Some(now)))
        .col_expr(
            token_exchange::Column::AccessTokenCt,
            Expr::value(Option::<Vec<u8>>::None),
        )
        .col_expr(
            token_exchange::Column::AccessTokenKeyId,
            Expr::value(Option::<String>::None),
        )
        .filter(ours(sha256, claimed_at))
        .exec(db)
        .await
        .context("completing a public token exchange")?;
    Ok(result.rows_affected == 1)
}

/// Gives up our claim after a failure: deleted if Plaid never exchanged the token (a retry
/// starts afresh), else marked released so the next attempt resumes at once.
pub async fn release(
    db: &impl ConnectionTrait,
    sha256: &str,
    claimed_at: DateTime<Utc>,
) -> anyhow::Result<()> {
    token_exchange::Entity::delete_many()
        .filter(ours(sha256, claimed_at))
        .filter(token_exchange::Column::ItemId.is_null())
        .exec(db)
        .await
        .context("releasing an exchange claim")?;
    token_exchange::Entity::update_many()
        .col_expr(
            token_exchange::Column::ClaimedAt,
            Expr::value(released_at()),
        )
        .filter(ours(sha256, claimed_at))
        .exec(db)
        .await
        .context("releasing an exchange claim")?;
    Ok(())
}
