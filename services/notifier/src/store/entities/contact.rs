//! `contacts`: a person's contact data; addresses sealed.

use sea_orm::entity::prelude::*;

/// One person's contact data.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "contacts")]
pub struct Model {
    /// The app's user id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: String,
    /// Sealed email address (`<key id>:<base64>`).
    pub email: Option<String>,
    /// Sealed E.164 phone number.
    pub phone: Option<String>,
    /// Sealed push endpoint URL.
    pub push_url: Option<String>,
    /// Enabled channels, `email,sms,push`.
    pub channels: String,
    /// Quiet hours start, minutes after midnight.
    pub quiet_start: Option<i32>,
    /// Quiet hours end, minutes after midnight.
    pub quiet_end: Option<i32>,
    /// IANA time zone.
    pub time_zone: Option<String>,
    /// BCP 47 tag.
    pub locale: String,
    /// First written.
    pub created_at: DateTimeUtc,
    /// Last written.
    pub updated_at: DateTimeUtc,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
