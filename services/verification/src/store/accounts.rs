//! Reading and changing accounts (and their numbers).

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{CaseStatement, Condition, Expr, ExprTrait as _, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use super::entities::{account, account_numbers};
use super::secrets::SealedNumbers;
use crate::domain::{AccountState, Verification};

/// An account row together with whether its numbers are stored: everything the state machine
/// and the API need.
#[derive(Clone, Debug, PartialEq, Eq, FromQueryResult)]
pub struct AccountRecord {
    /// The row.
    #[sea_orm(nested)]
    pub row: account::Model,
    /// Numbers are stored for it.
    pub has_numbers: bool,
}

impl AccountRecord {
    /// How the account is verified.
    pub fn flow(&self) -> anyhow::Result<crate::domain::Flow> {
        self.row.flow.parse()
    }

    /// The state-machine state.
    pub fn state(&self) -> anyhow::Result<AccountState> {
        Ok(AccountState {
            verification: self.row.verification.parse::<Verification>()?,
            login_required: self.row.login_required,
            has_numbers: self.has_numbers,
        })
    }
}

/// A new account to insert at exchange time.
#[derive(Clone, Debug)]
pub struct NewAccount {
    pub account_id: String,
    /// Display name.
    pub name: String,
    pub mask: Option<String>,
    pub subtype: Option<String>,
    /// Plaid's raw `verification_status` ("" when none).
    pub plaid_verification_status: String,
    /// Initial verification.
    pub verification: Verification,
    /// How it is verified.
    pub flow: crate::domain::Flow,
    /// The reconciliation sweep's first check (pending accounts only).
    pub reconcile_at: Option<DateTime<Utc>>,
}

/// Accounts selected by `filter`, each with whether its numbers are stored: one query (an
/// `EXISTS` on `account_numbers` per row), ordered by `order`.
async fn select_with_numbers_flag(
    db: &impl ConnectionTrait,
    filter: sea_orm::sea_query::SimpleExpr,
    order: &[account::Column],
    what: &'static str,
) -> anyhow::Result<Vec<AccountRecord>> {
    let has_numbers = Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from(account_numbers::Entity)
            .and_where(
                Expr::col((account_numbers::Entity, account_numbers::Column::AccountId))
                    .equals((account::Entity, account::Column::AccountId)),
            )
            .to_owned(),
    );
    let mut select = account::Entity::find()
        .filter(filter)
        .column_as(has_numbers, "has_numbers");
    for column in order {
        select = select.order_by_asc(*column);
    }
    select
        .into_model::<AccountRecord>()
        .all(db)
        .await
        .context(what)
}

/// One account, if it exists.
pub async fn find(
    db: &impl ConnectionTrait,
    account_id: &str,
) -> anyhow::Result<Option<AccountRecord>> {
    Ok(select_with_numbers_flag(
        db,
        account::Column::AccountId.eq(account_id),
        &[],
        "reading an account",
    )
    .await?
    .into_iter()
    .next())
}

/// The accounts of an Item, ordered by id.
pub async fn of_item(
    db: &impl ConnectionTrait,
    item_id: &str,
) -> anyhow::Result<Vec<AccountRecord>> {
    select_with_numbers_flag(
        db,
        account::Column::ItemId.eq(item_id),
        &[account::Column::AccountId],
        "reading an Item's accounts",
    )
    .await
}

/// The accounts of every Item of `item_ids`, ordered by Item and account id: one query.
pub async fn of_items(
    db: &impl ConnectionTrait,
    item_ids: &[&str],
) -> anyhow::Result<Vec<AccountRecord>> {
    if item_ids.is_empty() {
        return Ok(Vec::new());
    }
    select_with_numbers_flag(
        db,
        account::Column::ItemId.is_in(item_ids.iter().copied()),
        &[account::Column::ItemId, account::Column::AccountId],
        "reading Items' accounts",
    )
    .await
}

/// A user's accounts, oldest link first.
pub async fn of_user(
    db: &impl ConnectionTrait,
    user_id: &str,
) -> anyhow::Result<Vec<AccountRecord>> {
    select_with_numbers_flag(
        db,
        account::Column::UserId.eq(user_id),
        &[account::Column::LinkedAt, account::Column::AccountId],
        "reading a user's accounts",
    )
    .await
}

/// Inserts the accounts of a freshly exchanged Item.
pub async fn insert_all(
    db: &impl ConnectionTrait,
    item_id: &str,
    user_id: &str,
    accounts: &[NewAccount],
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    for a in accounts {
        account::ActiveModel {
            account_id: Set(a.account_id.clone()),
            item_id: Set(item_id.to_owned()),
            user_id: Set(user_id.to_owned()),
            verification: Set(a.verification.as_str().to_owned()),
            login_required: Set(false),
            plaid_verification_status: Set(a.plaid_verification_status.clone()),
            mask: Set(a.mask.clone()),
            name: Set(a.name.clone()),
            subtype: Set(a.subtype.clone()),
            linked_at: Set(now),
            status_changed_at: Set(now),
            version: Set(1),
            updated_at: Set(now),
            flow: Set(a.flow.as_str().to_owned()),
            reconcile_at: Set(a.reconcile_at),
            reconcile_checks: Set(0),
        }
        .insert(db)
        .await
        .with_context(|| "inserting an account")?;
    }
    Ok(())
}

/// Writes `next` to the account if it is still at `expected_version` (optimistic concurrency).
/// Returns false when another writer got there first.
pub async fn update_state(
    db: &impl ConnectionTrait,
    current: &AccountRecord,
    next: AccountState,
    plaid_status: Option<&str>,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let row = &current.row;
    let status_changed = current.state()?.status() != next.status();
    let mut update = account::Entity::update_many()
        .col_expr(
            account::Column::Verification,
            Expr::value(next.verification.as_str()),
        )
        .col_expr(
            account::Column::LoginRequired,
            Expr::value(next.login_required),
        )
        .col_expr(account::Column::Version, Expr::value(row.version + 1))
        .col_expr(account::Column::UpdatedAt, Expr::value(now));
    if status_changed {
        update = update.col_expr(account::Column::StatusChangedAt, Expr::value(now));
    }
    if next.verification != Verification::Pending {
        // Settled: nothing left for the reconciliation sweep to ask.
        update = update.col_expr(
            account::Column::ReconcileAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        );
    }
    if let Some(status) = plaid_status {
        update = update.col_expr(
            account::Column::PlaidVerificationStatus,
            Expr::value(status.to_owned()),
        );
    }
    let result = update
        .filter(account::Column::AccountId.eq(row.account_id.as_str()))
        .filter(account::Column::Version.eq(row.version))
        .exec(db)
        .await
        .context("updating an account's state")?;
    Ok(result.rows_affected == 1)
}

/// Stores (or replaces) an account's sealed numbers.
pub async fn put_numbers(
    db: &impl ConnectionTrait,
    account_id: &str,
    item_id: &str,
    sealed: SealedNumbers,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    account_numbers::Entity::delete_by_id(account_id.to_owned())
        .exec(db)
        .await
        .context("replacing account numbers")?;
    account_numbers::ActiveModel {
        account_id: Set(account_id.to_owned()),
        item_id: Set(item_id.to_owned()),
        key_id: Set(sealed.key_id),
        account_ct: Set(sealed.account_ct),
        routing_ct: Set(sealed.routing_ct),
        wire_routing_ct: Set(sealed.wire_routing_ct),
        fetched_at: Set(now),
    }
    .insert(db)
    .await
    .context("storing account numbers")?;
    Ok(())
}

/// An account's sealed numbers and when they were fetched, if stored.
pub async fn numbers(
    db: &impl ConnectionTrait,
    account_id: &str,
) -> anyhow::Result<Option<(SealedNumbers, DateTime<Utc>)>> {
    Ok(account_numbers::Entity::find_by_id(account_id.to_owned())
        .one(db)
        .await
        .context("reading account numbers")?
        .map(|row| {
            (
                SealedNumbers {
                    key_id: row.key_id,
                    account_ct: row.account_ct,
                    routing_ct: row.routing_ct,
                    wire_routing_ct: row.wire_routing_ct,
                },
                row.fetched_at,
            )
        }))
}

/// Deletes an account's numbers.
pub async fn delete_numbers(db: &impl ConnectionTrait, account_id: &str) -> anyhow::Result<()> {
    account_numbers::Entity::delete_by_id(account_id.to_owned())
        .exec(db)
        .await
        .context("purging account numbers")?;
    Ok(())
}

/// How many accounts are in each status (for `/metrics`); statuses with none are left out.
pub async fn count_by_status(
    db: &impl ConnectionTrait,
) -> anyhow::Result<Vec<(crate::domain::Status, u64)>> {
    let rows: Vec<(String, bool, i64)> = account::Entity::find()
        .select_only()
        .column(account::Column::Verification)
        .column(account::Column::LoginRequired)
        .column_as(account::Column::AccountId.count(), "n")
        .group_by(account::Column::Verification)
        .group_by(account::Column::LoginRequired)
        .into_tuple()
        .all(db)
        .await
        .context("counting accounts by status")?;
    let mut counts: Vec<(crate::domain::Status, u64)> = Vec::new();
    for (verification, login_required, n) in rows {
        let status = AccountState {
            verification: verification.parse::<Verification>()?,
            login_required,
            has_numbers: false,
        }
        .status();
        let n = u64::try_from(n).unwrap_or(0);
        match counts.iter_mut().find(|(s, _)| *s == status) {
            Some((_, total)) => *total += n,
            None => counts.push((status, n)),
        }
    }
    Ok(counts)
}

/// One account's new state, for [`update_states`].
#[derive(Clone, Debug)]
pub struct StateChange<'a> {
    /// The account as read in this transaction (its version is checked).
    pub current: &'a AccountRecord,
    /// The state to write.
    pub next: AccountState,
    /// Plaid's raw `verification_status` to store, if any.
    pub plaid_status: Option<&'a str>,
}

/// Writes every change in one statement (a `CASE` per column), each guarded by its version;
/// `false` when any row had changed meanwhile (the caller rolls back and retries).
pub async fn update_states(
    db: &impl ConnectionTrait,
    changes: &[StateChange<'_>],
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    if changes.is_empty() {
        return Ok(true);
    }
    let id = || Expr::col(account::Column::AccountId);
    let mut verification = Cases::default();
    let mut login_required = Cases::default();
    let mut status_changed_at = Cases::default();
    let mut plaid_status = Cases::default();
    let mut guard = Condition::any();
    for change in changes {
        let row = &change.current.row;
        let is = || id().eq(row.account_id.as_str());
        verification.when(is(), Expr::value(change.next.verification.as_str()));
        login_required.when(is(), Expr::value(change.next.login_required));
        if change.current.state()?.status() != change.next.status() {
            status_changed_at.when(is(), Expr::value(now));
        }
        if let Some(status) = change.plaid_status {
            plaid_status.when(is(), Expr::value(status.to_owned()));
        }
        guard = guard.add(
            Condition::all()
                .add(is())
                .add(account::Column::Version.eq(row.version)),
        );
    }
    let mut update = account::Entity::update_many();
    for (column, cases) in [
        (account::Column::Verification, verification),
        (account::Column::LoginRequired, login_required),
        (account::Column::StatusChangedAt, status_changed_at),
        (account::Column::PlaidVerificationStatus, plaid_status),
    ] {
        if let Some(expr) = cases.or_keep(column) {
            update = update.col_expr(column, expr);
        }
    }
    let result = update
        .col_expr(
            account::Column::Version,
            Expr::col(account::Column::Version).add(1),
        )
        .col_expr(account::Column::UpdatedAt, Expr::value(now))
        .filter(guard)
        .exec(db)
        .await
        .context("updating accounts' states")?;
    Ok(result.rows_affected == changes.len() as u64)
}

/// The `CASE account_id WHEN ... END` of one column in [`update_states`]; a column no change
/// touches is left out of the `SET` (SQL has no `CASE` without a `WHEN`).
#[derive(Default)]
struct Cases {
    case: CaseStatement,
    arms: usize,
}

impl Cases {
    fn when(&mut self, condition: impl Into<Condition>, value: Expr) {
        self.case = std::mem::take(&mut self.case).case(condition, value);
        self.arms += 1;
    }

    /// The column's new value (its own when no arm matches), or `None` when it has no arm.
    fn or_keep(self, column: account::Column) -> Option<sea_orm::sea_query::SimpleExpr> {
        (self.arms > 0).then(|| self.case.finally(Expr::col(column)).into())
    }
}

/// Stores (or replaces) the sealed numbers of several accounts: one delete and one insert.
pub async fn put_numbers_many(
    db: &impl ConnectionTrait,
    numbers: Vec<(String, String, SealedNumbers)>,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    if numbers.is_empty() {
        return Ok(());
    }
    account_numbers::Entity::delete_many()
        .filter(account_numbers::Column::AccountId.is_in(numbers.iter().map(|(a, _, _)| a.clone())))
        .exec(db)
        .await
        .context("replacing account numbers")?;
    let rows =
        numbers.into_iter().map(
            |(account_id, item_id, sealed)| account_numbers::ActiveModel {
                account_id: Set(account_id),
                item_id: Set(item_id),
                key_id: Set(sealed.key_id),
                account_ct: Set(sealed.account_ct),
                routing_ct: Set(sealed.routing_ct),
                wire_routing_ct: Set(sealed.wire_routing_ct),
                fetched_at: Set(now),
            },
        );
    account_numbers::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await
        .context("storing account numbers")?;
    Ok(())
}
