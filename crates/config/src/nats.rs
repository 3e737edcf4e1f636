//! Connection settings for the NATS server (JetStream) that carries webhooks and domain events.

use clap::Args;

/// Where to reach NATS. Flatten into a service's config with `#[command(flatten)]`.
#[derive(Args, Debug, Clone, PartialEq, Eq)]
pub struct NatsArgs {
    /// NATS server URL (JetStream must be enabled), e.g. `nats://nats.penny.svc:4222`.
    #[arg(long, env = "PENNY_NATS_URL", default_value = "nats://127.0.0.1:4222")]
    pub nats_url: String,
}

impl Default for NatsArgs {
    /// The defaults `--help` shows.
    fn default() -> Self {
        crate::defaults()
    }
}

#[cfg(test)]
mod tests {
    use super::NatsArgs;
    use clap::Parser;

    #[derive(Parser, Debug)]
    struct Cli {
        #[command(flatten)]
        nats: NatsArgs,
    }

    #[test]
    fn flag_overrides_the_default() {
        let cli = Cli::try_parse_from(["t", "--nats-url", "nats://10.0.0.1:4222"]).unwrap();
        assert_eq!(cli.nats.nats_url, "nats://10.0.0.1:4222");
    }

    #[test]
    fn default_is_the_local_server() {
        assert_eq!(NatsArgs::default().nats_url, "nats://127.0.0.1:4222");
    }
}
