//! penny's notifier: domain events (`penny.event.>`) in, alerts to people out — over email
//! (SMTP), SMS (the common provider HTTP shape) and push (HTTP signed with Standard Webhooks),
//! once per person, event and channel, at the right time.
//!
//! It is assembled from the shared parts (`penny-runtime` for the supervisor, admin server,
//! gRPC server and bearer scopes; `penny-bus` for the consumer loop, dead letters and the
//! lease; `penny-store` for the inbox, connections and the keyring; `penny-calendar` for 8:30
//! ET on the next banking day) and adds only its own:
//!
//! - [`app`]: [`App::build`] and [`App::run_until_stopped`], the wiring; [`config`]:
//!   [`Config`]; [`cli`]: `serve`, `migrate`, `dlq`, `alerts`.
//! - [`domain`]: the rules, pure: kinds and channels, routing, quiet hours and due times,
//!   contact validation, and the send state machine ([`domain::send::transition`]).
//! - [`notifier`]: the use cases (ingest an event, deliver an alert, reconcile, contacts),
//!   shared by [`consumer`], [`dispatch`], [`grpc`] and [`public`].
//! - [`channels`]: one [`channels::Transport`] per channel; [`templates`]: the texts.
//! - [`store`]: entities, migrations, repository functions, sealed contact data.
//! - [`clock`]: business time (tests move it); [`metrics`]: `/metrics`; [`readiness`]:
//!   `/readyz`; [`crash`]: test-only fault injection.

pub mod app;
pub mod channels;
pub mod cli;
pub mod clock;
pub mod config;
pub mod consumer;
pub mod crash;
pub mod dispatch;
pub mod domain;
pub mod grpc;
pub mod metrics;
pub mod notifier;
pub mod public;
pub mod readiness;
pub mod store;
pub mod templates;

pub use app::App;
pub use config::Config;
