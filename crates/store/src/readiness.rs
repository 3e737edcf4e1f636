//! The database as a readiness check: a service is not ready while its database does not
//! answer (register [`ping`] as a probed check with `penny_runtime::Readiness`).

use sea_orm::DatabaseConnection;

/// `Ok` when `db` answers a ping; why not otherwise (never the URL: it may hold a password).
pub async fn ping(db: &DatabaseConnection) -> Result<(), String> {
    db.ping()
        .await
        .map_err(|error| format!("database unreachable: {error}"))
}
