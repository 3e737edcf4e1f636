//! `/link/token/create`.

use serde::Serialize;
use tracing::warn;

use super::{Ctx, PRODUCTS, is_url, reply};
use crate::clock::rfc3339;
use crate::error::ApiError;
use crate::tokens::{LINK_TOKEN_TTL, LinkToken, UPDATE_LINK_TOKEN_TTL};

const LANGUAGES: &[&str] = &[
    "da", "nl", "en", "et", "fr", "de", "hi", "it", "lv", "lt", "no", "pl", "pt", "ro", "es", "sv",
    "vi", "ja", "zh",
];
const COUNTRY_CODES: &[&str] = &[
    "US", "GB", "ES", "NL", "FR", "IE", "CA", "DE", "IT", "PL", "DK", "NO", "SE", "EE", "LT", "LV",
    "PT", "BE", "AT", "FI",
];
const USER_FIELDS: &[&str] = &[
    "client_user_id",
    "legal_name",
    "name",
    "phone_number",
    "phone_number_verified_time",
    "email_address",
    "email_address_verified_time",
    "ssn",
    "date_of_birth",
    "address",
    "id_number",
];
const AUTH_FIELDS: &[&str] = &[
    "automated_microdeposits_enabled",
    "same_day_microdeposits_enabled",
    "instant_match_enabled",
    "instant_microdeposits_enabled",
    "auth_type_select_enabled",
    "sms_microdeposits_verification_enabled",
    "reroute_to_credentials",
    "database_match_enabled",
    "database_insights_enabled",
    "flow_type",
];

#[derive(Serialize)]
struct Response<'a> {
    link_token: String,
    expiration: String,
    request_id: &'a str,
}

/// `/link/token/create`: validates like Plaid and registers the token (4 h; 30 min in update mode).
pub(super) fn link_token_create(ctx: &Ctx<'_>) -> Result<Vec<u8>, ApiError> {
    let f = ctx.fields();
    f.non_empty_str("client_name")?;
    let language = f.str("language")?;
    if !LANGUAGES.contains(&language) {
        return Err(ApiError::invalid_field(format!(
            "language must be one of {}",
            LANGUAGES.join(", ")
        )));
    }
    let countries = f.opt_str_array("country_codes")?.unwrap_or_default();
    if countries.is_empty() {
        return Err(ApiError::invalid_field(
            "country_codes must contain at least one country code",
        ));
    }
    if let Some(bad) = countries.iter().find(|c| !COUNTRY_CODES.contains(c)) {
        return Err(ApiError::invalid_field(format!(
            "country_codes contains an invalid country code: {bad}"
        )));
    }

    let user = f.opt_object("user", USER_FIELDS)?;
    let user_id = f.opt_str("user_id")?;
    match user {
        Some(user) => {
            let id = user.str("client_user_id")?;
            if id.is_empty() {
                return Err(ApiError::invalid_field(
                    "user.client_user_id must be a non-empty string",
                ));
            }
            if id.contains('@') {
                return Err(ApiError::invalid_field(
                    "user.client_user_id must not contain personally identifiable information such as an email address",
                ));
            }
        }
        None if user_id.is_none() => return Err(ApiError::missing_fields(&["user".into()])),
        None => {}
    }

    // Update mode: an existing Item, no products.
    let access_token = f.opt_str("access_token")?;
    if let Some(token) = access_token
        && ctx.state.items.read(token, |_| ()).is_none()
    {
        return Err(ApiError::invalid_access_token());
    }
    let products = f.opt_str_array("products")?;
    let products: Vec<String> = match (products, access_token) {
        (None, Some(_)) => Vec::new(),
        (None, None) => return Err(ApiError::missing_fields(&["products".into()])),
        (Some(list), _) => {
            if let Some(bad) = list.iter().find(|p| !PRODUCTS.contains(p)) {
                return Err(ApiError::invalid_field(format!(
                    "products contains an invalid product: {bad}"
                )));
            }
            if list.contains(&"balance") {
                return Err(ApiError::invalid_field("products must not contain balance"));
            }
            if access_token.is_none() && !list.iter().any(|p| *p == "auth" || *p == "transfer") {
                // The simulator only models Auth; Plaid's micro-deposit flows need auth or transfer.
                return Err(ApiError::invalid_field(
                    "products must contain auth or transfer",
                ));
            }
            list.into_iter().map(str::to_owned).collect()
        }
    };
    for name in [
        "required_if_supported_products",
        "optional_products",
        "additional_consented_products",
    ] {
        if let Some(bad) = f
            .opt_str_array(name)?
            .and_then(|l| l.into_iter().find(|p| !PRODUCTS.contains(p)))
        {
            return Err(ApiError::invalid_field(format!(
                "{name} contains an invalid product: {bad}"
            )));
        }
    }

    let webhook = f.opt_str("webhook")?;
    if let Some(url) = webhook
        && !is_url(url)
    {
        return Err(ApiError::invalid_field(
            "webhook must be a valid http or https URL",
        ));
    }

    let mut automated = false;
    let mut same_day = false;
    if let Some(auth) = f.opt_object("auth", AUTH_FIELDS)? {
        for field in AUTH_FIELDS.iter().filter(|n| n.ends_with("_enabled")) {
            auth.opt_bool(field)?;
        }
        automated = auth
            .opt_bool("automated_microdeposits_enabled")?
            .unwrap_or(false);
        same_day = auth
            .opt_bool("same_day_microdeposits_enabled")?
            .unwrap_or(false);
        if let Some(v) = auth.opt_str("reroute_to_credentials")?
            && !["OFF", "OPTIONAL", "FORCED"].contains(&v)
        {
            return Err(ApiError::invalid_field(
                "auth.reroute_to_credentials must be one of OFF, OPTIONAL, FORCED",
            ));
        }
        auth.opt_str("flow_type")?;
    }
    if (automated || same_day) && countries != ["US"] {
        return Err(ApiError::invalid_field(
            "country_codes must be [\"US\"] when micro-deposit verification is enabled",
        ));
    }
    if automated && webhook.is_none() {
        warn!("automated micro-deposits enabled without a webhook: no AUTH webhooks will be sent");
    }

    let now = ctx.state.clock.now();
    let ttl = if access_token.is_some() {
        UPDATE_LINK_TOKEN_TTL
    } else {
        LINK_TOKEN_TTL
    };
    let expires_at = now + ttl;
    let link_token = ctx.state.tokens.add_link(LinkToken {
        webhook: webhook.map(str::to_owned),
        products,
        automated_microdeposits: automated,
        same_day_microdeposits: same_day,
        expires_at,
        access_token: access_token.map(str::to_owned),
    });
    reply(&Response {
        link_token,
        expiration: rfc3339(expires_at),
        request_id: ctx.request_id,
    })
}
