//! Contact data and preferences (the gRPC API), the alert record (by person or account), and
//! one-click unsubscribe.
//! Every write is checked first and made in one transaction: bad input stores nothing.

use std::collections::BTreeSet;

use super::{Notifier, NotifierError};
use crate::domain::contact::{self, ContactInput};
use crate::domain::{AlertKind, Channel};
use crate::public::links::Unsubscribe;
use crate::store::accounts;
use crate::store::alerts::{self, Alert, Owner};
use crate::store::contacts::{self, Contact};
use crate::store::preferences::{self, Source};

/// A contact with every preference (kind × channel) as it applies now.
#[derive(Clone, Debug)]
pub struct ContactView {
    /// The contact.
    pub contact: Contact,
    /// `(kind, channel, enabled, locked)`; locked kinds protect the user.
    pub preferences: Vec<(AlertKind, Channel, bool, bool)>,
}

/// Most alerts one page holds.
pub const MAX_PAGE: u32 = 500;
/// Alerts a page holds when the caller does not say.
pub const DEFAULT_PAGE: u32 = 50;

impl Notifier {
    /// Creates or replaces a contact and applies its preferences.
    pub async fn upsert_contact(&self, input: &ContactInput) -> Result<ContactView, NotifierError> {
        let valid = contact::validate(input, self.settings().production)?;
        let now = self.now();
        let txn = penny_store::begin_write(self.db()).await?;
        self.inner.book.upsert(&txn, &valid, now).await?;
        for (kind, channel, enabled) in &valid.preferences {
            preferences::set(
                &txn,
                &valid.user_id,
                *kind,
                *channel,
                *enabled,
                Source::Api,
                now,
            )
            .await?;
        }
        txn.commit().await?;
        self.get_contact(&valid.user_id).await
    }

    /// A contact with its preferences.
    pub async fn get_contact(&self, user_id: &str) -> Result<ContactView, NotifierError> {
        contact::user_id("user_id", user_id)?;
        let contact = self
            .inner
            .book
            .find(self.db(), user_id)
            .await?
            .ok_or_else(|| NotifierError::ContactNotFound(user_id.to_owned()))?;
        let off = preferences::switched_off(self.db(), user_id).await?;
        Ok(ContactView {
            contact,
            preferences: preference_table(&off),
        })
    }

    /// Erases a person's contact data and preferences, suppresses their alerts not sent yet
    /// and erases what their alerts said (ids and states stay); whether a contact existed and
    /// how many alerts were suppressed.
    pub async fn delete_contact(&self, user_id: &str) -> Result<(bool, u64), NotifierError> {
        contact::user_id("user_id", user_id)?;
        let now = self.now();
        let txn = penny_store::begin_write(self.db()).await?;
        let deleted = contacts::delete(&txn, user_id).await?;
        preferences::delete_all(&txn, user_id).await?;
        let suppressed = alerts::erase_for_user(&txn, user_id, "contact data deleted", now).await?;
        accounts::forget_masks(&txn, user_id).await?;
        txn.commit().await?;
        Ok((deleted, suppressed))
    }

    /// A page of alerts, newest first, and the token of the next page: a person's
    /// (`user_id`), an account's (`account_id`), or both filters at once (empty: not
    /// filtered; at least one is required).
    pub async fn list_notifications(
        &self,
        user_id: &str,
        account_id: &str,
        page_size: u32,
        page_token: &str,
    ) -> Result<(Vec<Alert>, Option<String>), NotifierError> {
        let owner = owner(user_id, account_id)?;
        let size = match page_size {
            0 => DEFAULT_PAGE,
            n => n.min(MAX_PAGE),
        };
        let before = (!page_token.is_empty()).then_some(page_token);
        if before.is_some_and(|t| uuid::Uuid::parse_str(t).is_err()) {
            return Err(contact::FieldError {
                field: "page_token".into(),
                problem: "is not a token from a previous page".into(),
            }
            .into());
        }
        let mut rows = alerts::page(self.db(), owner, before, u64::from(size) + 1).await?;
        let next = (rows.len() > size as usize).then(|| {
            rows.truncate(size as usize);
            rows.last().map(|r| r.id.clone()).unwrap_or_default()
        });
        Ok((rows, next))
    }

    /// What an unsubscribe token switches off, if it is one of ours (no change made).
    pub fn links_verify(&self, token: &str) -> Option<Unsubscribe> {
        self.inner.links.verify(token)
    }

    /// A one-click unsubscribe: switches the link's kind off on its channel for its person (a
    /// person without contact data has nothing to switch off). `None` for a token that is not
    /// ours.
    pub async fn unsubscribe(&self, token: &str) -> Result<Option<Unsubscribe>, NotifierError> {
        let Some(link) = self.inner.links.verify(token) else {
            return Ok(None);
        };
        let now = self.now();
        let txn = penny_store::begin_write(self.db()).await?;
        if self.inner.book.find(&txn, &link.user_id).await?.is_some() {
            preferences::set(
                &txn,
                &link.user_id,
                link.kind,
                link.channel,
                false,
                Source::Unsubscribe,
                now,
            )
            .await?;
        }
        txn.commit().await?;
        Ok(Some(link))
    }
}

/// Whose alerts a listing asks for: checked `user_id` and `account_id`, at least one given.
fn owner<'a>(user_id: &'a str, account_id: &'a str) -> Result<Owner<'a>, contact::FieldError> {
    let bad = |field: &str, problem: &str| contact::FieldError {
        field: field.into(),
        problem: problem.into(),
    };
    if user_id.is_empty() && account_id.is_empty() {
        return Err(bad("user_id or account_id", "is required"));
    }
    let user_id = (!user_id.is_empty())
        .then(|| contact::user_id("user_id", user_id))
        .transpose()?;
    if account_id.len() > 256 {
        return Err(bad("account_id", "is longer than 256 characters"));
    }
    if !account_id.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(bad("account_id", "must be printable ASCII without spaces"));
    }
    Ok(Owner {
        user_id,
        account_id: (!account_id.is_empty()).then_some(account_id),
    })
}

/// Every kind × channel with whether it is on and whether it is locked.
fn preference_table(off: &BTreeSet<(AlertKind, Channel)>) -> Vec<(AlertKind, Channel, bool, bool)> {
    AlertKind::ALL
        .into_iter()
        .flat_map(|kind| {
            Channel::ALL.into_iter().map(move |channel| {
                let locked = kind.is_protective();
                (
                    kind,
                    channel,
                    locked || !off.contains(&(kind, channel)),
                    locked,
                )
            })
        })
        .collect()
}
