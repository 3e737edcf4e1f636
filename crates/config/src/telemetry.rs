//! Logging and tracing settings, consumed by `penny_telemetry::init`.

use clap::{Args, ValueEnum};

/// How log lines are written to stdout.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// One JSON object per line: what log collectors in a cluster expect.
    #[default]
    Json,
    /// Human-readable, coloured, multi-line: for a terminal.
    Pretty,
}

/// Logging and tracing settings. Flatten into a service's config with `#[command(flatten)]`.
#[derive(Args, Debug, Clone, PartialEq, Eq)]
pub struct TelemetryArgs {
    /// Log line format.
    #[arg(long, env = "PENNY_LOG_FORMAT", value_enum, default_value_t = LogFormat::Json)]
    pub log_format: LogFormat,

    /// Which logs to write, in `tracing_subscriber::EnvFilter` syntax
    /// (e.g. `info,penny_ingress=debug,sqlx=warn`).
    #[arg(long, env = "PENNY_LOG_FILTER", default_value = "info")]
    pub log_filter: String,

    /// OpenTelemetry collector endpoint for traces, OTLP over gRPC (e.g. `http://otel-collector:4317`).
    /// The standard `OTEL_EXPORTER_OTLP_ENDPOINT` works too (this wins when both are set), as do
    /// `OTEL_SERVICE_NAME` and `OTEL_TRACES_SAMPLER`. Unset: no export, but spans still carry
    /// trace ids and `traceparent` is still propagated.
    #[arg(long, env = "PENNY_OTLP_ENDPOINT")]
    pub otlp_endpoint: Option<String>,
}

impl Default for TelemetryArgs {
    /// The defaults `--help` shows.
    fn default() -> Self {
        crate::defaults()
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::{LogFormat, TelemetryArgs};

    #[derive(Parser, Debug)]
    struct Cli {
        #[command(flatten)]
        telemetry: TelemetryArgs,
    }

    #[test]
    fn defaults_are_json_info_and_no_export() {
        assert_eq!(
            TelemetryArgs::default(),
            TelemetryArgs {
                log_format: LogFormat::Json,
                log_filter: "info".to_owned(),
                otlp_endpoint: None,
            }
        );
    }

    #[test]
    fn parses_every_flag() {
        let cli = Cli::try_parse_from([
            "t",
            "--log-format",
            "pretty",
            "--log-filter",
            "debug,h2=warn",
            "--otlp-endpoint",
            "http://collector:4317",
        ])
        .unwrap();
        assert_eq!(cli.telemetry.log_format, LogFormat::Pretty);
        assert_eq!(cli.telemetry.log_filter, "debug,h2=warn");
        assert_eq!(
            cli.telemetry.otlp_endpoint.as_deref(),
            Some("http://collector:4317")
        );
    }

    #[test]
    fn rejects_an_unknown_format() {
        let err = Cli::try_parse_from(["t", "--log-format", "xml"]).unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::InvalidValue);
    }
}
