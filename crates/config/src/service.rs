//! [`service_config!`](crate::service_config): a service's whole `Config` struct, with the
//! settings every penny service has (listeners, database, streams, API tokens, inbox retention,
//! shutdown, readiness, the test-only crash point) declared once, under the service's own
//! `PENNY_<SERVICE>_*` variables, around the service's own fields.

/// Declares a service's `Config`: a `clap::Args` struct whose shared settings carry the
/// service's variable prefix (`env_prefix = "PENNY_VERIFICATION"` gives
/// `PENNY_VERIFICATION_GRPC_LISTEN`, ...) and keep each service's own `--help` text and
/// defaults (each written at the call, as a doc comment and a value), with the service's own
/// fields (`own { ... }`, written as in any struct) between the leading and the trailing shared
/// ones. The fields stay flat (`config.grpc_listen`), and `Default` is what `--help` shows.
///
/// The shared fields: `grpc_listen`, `admin_listen`, `database_url` (a redacted
/// [`Secret`](crate::Secret)), `stream_replicas` (1 to 5, default 1),
/// `create_missing_streams` (default on), `api_tokens`, then the own fields, then
/// `inbox_retention`, `shutdown_grace`, `readiness_interval` and the hidden `crash_at`. The
/// calling crate needs `clap` (derive, env).
///
/// ```
/// #[derive(clap::ValueEnum, Debug, Clone, Copy)]
/// enum CrashPoint { AfterCommit }
///
/// penny_config::service_config! {
///     /// Everything the example service can be told.
///     pub struct Config;
///     env_prefix = "PENNY_EXAMPLE";
///     /// Address of the gRPC API.
///     grpc_listen = "127.0.0.1:50059";
///     /// Address of the admin HTTP server.
///     admin_listen = "127.0.0.1:9099";
///     /// Database URL.
///     database_url = "sqlite://./data/example.db?mode=rwc";
///     /// Stream replicas.
///     stream_replicas;
///     /// Create missing streams.
///     create_missing_streams;
///     /// API bearer tokens.
///     api_tokens;
///     own {
///         /// The example's own setting.
///         #[arg(long, env = "PENNY_EXAMPLE_COLOUR", default_value = "blue")]
///         pub colour: String,
///     }
///     /// Inbox retention.
///     inbox_retention = "9d";
///     /// Shutdown grace.
///     shutdown_grace = "20s";
///     /// Readiness interval.
///     readiness_interval = "1s";
///     /// Test-only crash point.
///     crash_at: CrashPoint;
/// }
/// let config = Config::default();
/// assert_eq!(config.grpc_listen.port(), 50059);
/// assert_eq!(config.colour, "blue");
/// assert_eq!(config.missing_stream_replicas(), Some(1));
/// assert_eq!(config.shutdown_grace, std::time::Duration::from_secs(20));
/// ```
#[macro_export]
macro_rules! service_config {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident;
        env_prefix = $prefix:literal;
        $(#[$grpc_doc:meta])*
        grpc_listen = $grpc:expr;
        $(#[$admin_doc:meta])*
        admin_listen = $admin:expr;
        $(#[$db_doc:meta])*
        database_url = $db:expr;
        $(#[$replicas_doc:meta])*
        stream_replicas;
        $(#[$create_doc:meta])*
        create_missing_streams;
        $(#[$tokens_doc:meta])*
        api_tokens;
        own { $($own:tt)* }
        $(#[$inbox_doc:meta])*
        inbox_retention = $inbox:literal;
        $(#[$grace_doc:meta])*
        shutdown_grace = $grace:literal;
        $(#[$readiness_doc:meta])*
        readiness_interval = $readiness:literal;
        $(#[$crash_doc:meta])*
        crash_at: $crash:ty;
    ) => {
        $(#[$meta])*
        #[derive(::clap::Args, Debug, Clone)]
        $vis struct $name {
            $(#[$grpc_doc])*
            #[arg(long, env = concat!($prefix, "_GRPC_LISTEN"), default_value = $grpc)]
            pub grpc_listen: ::std::net::SocketAddr,

            $(#[$admin_doc])*
            #[arg(long, env = concat!($prefix, "_ADMIN_LISTEN"), default_value = $admin)]
            pub admin_listen: ::std::net::SocketAddr,

            $(#[$db_doc])*
            #[arg(long, env = concat!($prefix, "_DATABASE_URL"), default_value = $db, hide_env_values = true)]
            pub database_url: $crate::Secret<String>,

            $(#[$replicas_doc])*
            #[arg(long, env = concat!($prefix, "_STREAM_REPLICAS"), default_value_t = 1, value_parser = ::clap::value_parser!(u8).range(1..=5))]
            pub stream_replicas: u8,

            $(#[$create_doc])*
            #[arg(long, env = concat!($prefix, "_CREATE_MISSING_STREAMS"), default_value_t = true, action = ::clap::ArgAction::Set)]
            pub create_missing_streams: bool,

            $(#[$tokens_doc])*
            #[arg(long, env = concat!($prefix, "_API_TOKENS"), hide_env_values = true)]
            pub api_tokens: Option<$crate::Secret<String>>,

            $($own)*

            $(#[$inbox_doc])*
            #[arg(long, env = concat!($prefix, "_INBOX_RETENTION"), default_value = $inbox, value_parser = $crate::parse_duration)]
            pub inbox_retention: ::std::time::Duration,

            $(#[$grace_doc])*
            #[arg(long, env = concat!($prefix, "_SHUTDOWN_GRACE"), default_value = $grace, value_parser = $crate::parse_duration)]
            pub shutdown_grace: ::std::time::Duration,

            $(#[$readiness_doc])*
            #[arg(long, env = concat!($prefix, "_READINESS_INTERVAL"), default_value = $readiness, value_parser = $crate::parse_duration)]
            pub readiness_interval: ::std::time::Duration,

            $(#[$crash_doc])*
            #[arg(long, env = concat!($prefix, "_CRASH_AT"), hide = true)]
            pub crash_at: Option<$crash>,
        }

        impl ::std::default::Default for $name {
            /// The local defaults (what `--help` shows), for tests to adjust.
            fn default() -> Self {
                $crate::defaults()
            }
        }

        impl $name {
            /// The replicas to create missing streams with, when this service may create them
            /// (`--create-missing-streams`); it never changes an existing stream.
            pub fn missing_stream_replicas(&self) -> Option<usize> {
                self.create_missing_streams
                    .then(|| usize::from(self.stream_replicas))
            }
        }
    };
}
