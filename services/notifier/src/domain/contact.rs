//! Checking a person's contact data before anything is stored: one [`FieldError`] naming the
//! first bad field, so the API answers `INVALID_ARGUMENT` precisely and stores nothing.
//!
//! - **email**: RFC 5322 syntax (`email_address`) with at least a domain and a TLD
//!   (`a@localhost` is refused) and no domain literal (`a@[10.0.0.1]` is refused).
//! - **phone**: E.164 only, guarded against the `phonenumber` crate's quirks ([`super::phone`]).
//! - **push URL**: an absolute `https` URL (`http` only outside production), no credentials.
//! - **time zone**: an IANA name; **quiet hours**: `HH:MM` pairs, which need a time zone.
//! - **locale**: a BCP 47 language tag (`en`, `es-MX`).

use chrono_tz::Tz;
use email_address::{EmailAddress, Options};

use super::kind::{AlertKind, Channel};
use super::schedule::QuietHours;

/// The first bad field and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct FieldError {
    /// The request field, as the API names it.
    pub field: String,
    /// What is wrong (never echoes the value: it is personal data).
    pub problem: String,
}

fn bad(field: impl Into<String>, problem: impl Into<String>) -> FieldError {
    FieldError {
        field: field.into(),
        problem: problem.into(),
    }
}

/// A contact as the API received it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContactInput {
    /// The app's user id.
    pub user_id: String,
    /// `""` when none.
    pub email: String,
    /// `""` when none.
    pub phone: String,
    /// `""` when none.
    pub push_url: String,
    /// The channels alerts may use.
    pub channels: Vec<Channel>,
    /// `(start, end)` as `HH:MM`, when set.
    pub quiet_hours: Option<(String, String)>,
    /// `""` when none.
    pub time_zone: String,
    /// `""`: English.
    pub locale: String,
    /// Preferences to set: kind, channel, enabled.
    pub preferences: Vec<PreferenceInput>,
}

/// One preference as received (`None`: the field was unspecified).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PreferenceInput {
    /// The kind.
    pub kind: Option<AlertKind>,
    /// The channel.
    pub channel: Option<Channel>,
    /// On or off.
    pub enabled: bool,
}

/// A contact that passed every check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidContact {
    /// The app's user id.
    pub user_id: String,
    /// Email address.
    pub email: Option<String>,
    /// E.164 phone number.
    pub phone: Option<String>,
    /// Push endpoint URL.
    pub push_url: Option<String>,
    /// Enabled channels, sorted, without duplicates.
    pub channels: Vec<Channel>,
    /// Quiet hours with their time zone.
    pub quiet_hours: Option<QuietHours>,
    /// IANA time zone.
    pub time_zone: Option<Tz>,
    /// BCP 47 tag, normalised (`es-MX`).
    pub locale: String,
    /// Preferences to set.
    pub preferences: Vec<(AlertKind, Channel, bool)>,
}

/// Checks `input`; `production` refuses `http` push URLs.
pub fn validate(input: &ContactInput, production: bool) -> Result<ValidContact, FieldError> {
    let user_id = user_id("user_id", &input.user_id)?.to_owned();
    let email = optional(&input.email)
        .map(|e| email("email", e))
        .transpose()?;
    let phone = optional(&input.phone)
        .map(|p| phone("phone", p))
        .transpose()?;
    let push_url = optional(&input.push_url)
        .map(|u| push_url("push_url", u, production))
        .transpose()?;
    let time_zone = optional(&input.time_zone)
        .map(|tz| time_zone("time_zone", tz))
        .transpose()?;
    let quiet_hours = match &input.quiet_hours {
        None => None,
        Some((start, end)) => {
            let hours = QuietHours::parse(start, end).map_err(|p| bad("quiet_hours", p))?;
            if time_zone.is_none() {
                return Err(bad("time_zone", "is required with quiet_hours"));
            }
            Some(hours)
        }
    };
    let locale = locale("locale", &input.locale)?;
    let mut channels = input.channels.clone();
    channels.sort();
    channels.dedup();
    for channel in &channels {
        let (has, field) = match channel {
            Channel::Email => (email.is_some(), "email"),
            Channel::Sms => (phone.is_some(), "phone"),
            Channel::Push => (push_url.is_some(), "push_url"),
        };
        if !has {
            return Err(bad(
                "channels",
                format!("{channel} is enabled but {field} is empty"),
            ));
        }
    }
    let mut preferences = Vec::with_capacity(input.preferences.len());
    for (i, p) in input.preferences.iter().enumerate() {
        let kind = p
            .kind
            .ok_or_else(|| bad(format!("preferences[{i}].kind"), "is required"))?;
        let channel = p
            .channel
            .ok_or_else(|| bad(format!("preferences[{i}].channel"), "is required"))?;
        if kind.is_protective() && !p.enabled {
            return Err(bad(
                format!("preferences[{i}]"),
                format!("{kind} protects the user and cannot be switched off"),
            ));
        }
        preferences.push((kind, channel, p.enabled));
    }
    Ok(ValidContact {
        user_id,
        email,
        phone,
        push_url,
        channels,
        quiet_hours,
        time_zone,
        locale,
        preferences,
    })
}

fn optional(value: &str) -> Option<&str> {
    let value = value.trim();
    (!value.is_empty()).then_some(value)
}

/// Checks an app user id: 1 to 256 printable ASCII characters, not an email address.
pub fn user_id<'a>(field: &str, value: &'a str) -> Result<&'a str, FieldError> {
    if value.is_empty() {
        return Err(bad(field, "is required"));
    }
    if value.len() > 256 {
        return Err(bad(field, "is longer than 256 characters"));
    }
    if !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(bad(field, "must be printable ASCII without spaces"));
    }
    if value.contains('@') {
        return Err(bad(
            field,
            "must be the app's own user id, not an email address",
        ));
    }
    Ok(value)
}

/// Checks an email address (see the module docs); returns it as given.
pub fn email(field: &str, value: &str) -> Result<String, FieldError> {
    if value.len() > 254 {
        return Err(bad(field, "is longer than 254 characters"));
    }
    let options = Options {
        minimum_sub_domains: 2,
        allow_domain_literal: false,
        allow_display_text: false,
        allow_long_local_parts: false,
    };
    EmailAddress::parse_with_options(value, options)
        .map(|_| value.to_owned())
        .map_err(|e| bad(field, format!("is not a deliverable email address ({e})")))
}

/// Checks an E.164 phone number (see [`super::phone`]); returns it unchanged.
pub fn phone(field: &str, value: &str) -> Result<String, FieldError> {
    super::phone::check(value).map_err(|problem| bad(field, problem))
}

/// Checks a push endpoint URL (see the module docs).
pub fn push_url(field: &str, value: &str, production: bool) -> Result<String, FieldError> {
    if value.len() > 2048 {
        return Err(bad(field, "is longer than 2048 characters"));
    }
    let url = reqwest::Url::parse(value).map_err(|_| bad(field, "is not an absolute URL"))?;
    match url.scheme() {
        "https" => {}
        "http" if !production => {}
        "http" => return Err(bad(field, "must be https in production")),
        _ => return Err(bad(field, "must be an https URL")),
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad(field, "has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad(field, "must not carry credentials"));
    }
    Ok(value.to_owned())
}

/// Checks an IANA time zone name.
pub fn time_zone(field: &str, value: &str) -> Result<Tz, FieldError> {
    value.parse::<Tz>().map_err(|_| {
        bad(
            field,
            "is not a known IANA time zone (e.g. America/New_York)",
        )
    })
}

/// Checks and normalises a BCP 47 language tag (`""` is English).
pub fn locale(field: &str, value: &str) -> Result<String, FieldError> {
    let value = value.trim();
    if value.is_empty() {
        return Ok("en".to_owned());
    }
    let mut parts = value.split(['-', '_']);
    let language = parts.next().unwrap_or_default();
    if !(2..=3).contains(&language.len()) || !language.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(bad(field, "is not a language tag (e.g. en, es-MX)"));
    }
    let mut tag = language.to_ascii_lowercase();
    for part in parts {
        if !(1..=8).contains(&part.len()) || !part.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(bad(field, "is not a language tag (e.g. en, es-MX)"));
        }
        tag.push('-');
        if part.len() == 2 {
            tag.push_str(&part.to_ascii_uppercase());
        } else {
            tag.push_str(part);
        }
    }
    Ok(tag)
}

#[cfg(test)]
#[path = "contact_tests.rs"]
mod tests;
