//! The public HTTP server: RFC 8058 one-click unsubscribe, the only thing the notifier serves
//! to the internet (its admin port stays internal).
//!
//! - `POST /unsubscribe/<token>` (what a mail client sends for `List-Unsubscribe-Post:
//!   List-Unsubscribe=One-Click`): switches the link's kind off on email for its person; 200.
//! - `GET /unsubscribe/<token>`: a page with a button that POSTs; it changes nothing, because
//!   mail scanners and link previews fetch every URL in a message.
//!
//! A token that is not ours is 404 on both.

pub mod links;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::notifier::Notifier;

/// The routes.
pub fn router(notifier: Notifier) -> Router {
    Router::new()
        .route("/unsubscribe/{token}", get(page).post(one_click))
        .with_state(notifier)
}

async fn one_click(State(notifier): State<Notifier>, Path(token): Path<String>) -> Response {
    match notifier.unsubscribe(&token).await {
        Ok(Some(link)) => {
            tracing::info!(kind = %link.kind, channel = %link.channel, "one-click unsubscribe");
            (
                StatusCode::OK,
                "Unsubscribed: you will no longer get these emails.\n",
            )
                .into_response()
        }
        Ok(None) => not_ours(),
        Err(error) => {
            tracing::error!(error = %format!("{error:#}"), "unsubscribe failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "Please try again in a minute.\n",
            )
                .into_response()
        }
    }
}

async fn page(State(notifier): State<Notifier>, Path(token): Path<String>) -> Response {
    if notifier.links_verify(&token).is_none() {
        return not_ours();
    }
    let html = "<!doctype html><html><body><form method=\"post\">\
                <p>Stop getting this kind of email?</p>\
                <button type=\"submit\">Unsubscribe</button></form></body></html>";
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
}

fn not_ours() -> Response {
    (StatusCode::NOT_FOUND, "Unknown link.\n").into_response()
}
