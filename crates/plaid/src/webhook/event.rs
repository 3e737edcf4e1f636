//! Typed views of the webhooks penny handles, built from a parsed [`Webhook`].

use std::collections::BTreeMap;

use super::{
    TYPE_AUTH, TYPE_BANK_TRANSFERS, TYPE_ITEM, TYPE_TRANSFER, Webhook, WebhookError,
    WebhookParseError,
};

/// What a webhook means, by type and code. Codes this crate does not model land in the
/// `Other` variants with the parsed [`Webhook`] still available to the caller.
#[derive(Clone, Debug, PartialEq)]
pub enum WebhookEvent {
    /// `AUTH` webhooks.
    Auth(AuthEvent),
    /// `ITEM` webhooks.
    Item(ItemEvent),
    /// `BANK_TRANSFERS / BANK_TRANSFERS_EVENTS_UPDATE`: call `/bank_transfer/event/sync`.
    BankTransfersEventsUpdate,
    /// `TRANSFER / TRANSFER_EVENTS_UPDATE`: call `/transfer/event/sync`.
    TransferEventsUpdate,
    /// Any other type/code.
    Other {
        /// The type.
        webhook_type: String,
        /// The code.
        webhook_code: String,
    },
}

/// `AUTH` webhooks (reference 4.1).
#[derive(Clone, Debug, PartialEq)]
pub enum AuthEvent {
    /// Automated micro-deposit verified: call `/auth/get`.
    AutomaticallyVerified {
        /// The Item.
        item_id: String,
        /// The verified account.
        account_id: String,
        /// Error, if Plaid sent one.
        error: Option<WebhookError>,
    },
    /// Not verified within 7 days: the Item is locked; ask the user to re-link.
    VerificationExpired {
        /// The Item.
        item_id: String,
        /// The account.
        account_id: String,
        /// Error, if Plaid sent one.
        error: Option<WebhookError>,
    },
    /// Numbers changed: stop using old numbers, call `/auth/get` again.
    DefaultUpdate {
        /// The Item.
        item_id: String,
        /// Accounts with new numbers.
        account_ids_with_new_auth: Vec<String>,
        /// Account id → changed fields (`ACCOUNT_NUMBER`, `ROUTING_NUMBER`).
        account_ids_with_updated_auth: BTreeMap<String, Vec<String>>,
    },
    /// Same-Day SMS verification finished.
    SmsMicrodepositsVerification {
        /// The Item.
        item_id: String,
        /// The account.
        account_id: String,
        /// `MANUALLY_VERIFIED` or `VERIFICATION_FAILED`.
        status: String,
    },
    /// Auth access not granted; fix with update mode.
    ProductPermissionsRequired {
        /// The Item.
        item_id: String,
    },
    /// Another AUTH code.
    Other {
        /// The code.
        webhook_code: String,
        /// The Item, if given.
        item_id: Option<String>,
    },
}

/// `ITEM` webhooks (reference 4.3).
#[derive(Clone, Debug, PartialEq)]
pub enum ItemEvent {
    /// The Item entered an error state (e.g. `ITEM_LOGIN_REQUIRED`).
    Error {
        /// The Item.
        item_id: String,
        /// The error (required by the spec; `None` if Plaid left it out).
        error: Option<WebhookError>,
    },
    /// The Item left `ITEM_LOGIN_REQUIRED` without update mode.
    LoginRepaired {
        /// The Item.
        item_id: String,
    },
    /// The user revoked access: remove the Item; a new Item is needed.
    UserPermissionRevoked {
        /// The Item.
        item_id: String,
        /// Error, if given.
        error: Option<WebhookError>,
    },
    /// Access to one account was revoked.
    UserAccountRevoked {
        /// The Item.
        item_id: String,
        /// The account, if given.
        account_id: Option<String>,
    },
    /// Consent expires in 7 days (EU/UK).
    PendingExpiration {
        /// The Item.
        item_id: String,
        /// When consent expires.
        consent_expiration_time: Option<String>,
    },
    /// The Item will disconnect in 7 days (US/CA).
    PendingDisconnect {
        /// The Item.
        item_id: String,
        /// Why.
        reason: Option<String>,
    },
    /// The webhook URL was changed.
    WebhookUpdateAcknowledged {
        /// The Item.
        item_id: String,
        /// The new URL.
        new_webhook_url: Option<String>,
    },
    /// New accounts can be added through update mode.
    NewAccountsAvailable {
        /// The Item, if given.
        item_id: Option<String>,
    },
    /// Another ITEM code.
    Other {
        /// The code.
        webhook_code: String,
        /// The Item, if given.
        item_id: Option<String>,
    },
}

impl Webhook {
    /// The typed view of this webhook. Fails only when a modelled code lacks a field it cannot
    /// be acted on without (`item_id`, or `account_id` for account-level AUTH codes).
    pub fn event(&self) -> Result<WebhookEvent, WebhookParseError> {
        match self.webhook_type.as_str() {
            TYPE_AUTH => self.auth_event().map(WebhookEvent::Auth),
            TYPE_ITEM => self.item_event().map(WebhookEvent::Item),
            TYPE_BANK_TRANSFERS if self.webhook_code == "BANK_TRANSFERS_EVENTS_UPDATE" => {
                Ok(WebhookEvent::BankTransfersEventsUpdate)
            }
            TYPE_TRANSFER if self.webhook_code == "TRANSFER_EVENTS_UPDATE" => {
                Ok(WebhookEvent::TransferEventsUpdate)
            }
            _ => Ok(WebhookEvent::Other {
                webhook_type: self.webhook_type.clone(),
                webhook_code: self.webhook_code.clone(),
            }),
        }
    }

    fn auth_event(&self) -> Result<AuthEvent, WebhookParseError> {
        Ok(match self.webhook_code.as_str() {
            "AUTOMATICALLY_VERIFIED" => AuthEvent::AutomaticallyVerified {
                item_id: self.require_item_id()?,
                account_id: self.require_account_id()?,
                error: self.error.clone(),
            },
            "VERIFICATION_EXPIRED" => AuthEvent::VerificationExpired {
                item_id: self.require_item_id()?,
                account_id: self.require_account_id()?,
                error: self.error.clone(),
            },
            "DEFAULT_UPDATE" => AuthEvent::DefaultUpdate {
                item_id: self.require_item_id()?,
                account_ids_with_new_auth: self.extra_as("account_ids_with_new_auth"),
                account_ids_with_updated_auth: self.extra_as("account_ids_with_updated_auth"),
            },
            "SMS_MICRODEPOSITS_VERIFICATION" => AuthEvent::SmsMicrodepositsVerification {
                item_id: self.require_item_id()?,
                account_id: self.require_account_id()?,
                status: self.extra_str("status").unwrap_or_default().to_owned(),
            },
            "PRODUCT_PERMISSIONS_REQUIRED" => AuthEvent::ProductPermissionsRequired {
                item_id: self.require_item_id()?,
            },
            _ => AuthEvent::Other {
                webhook_code: self.webhook_code.clone(),
                item_id: self.item_id.clone(),
            },
        })
    }

    fn item_event(&self) -> Result<ItemEvent, WebhookParseError> {
        Ok(match self.webhook_code.as_str() {
            "ERROR" => ItemEvent::Error {
                item_id: self.require_item_id()?,
                error: self.error.clone(),
            },
            "LOGIN_REPAIRED" => ItemEvent::LoginRepaired {
                item_id: self.require_item_id()?,
            },
            "USER_PERMISSION_REVOKED" => ItemEvent::UserPermissionRevoked {
                item_id: self.require_item_id()?,
                error: self.error.clone(),
            },
            "USER_ACCOUNT_REVOKED" => ItemEvent::UserAccountRevoked {
                item_id: self.require_item_id()?,
                account_id: self.account_id.clone(),
            },
            "PENDING_EXPIRATION" => ItemEvent::PendingExpiration {
                item_id: self.require_item_id()?,
                consent_expiration_time: self.extra_str("consent_expiration_time").map(Into::into),
            },
            "PENDING_DISCONNECT" => ItemEvent::PendingDisconnect {
                item_id: self.require_item_id()?,
                reason: self.extra_str("reason").map(Into::into),
            },
            "WEBHOOK_UPDATE_ACKNOWLEDGED" => ItemEvent::WebhookUpdateAcknowledged {
                item_id: self.require_item_id()?,
                new_webhook_url: self.extra_str("new_webhook_url").map(Into::into),
            },
            "NEW_ACCOUNTS_AVAILABLE" => ItemEvent::NewAccountsAvailable {
                item_id: self.item_id.clone(),
            },
            _ => ItemEvent::Other {
                webhook_code: self.webhook_code.clone(),
                item_id: self.item_id.clone(),
            },
        })
    }

    fn require_item_id(&self) -> Result<String, WebhookParseError> {
        self.require(self.item_id.as_deref(), "item_id")
    }

    fn require_account_id(&self) -> Result<String, WebhookParseError> {
        self.require(self.account_id.as_deref(), "account_id")
    }

    fn require(
        &self,
        value: Option<&str>,
        field: &'static str,
    ) -> Result<String, WebhookParseError> {
        match value {
            Some(v) if !v.is_empty() => Ok(v.to_owned()),
            _ => Err(WebhookParseError::MissingField {
                webhook_type: self.webhook_type.clone(),
                webhook_code: self.webhook_code.clone(),
                field,
            }),
        }
    }

    /// A field of [`Webhook::extra`] decoded as `T`, or `T::default()` when absent, null or of
    /// another shape (lenient: the caller re-reads `/auth/get` anyway).
    fn extra_as<T: serde::de::DeserializeOwned + Default>(&self, field: &str) -> T {
        self.extra
            .get(field)
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or_default()
    }
}
