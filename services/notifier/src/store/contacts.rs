//! People's contact data. Email addresses, phone numbers and push URLs are personal data: they
//! are sealed with the keyring (AES-256-GCM, key id stored beside the ciphertext) and bound to
//! their row and column (`contacts:<user_id>:<column>` as associated data), so a ciphertext
//! moved to another person's row does not open. They are opened only to send.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use penny_store::crypto::aad;
use penny_store::{Keyring, Sealed, SecretString};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, Set};

use super::entities::contact::{self, Entity};
use crate::domain::contact::ValidContact;
use crate::domain::kind::{channels_to_string, parse_channels};
use crate::domain::schedule::QuietHours;
use crate::domain::{Channel, Recipient};

/// Seals and opens addresses. Cheap to clone.
#[derive(Clone, Debug)]
pub struct AddressBook {
    keyring: Arc<Keyring>,
}

/// A contact read back, addresses opened.
#[derive(Clone, Debug)]
pub struct Contact {
    /// The app's user id.
    pub user_id: String,
    /// Email address.
    pub email: Option<SecretString>,
    /// E.164 phone number.
    pub phone: Option<SecretString>,
    /// Push endpoint URL.
    pub push_url: Option<SecretString>,
    /// Enabled channels.
    pub channels: Vec<Channel>,
    /// Quiet hours.
    pub quiet_hours: Option<QuietHours>,
    /// Their time zone.
    pub time_zone: Option<Tz>,
    /// BCP 47 tag.
    pub locale: String,
    /// Last written.
    pub updated_at: DateTime<Utc>,
}

impl Contact {
    /// The address for `channel`, if any.
    pub fn address(&self, channel: Channel) -> Option<&SecretString> {
        match channel {
            Channel::Email => self.email.as_ref(),
            Channel::Sms => self.phone.as_ref(),
            Channel::Push => self.push_url.as_ref(),
        }
    }

    /// What the planner needs (no addresses), with `switched_off` from the preferences.
    pub fn recipient(
        &self,
        switched_off: std::collections::BTreeSet<(crate::domain::AlertKind, Channel)>,
    ) -> Recipient {
        Recipient {
            channels: self.channels.clone(),
            addressed: Channel::ALL
                .into_iter()
                .filter(|c| self.address(*c).is_some())
                .collect(),
            quiet_hours: self.quiet_hours.zip(self.time_zone),
            switched_off,
        }
    }
}

impl AddressBook {
    /// Seals with the first key of `keyring`, opens with any.
    pub fn new(keyring: Keyring) -> Self {
        Self {
            keyring: Arc::new(keyring),
        }
    }

    fn seal(&self, user_id: &str, column: &str, value: &str) -> anyhow::Result<String> {
        Ok(self
            .keyring
            .seal_str(value, &aad("contacts", user_id, column))?
            .to_text())
    }

    fn open(
        &self,
        user_id: &str,
        column: &str,
        text: Option<&str>,
    ) -> anyhow::Result<Option<SecretString>> {
        let Some(text) = text else { return Ok(None) };
        let sealed = Sealed::from_text(text)?;
        Ok(Some(
            self.keyring
                .open_string(&sealed, &aad("contacts", user_id, column))?,
        ))
    }

    /// Writes `contact` (insert, or replace all but its creation time), sealing its addresses.
    pub async fn upsert(
        &self,
        db: &impl ConnectionTrait,
        contact: &ValidContact,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let user = contact.user_id.as_str();
        let seal = |column: &str, value: &Option<String>| {
            value
                .as_deref()
                .map(|v| self.seal(user, column, v))
                .transpose()
        };
        let (start, end) = contact
            .quiet_hours
            .map(QuietHours::to_minutes)
            .map_or((None, None), |(s, e)| (Some(s), Some(e)));
        let row = contact::ActiveModel {
            user_id: Set(user.to_owned()),
            email: Set(seal("email", &contact.email)?),
            phone: Set(seal("phone", &contact.phone)?),
            push_url: Set(seal("push_url", &contact.push_url)?),
            channels: Set(channels_to_string(&contact.channels)),
            quiet_start: Set(start),
            quiet_end: Set(end),
            time_zone: Set(contact.time_zone.map(|tz| tz.name().to_owned())),
            locale: Set(contact.locale.clone()),
            created_at: Set(now),
            updated_at: Set(now),
        };
        use contact::Column as C;
        Entity::insert(row)
            .on_conflict(
                OnConflict::column(C::UserId)
                    .update_columns([
                        C::Email,
                        C::Phone,
                        C::PushUrl,
                        C::Channels,
                        C::QuietStart,
                        C::QuietEnd,
                        C::TimeZone,
                        C::Locale,
                        C::UpdatedAt,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
        Ok(())
    }

    /// The contact of `user_id`, addresses opened.
    pub async fn find(
        &self,
        db: &impl ConnectionTrait,
        user_id: &str,
    ) -> anyhow::Result<Option<Contact>> {
        let Some(row) = Entity::find_by_id(user_id.to_owned()).one(db).await? else {
            return Ok(None);
        };
        let user = row.user_id.as_str();
        let quiet_hours = row
            .quiet_start
            .zip(row.quiet_end)
            .and_then(|(s, e)| QuietHours::from_minutes(s, e));
        Ok(Some(Contact {
            email: self.open(user, "email", row.email.as_deref())?,
            phone: self.open(user, "phone", row.phone.as_deref())?,
            push_url: self.open(user, "push_url", row.push_url.as_deref())?,
            channels: parse_channels(&row.channels).map_err(anyhow::Error::msg)?,
            quiet_hours,
            time_zone: row.time_zone.as_deref().and_then(|tz| tz.parse().ok()),
            locale: row.locale.clone(),
            updated_at: row.updated_at,
            user_id: row.user_id,
        }))
    }
}

/// A contact row's addresses re-sealed under the active key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resealed {
    /// Sealed email address.
    pub email: Option<String>,
    /// Sealed phone number.
    pub phone: Option<String>,
    /// Sealed push endpoint URL.
    pub push_url: Option<String>,
}

impl AddressBook {
    /// Id of the key that seals.
    pub fn active_key_id(&self) -> &str {
        self.keyring.active_key_id()
    }

    /// `row`'s addresses re-sealed under the active key, or `None` when every one of them is
    /// sealed under it already (nothing to do).
    pub fn reseal(&self, row: &contact::Model) -> anyhow::Result<Option<Resealed>> {
        let user = row.user_id.as_str();
        let mut stale = false;
        let mut again = |column: &str, text: Option<&str>| -> anyhow::Result<Option<String>> {
            let Some(text) = text else { return Ok(None) };
            if !self.keyring.needs_rotation(&Sealed::from_text(text)?) {
                return Ok(Some(text.to_owned()));
            }
            stale = true;
            let Some(plain) = self.open(user, column, Some(text))? else {
                return Ok(None);
            };
            self.seal(user, column, &plain).map(Some)
        };
        let resealed = Resealed {
            email: again("email", row.email.as_deref())?,
            phone: again("phone", row.phone.as_deref())?,
            push_url: again("push_url", row.push_url.as_deref())?,
        };
        Ok(stale.then_some(resealed))
    }
}

/// Deletes `user_id`'s contact; whether there was one.
pub async fn delete(db: &impl ConnectionTrait, user_id: &str) -> Result<bool, DbErr> {
    let result = Entity::delete_by_id(user_id.to_owned()).exec(db).await?;
    Ok(result.rows_affected > 0)
}
