//! What [`super::Config`] checks and derives at start: production's refusals, and the
//! secrets with their development fallbacks.

use base64::Engine as _;
use penny_config::Secret;
use penny_runtime::auth::ApiTokens;
use penny_store::Keyring;

use super::{
    Config, ConfigError, DEV_EMAIL_FROM, DEV_SMS_ACCOUNT_SID, INSECURE_DEV_API_TOKEN,
    INSECURE_DEV_KEYRING, INSECURE_DEV_LINK_KEY, INSECURE_DEV_PUSH_SECRET, INSECURE_DEV_SMS_TOKEN,
    SCOPES,
};
use crate::channels::email::Security;
use crate::domain::Channel;

impl Config {
    /// Whether this is production.
    pub fn is_production(&self) -> bool {
        self.environment == "production"
    }

    /// The settings to create missing streams with, when this service may
    /// (`PENNY_NOTIFIER_CREATE_MISSING_STREAMS`); it never changes an existing stream.
    pub fn stream_creation(&self) -> Option<penny_bus::Topology> {
        self.missing_stream_replicas()
            .map(penny_bus::Topology::with_replicas)
    }

    /// Whether the INSECURE development secrets may be used.
    pub fn dev_defaults_allowed(&self) -> bool {
        self.insecure_dev_key || !self.is_production()
    }

    /// In production: every secret given, and real settings for every enabled channel.
    pub fn check_production(&self) -> Result<(), ConfigError> {
        if !self.is_production() {
            return Ok(());
        }
        let refuse = |what: &str| Err(ConfigError::Production(what.to_owned()));
        if self.api_tokens.is_none() {
            return refuse("PENNY_NOTIFIER_API_TOKENS is required");
        }
        if self.encryption_keys.is_none() {
            return refuse("PENNY_NOTIFIER_ENCRYPTION_KEYS is required");
        }
        if self.link_key.is_none() {
            return refuse("PENNY_NOTIFIER_LINK_KEY is required");
        }
        if !self.public_url.starts_with("https://") {
            return refuse("PENNY_NOTIFIER_PUBLIC_URL must be https");
        }
        if self.channels.0.contains(&Channel::Email) {
            if self.email.smtp_security == Security::Plain {
                return refuse("PENNY_NOTIFIER_SMTP_SECURITY must be starttls or tls");
            }
            if self.email.email_from == DEV_EMAIL_FROM {
                return refuse("PENNY_NOTIFIER_EMAIL_FROM must be set");
            }
        }
        if self.channels.0.contains(&Channel::Sms) {
            if !self.sms.sms_base_url.starts_with("https://") {
                return refuse("PENNY_NOTIFIER_SMS_BASE_URL must be https");
            }
            if self.sms.sms_account_sid == DEV_SMS_ACCOUNT_SID || self.sms.sms_auth_token.is_none()
            {
                return refuse(
                    "PENNY_NOTIFIER_SMS_ACCOUNT_SID and PENNY_NOTIFIER_SMS_AUTH_TOKEN are required",
                );
            }
        }
        if self.channels.0.contains(&Channel::Push) && self.push.push_signing_secret.is_none() {
            return refuse("PENNY_NOTIFIER_PUSH_SIGNING_SECRET is required");
        }
        Ok(())
    }

    /// The keyring sealing contact data.
    pub fn keyring(&self) -> Result<Keyring, ConfigError> {
        let spec = self.secret_or_dev(
            &self.encryption_keys,
            INSECURE_DEV_KEYRING,
            "PENNY_NOTIFIER_ENCRYPTION_KEYS",
        )?;
        Ok(Keyring::parse(&spec)?)
    }

    /// The API tokens: the configured ones, or the INSECURE dev token when allowed.
    pub fn tokens(&self) -> Result<ApiTokens, ConfigError> {
        let dev = self
            .dev_defaults_allowed()
            .then_some(INSECURE_DEV_API_TOKEN);
        let variable = "PENNY_NOTIFIER_API_TOKENS";
        ApiTokens::configured_or_dev(self.api_tokens.as_ref(), &SCOPES, dev, variable)?
            .ok_or_else(|| ConfigError::Production(format!("{variable} is required")))
    }

    /// The key signing unsubscribe links.
    pub fn link_key(&self) -> Result<Vec<u8>, ConfigError> {
        let encoded = self.secret_or_dev(
            &self.link_key,
            INSECURE_DEV_LINK_KEY,
            "PENNY_NOTIFIER_LINK_KEY",
        )?;
        let key = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .map_err(|_| ConfigError::Invalid("PENNY_NOTIFIER_LINK_KEY is not base64".into()))?;
        if key.len() < 32 {
            return Err(ConfigError::Invalid(
                "PENNY_NOTIFIER_LINK_KEY must hold at least 32 bytes".into(),
            ));
        }
        Ok(key)
    }

    /// The push signing secret.
    pub fn push_secret(&self) -> Result<String, ConfigError> {
        self.secret_or_dev(
            &self.push.push_signing_secret,
            INSECURE_DEV_PUSH_SECRET,
            "PENNY_NOTIFIER_PUSH_SIGNING_SECRET",
        )
    }

    /// The SMS auth token.
    pub fn sms_token(&self) -> Result<Secret<String>, ConfigError> {
        self.secret_or_dev(
            &self.sms.sms_auth_token,
            INSECURE_DEV_SMS_TOKEN,
            "PENNY_NOTIFIER_SMS_AUTH_TOKEN",
        )
        .map(Secret::new)
    }

    fn secret_or_dev(
        &self,
        value: &Option<Secret<String>>,
        dev: &str,
        name: &str,
    ) -> Result<String, ConfigError> {
        match value {
            Some(secret) => Ok(secret.expose().clone()),
            None if self.dev_defaults_allowed() => {
                tracing::warn!(
                    setting = name,
                    "not set: using the INSECURE development value"
                );
                Ok(dev.to_owned())
            }
            None => Err(ConfigError::Production(format!("{name} is required"))),
        }
    }
}

#[cfg(test)]
#[path = "checks_tests.rs"]
mod tests;
