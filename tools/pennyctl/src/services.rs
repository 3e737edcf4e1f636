//! The services' gRPC APIs as pennyctl reaches them: addresses and bearer tokens
//! (`PENNY_CTL_*`), and typed clients that send the token on every call.

use anyhow::Context as _;
use clap::Args;
use penny_config::Secret;
use penny_proto::v1::notifier_service_client::NotifierServiceClient;
use penny_proto::v1::transfer_events_service_client::TransferEventsServiceClient;
use penny_proto::v1::verification_service_client::VerificationServiceClient;
use penny_runtime::auth::Bearer;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, Endpoint};

/// Where the services' gRPC APIs are and the tokens to call them with.
#[derive(Args, Debug, Clone)]
pub struct ServiceArgs {
    /// The verification service's gRPC API (`status` scope; `link` is never needed).
    #[arg(
        long,
        env = "PENNY_CTL_VERIFICATION_URL",
        default_value = "http://127.0.0.1:50051"
    )]
    pub verification_url: String,
    /// The transfer-events service's gRPC API (`status`; `admin` for `transfers resync`).
    #[arg(
        long,
        env = "PENNY_CTL_TRANSFER_EVENTS_URL",
        default_value = "http://127.0.0.1:50052"
    )]
    pub transfer_events_url: String,
    /// The notifier's gRPC API (`status`).
    #[arg(
        long,
        env = "PENNY_CTL_NOTIFIER_URL",
        default_value = "http://127.0.0.1:50053"
    )]
    pub notifier_url: String,
    /// Bearer token for every service (each service's own token below wins).
    #[arg(long, env = "PENNY_CTL_API_TOKEN", hide_env_values = true)]
    pub api_token: Option<Secret<String>>,
    /// Bearer token for verification.
    #[arg(long, env = "PENNY_CTL_VERIFICATION_TOKEN", hide_env_values = true)]
    pub verification_token: Option<Secret<String>>,
    /// Bearer token for transfer-events.
    #[arg(long, env = "PENNY_CTL_TRANSFER_EVENTS_TOKEN", hide_env_values = true)]
    pub transfer_events_token: Option<Secret<String>>,
    /// Bearer token for the notifier.
    #[arg(long, env = "PENNY_CTL_NOTIFIER_TOKEN", hide_env_values = true)]
    pub notifier_token: Option<Secret<String>>,
}

/// A channel to `url` with `token`.
async fn connect(url: &str, token: Option<&Secret<String>>) -> anyhow::Result<(Channel, Bearer)> {
    let channel = Endpoint::from_shared(url.to_owned())
        .with_context(|| format!("{url:?} is not a URL"))?
        .connect_timeout(std::time::Duration::from_secs(5))
        .connect()
        .await
        .with_context(|| format!("connecting to {url}"))?;
    let bearer = Bearer::optional(token.map(|token| token.expose().as_str()))
        .context("the API token is not a valid header value")?;
    Ok((channel, bearer))
}

/// The verification service's client.
pub type Verification = VerificationServiceClient<InterceptedService<Channel, Bearer>>;
/// The transfer-events service's client.
pub type TransferEvents = TransferEventsServiceClient<InterceptedService<Channel, Bearer>>;
/// The notifier's client.
pub type Notifier = NotifierServiceClient<InterceptedService<Channel, Bearer>>;

impl ServiceArgs {
    /// A verification client.
    pub async fn verification(&self) -> anyhow::Result<Verification> {
        let token = self.verification_token.as_ref().or(self.api_token.as_ref());
        let (channel, bearer) = connect(&self.verification_url, token).await?;
        Ok(VerificationServiceClient::with_interceptor(channel, bearer))
    }

    /// A transfer-events client.
    pub async fn transfer_events(&self) -> anyhow::Result<TransferEvents> {
        let token = self
            .transfer_events_token
            .as_ref()
            .or(self.api_token.as_ref());
        let (channel, bearer) = connect(&self.transfer_events_url, token).await?;
        Ok(TransferEventsServiceClient::with_interceptor(
            channel, bearer,
        ))
    }

    /// A notifier client.
    pub async fn notifier(&self) -> anyhow::Result<Notifier> {
        let token = self.notifier_token.as_ref().or(self.api_token.as_ref());
        let (channel, bearer) = connect(&self.notifier_url, token).await?;
        Ok(NotifierServiceClient::with_interceptor(channel, bearer))
    }
}
