//! Which change a webhook asks for: a pure mapping from Plaid's typed webhook to the state
//! machine's [`Event`] and the accounts it concerns.

use penny_plaid::webhook::{AuthEvent, ItemEvent, WebhookEvent};

use crate::domain::Event;
use crate::verifier::Target;

/// What to do with one webhook.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    /// Apply `event` to `target` accounts of `item_id`.
    Apply {
        item_id: String,
        /// Its accounts concerned.
        target: Target,
        event: Event,
    },
    /// A webhook this service does not act on: ack it and record why.
    Unhandled(String),
}

/// Routes a typed webhook.
pub fn route(event: &WebhookEvent) -> Route {
    let apply = |item_id: &str, target: Target, event: Event| Route::Apply {
        item_id: item_id.to_owned(),
        target,
        event,
    };
    match event {
        WebhookEvent::Auth(auth) => match auth {
            AuthEvent::AutomaticallyVerified {
                item_id,
                account_id,
                ..
            } => apply(
                item_id,
                Target::Account(account_id.clone()),
                Event::AutomaticallyVerified,
            ),
            AuthEvent::VerificationExpired {
                item_id,
                account_id,
                ..
            } => apply(
                item_id,
                Target::Account(account_id.clone()),
                Event::VerificationExpired,
            ),
            AuthEvent::DefaultUpdate {
                item_id,
                account_ids_with_new_auth,
                account_ids_with_updated_auth,
            } => {
                let mut ids: Vec<String> = account_ids_with_new_auth
                    .iter()
                    .chain(account_ids_with_updated_auth.keys())
                    .cloned()
                    .collect();
                ids.sort();
                ids.dedup();
                // No list (older payloads): refetch every verified account of the Item.
                let target = if ids.is_empty() {
                    Target::AllOfItem
                } else {
                    Target::Accounts(ids)
                };
                apply(item_id, target, Event::NumbersChanged)
            }
            AuthEvent::SmsMicrodepositsVerification {
                item_id,
                account_id,
                status,
            } => match status.as_str() {
                "MANUALLY_VERIFIED" => apply(
                    item_id,
                    Target::Account(account_id.clone()),
                    Event::AutomaticallyVerified,
                ),
                "VERIFICATION_FAILED" => apply(
                    item_id,
                    Target::Account(account_id.clone()),
                    Event::VerificationFailed,
                ),
                other => Route::Unhandled(format!(
                    "AUTH/SMS_MICRODEPOSITS_VERIFICATION with unknown status {other:?}"
                )),
            },
            AuthEvent::ProductPermissionsRequired { .. } => {
                Route::Unhandled("AUTH/PRODUCT_PERMISSIONS_REQUIRED is not acted on".to_owned())
            }
            AuthEvent::Other { webhook_code, .. } => {
                Route::Unhandled(format!("unknown AUTH code {webhook_code}"))
            }
        },
        WebhookEvent::Item(item) => match item {
            ItemEvent::Error { item_id, error } => {
                let code = error.as_ref().map(|e| e.code()).unwrap_or_default();
                match code {
                    "ITEM_LOGIN_REQUIRED" => {
                        apply(item_id, Target::AllOfItem, Event::LoginRequired)
                    }
                    "USER_PERMISSION_REVOKED" => apply(item_id, Target::AllOfItem, Event::Revoked),
                    other => Route::Unhandled(format!("ITEM/ERROR with code {other:?}")),
                }
            }
            ItemEvent::LoginRepaired { item_id } => {
                apply(item_id, Target::AllOfItem, Event::LoginRepaired)
            }
            ItemEvent::UserPermissionRevoked { item_id, .. } => {
                apply(item_id, Target::AllOfItem, Event::Revoked)
            }
            ItemEvent::UserAccountRevoked {
                item_id,
                account_id: Some(account_id),
            } => apply(
                item_id,
                Target::Account(account_id.clone()),
                Event::AccountRevoked,
            ),
            // Plaid requires account_id; without it there is no account to revoke, and revoking
            // the whole Item would be wrong: record it (the webhook history shows the reason).
            ItemEvent::UserAccountRevoked {
                account_id: None, ..
            } => Route::Unhandled("ITEM/USER_ACCOUNT_REVOKED without account_id".to_owned()),
            other => Route::Unhandled(format!("ITEM webhook not acted on: {}", item_code(other))),
        },
        WebhookEvent::Other {
            webhook_type,
            webhook_code,
        } => Route::Unhandled(format!(
            "not an AUTH/ITEM webhook: {webhook_type}/{webhook_code}"
        )),
        WebhookEvent::BankTransfersEventsUpdate | WebhookEvent::TransferEventsUpdate => {
            Route::Unhandled("transfer webhooks belong to transfer-events".to_owned())
        }
    }
}

fn item_code(event: &ItemEvent) -> &str {
    match event {
        ItemEvent::Error { .. } => "ERROR",
        ItemEvent::LoginRepaired { .. } => "LOGIN_REPAIRED",
        ItemEvent::UserPermissionRevoked { .. } => "USER_PERMISSION_REVOKED",
        ItemEvent::UserAccountRevoked { .. } => "USER_ACCOUNT_REVOKED",
        ItemEvent::PendingExpiration { .. } => "PENDING_EXPIRATION",
        ItemEvent::PendingDisconnect { .. } => "PENDING_DISCONNECT",
        ItemEvent::WebhookUpdateAcknowledged { .. } => "WEBHOOK_UPDATE_ACKNOWLEDGED",
        ItemEvent::NewAccountsAvailable { .. } => "NEW_ACCOUNTS_AVAILABLE",
        ItemEvent::Other { webhook_code, .. } => webhook_code,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use penny_plaid::webhook::Webhook;

    fn routed(body: &str) -> Route {
        route(&Webhook::parse(body.as_bytes()).unwrap().event().unwrap())
    }

    #[test]
    fn auth_codes_map_to_account_events() {
        assert_eq!(
            routed(
                r#"{"webhook_type":"AUTH","webhook_code":"AUTOMATICALLY_VERIFIED","item_id":"i","account_id":"a","environment":"sandbox","error":null}"#
            ),
            Route::Apply {
                item_id: "i".into(),
                target: Target::Account("a".into()),
                event: Event::AutomaticallyVerified
            }
        );
        assert_eq!(
            routed(
                r#"{"webhook_type":"AUTH","webhook_code":"VERIFICATION_EXPIRED","item_id":"i","account_id":"a"}"#
            ),
            Route::Apply {
                item_id: "i".into(),
                target: Target::Account("a".into()),
                event: Event::VerificationExpired
            }
        );
        assert_eq!(
            routed(
                r#"{"webhook_type":"AUTH","webhook_code":"DEFAULT_UPDATE","item_id":"i","error":null,
                "account_ids_with_new_auth":["b"],"account_ids_with_updated_auth":{"a":["ACCOUNT_NUMBER"],"b":["ROUTING_NUMBER"]}}"#
            ),
            Route::Apply {
                item_id: "i".into(),
                target: Target::Accounts(vec!["a".into(), "b".into()]),
                event: Event::NumbersChanged
            }
        );
        assert_eq!(
            routed(r#"{"webhook_type":"AUTH","webhook_code":"DEFAULT_UPDATE","item_id":"i"}"#),
            Route::Apply {
                item_id: "i".into(),
                target: Target::AllOfItem,
                event: Event::NumbersChanged
            }
        );
    }

    #[test]
    fn item_codes_map_to_item_wide_events() {
        let err = |code: &str| {
            format!(
                r#"{{"webhook_type":"ITEM","webhook_code":"ERROR","item_id":"i","error":{{"error_type":"ITEM_ERROR","error_code":"{code}","error_message":"m","display_message":null,"status":400}}}}"#
            )
        };
        assert_eq!(
            routed(&err("ITEM_LOGIN_REQUIRED")),
            Route::Apply {
                item_id: "i".into(),
                target: Target::AllOfItem,
                event: Event::LoginRequired
            }
        );
        assert_eq!(
            routed(&err("USER_PERMISSION_REVOKED")),
            Route::Apply {
                item_id: "i".into(),
                target: Target::AllOfItem,
                event: Event::Revoked
            }
        );
        assert!(matches!(
            routed(&err("INSTITUTION_DOWN")),
            Route::Unhandled(_)
        ));
        assert_eq!(
            routed(r#"{"webhook_type":"ITEM","webhook_code":"LOGIN_REPAIRED","item_id":"i"}"#),
            Route::Apply {
                item_id: "i".into(),
                target: Target::AllOfItem,
                event: Event::LoginRepaired
            }
        );
        assert_eq!(
            routed(
                r#"{"webhook_type":"ITEM","webhook_code":"USER_PERMISSION_REVOKED","item_id":"i"}"#
            ),
            Route::Apply {
                item_id: "i".into(),
                target: Target::AllOfItem,
                event: Event::Revoked
            }
        );
    }

    #[test]
    fn everything_else_is_unhandled() {
        for body in [
            r#"{"webhook_type":"ITEM","webhook_code":"PENDING_EXPIRATION","item_id":"i"}"#,
            r#"{"webhook_type":"AUTH","webhook_code":"BRAND_NEW","item_id":"i"}"#,
            r#"{"webhook_type":"HOLDINGS","webhook_code":"DEFAULT_UPDATE","item_id":"i"}"#,
        ] {
            assert!(matches!(routed(body), Route::Unhandled(_)), "{body}");
        }
    }
}
