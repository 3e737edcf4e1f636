//! The Plaid API surface: one POST route per endpoint, all through [`dispatch`] (stats, faults,
//! body parsing, credentials, field checks, client rate limit, handler, error rendering).

mod auth;
mod item;
mod keys;
mod link;
pub(crate) mod sandbox_items;
mod sandbox_transfers;
mod transfers;

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde::Serialize;
use tracing::instrument;

use crate::endpoint::Endpoint;
use crate::error::ApiError;
use crate::ids;
use crate::items::Item;
use crate::request::{Body, Fields};
use crate::state::AppState;

/// Product names accepted in `products` / `initial_products` (Plaid's `Products` enum).
pub(crate) const PRODUCTS: &[&str] = &[
    "assets",
    "auth",
    "balance",
    "balance_plus",
    "beacon",
    "identity",
    "identity_match",
    "investments",
    "investments_auth",
    "liabilities",
    "payment_initiation",
    "identity_verification",
    "transactions",
    "credit_details",
    "income",
    "income_verification",
    "standing_orders",
    "transfer",
    "employment",
    "recurring_transactions",
    "transactions_refresh",
    "signal",
    "statements",
    "processor_payments",
    "processor_identity",
    "profile",
    "cra_base_report",
    "cra_income_insights",
    "cra_partner_insights",
    "cra_network_insights",
    "cra_cashflow_insights",
    "cra_monitoring",
    "cra_lend_score",
    "cra_plaid_credit_score",
    "layer",
    "pay_by_bank",
    "protect_linked_bank",
    "protect_transactions",
];

/// One request being handled.
pub(crate) struct Ctx<'a> {
    pub state: &'a AppState,
    pub body: &'a Body,
    pub request_id: &'a str,
    pub endpoint: Endpoint,
}

impl Ctx<'_> {
    /// Top-level request fields.
    pub fn fields(&self) -> Fields<'_> {
        self.body.fields()
    }

    /// Looks up the Item named by `access_token`, checks its rate limit and runs `f` on it.
    pub fn with_item<R>(
        &self,
        f: impl FnOnce(&Item) -> Result<R, ApiError>,
    ) -> Result<R, ApiError> {
        let token = self.access_token()?;
        self.state
            .items
            .read(token, |item| {
                self.state.rate.check_item(self.endpoint, &item.counters)?;
                f(item)
            })
            .ok_or_else(ApiError::invalid_access_token)?
    }

    /// The `access_token` field.
    pub fn access_token(&self) -> Result<&str, ApiError> {
        self.fields().str("access_token")
    }
}

/// Serializes a success body.
pub(crate) fn reply<T: Serialize>(body: &T) -> Result<Vec<u8>, ApiError> {
    serde_json::to_vec(body).map_err(|_| ApiError::internal())
}

/// Just `{request_id}`.
pub(crate) fn request_id_only(ctx: &Ctx<'_>) -> Result<Vec<u8>, ApiError> {
    reply(&serde_json::json!({ "request_id": ctx.request_id }))
}

/// Whether `url` looks like an http(s) URL.
pub(crate) fn is_url(url: &str) -> bool {
    ["http://", "https://"]
        .iter()
        .any(|p| url.strip_prefix(p).is_some_and(|rest| !rest.is_empty()))
}

/// The Plaid routes.
pub fn routes() -> Router<Arc<AppState>> {
    Endpoint::ALL.into_iter().fold(Router::new(), |router, ep| {
        router.route(
            ep.path(),
            post(
                move |State(state): State<Arc<AppState>>, headers: HeaderMap, body: Bytes| {
                    dispatch(state, ep, headers, body)
                },
            ),
        )
    })
}

/// Unknown path: 404 `INVALID_REQUEST / NOT_FOUND`.
pub async fn not_found() -> Response {
    render(Err(ApiError::not_found()), &ids::request_id())
}

fn check_credentials(state: &AppState, headers: &HeaderMap, body: &Body) -> Result<(), ApiError> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let client_id = body
        .raw_str("client_id")
        .or_else(|| header("plaid-client-id"));
    let secret = body.raw_str("secret").or_else(|| header("plaid-secret"));
    match (client_id, secret) {
        (Some(id), Some(secret))
            if id == state.client_id && secret == state.secret.expose().as_str() =>
        {
            Ok(())
        }
        _ => Err(ApiError::invalid_api_keys()),
    }
}

#[instrument(skip_all, fields(endpoint = ep.path(), request_id = tracing::field::Empty, status = tracing::field::Empty))]
async fn dispatch(state: Arc<AppState>, ep: Endpoint, headers: HeaderMap, raw: Bytes) -> Response {
    let request_id = ids::request_id();
    let span = tracing::Span::current();
    span.record("request_id", request_id.as_str());
    let result = async {
        if let Some(hit) = state.faults.check(ep) {
            if let Some(latency) = hit.latency {
                tokio::time::sleep(latency).await;
            }
            if let Some(error) = hit.error {
                return Err(error);
            }
        }
        let body = Body::parse(&raw)?;
        check_credentials(&state, &headers, &body)?;
        body.check(ep)?;
        state.rate.check_client(ep)?;
        let ctx = Ctx {
            state: &state,
            body: &body,
            request_id: &request_id,
            endpoint: ep,
        };
        handle(&ctx)
    }
    .await;
    let response = render(result, &request_id);
    span.record("status", response.status().as_u16());
    state.stats.record(ep, response.status().as_u16());
    response
}

fn handle(ctx: &Ctx<'_>) -> Result<Vec<u8>, ApiError> {
    match ctx.endpoint {
        Endpoint::LinkTokenCreate => link::link_token_create(ctx),
        Endpoint::ItemPublicTokenExchange => item::public_token_exchange(ctx),
        Endpoint::AccountsGet => auth::accounts_get(ctx),
        Endpoint::AuthGet => auth::auth_get(ctx),
        Endpoint::ItemGet => item::item_get(ctx),
        Endpoint::ItemRemove => item::item_remove(ctx),
        Endpoint::BankTransferEventSync => transfers::bank_transfer_event_sync(ctx),
        Endpoint::TransferEventSync => transfers::transfer_event_sync(ctx),
        Endpoint::WebhookVerificationKeyGet => keys::webhook_verification_key_get(ctx),
        Endpoint::SandboxPublicTokenCreate => sandbox_items::public_token_create(ctx),
        Endpoint::SandboxItemSetVerificationStatus => sandbox_items::set_verification_status(ctx),
        Endpoint::SandboxItemResetLogin => sandbox_items::reset_login(ctx),
        Endpoint::SandboxItemFireWebhook => sandbox_items::fire_webhook(ctx),
        Endpoint::SandboxBankTransferSimulate => sandbox_transfers::simulate(ctx),
        Endpoint::SandboxBankTransferFireWebhook => sandbox_transfers::fire_webhook(ctx),
        Endpoint::SandboxTransferSimulate => sandbox_transfers::transfer_simulate(ctx),
        Endpoint::SandboxTransferFireWebhook => sandbox_transfers::transfer_fire_webhook(ctx),
    }
}

fn render(result: Result<Vec<u8>, ApiError>, request_id: &str) -> Response {
    let (status, body) = match result {
        Ok(body) => (StatusCode::OK, body),
        Err(e) => (e.status, e.body(request_id)),
    };
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}
