//! The accounts a round verifies: N Items created in the sandbox, linked through penny's gRPC
//! `ExchangePublicToken` (concurrently, as app backends would), and verified in the sandbox
//! while it drops webhooks, so `/auth/get` returns their numbers and nothing has told penny yet.

use std::collections::HashMap;
use std::net::SocketAddr;

use anyhow::Context as _;
use futures::{StreamExt as _, TryStreamExt as _};
use penny_proto::v1 as pb;
use penny_proto::v1::verification_service_client::VerificationServiceClient;
use penny_testkit::{Bearer, grpc_channel};
use penny_verification::store::Secrets;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use crate::procs::API_TOKEN;
use crate::sandbox::SandboxApi;
use crate::timings::Timings;

/// Sandbox calls in flight while preparing.
const SANDBOX_CONCURRENCY: usize = 32;
/// `ExchangePublicToken` calls in flight.
const EXCHANGE_CONCURRENCY: usize = 16;

/// penny's gRPC client with the bench's bearer token.
pub type Client = VerificationServiceClient<InterceptedService<Channel, Bearer>>;

/// A client of penny's gRPC API at `addr`.
pub async fn client(addr: SocketAddr) -> anyhow::Result<Client> {
    Ok(VerificationServiceClient::with_interceptor(
        grpc_channel(addr).await?,
        Bearer::new(API_TOKEN)?,
    ))
}

/// One linked, sandbox-verified account (one per Item).
#[derive(Clone, Debug)]
pub struct Account {
    pub item_id: String,
    pub account_id: String,
}

/// What the harness knows after preparing: the accounts and their Items' access tokens.
pub struct Fixture {
    pub accounts: Vec<Account>,
    pub access_tokens: HashMap<String, String>,
}

/// Creates, links and verifies `n` accounts; `penny_db` and `secrets` open the access tokens
/// penny stored (the sandbox's verification call needs them).
pub async fn prepare(
    sandbox: &SandboxApi,
    grpc: &Client,
    penny_db: &str,
    secrets: &Secrets,
    n: usize,
    timings: &mut Timings,
) -> anyhow::Result<Fixture> {
    sandbox.drop_webhooks().await?;

    let public_tokens: Vec<String> = futures::stream::iter(0..n)
        .map(|_| sandbox.public_token())
        .buffer_unordered(SANDBOX_CONCURRENCY)
        .try_collect()
        .await?;
    timings.lap("sandbox Items");

    let accounts: Vec<Account> = futures::stream::iter(public_tokens.into_iter().enumerate())
        .map(|(i, token)| exchange(grpc.clone(), i, token))
        .buffer_unordered(EXCHANGE_CONCURRENCY)
        .try_collect()
        .await?;
    timings.lap("ExchangePublicToken");

    let access_tokens = crate::db::access_tokens(penny_db, secrets).await?;
    let verified: Vec<()> = futures::stream::iter(&accounts)
        .map(|a| async {
            let token = access_tokens
                .get(&a.item_id)
                .with_context(|| format!("no access token of {}", a.item_id))?;
            sandbox.set_verified(token, &a.account_id).await
        })
        .buffer_unordered(SANDBOX_CONCURRENCY)
        .try_collect()
        .await?;
    anyhow::ensure!(verified.len() == n, "verified {} of {n}", verified.len());
    timings.lap("sandbox verification");
    Ok(Fixture {
        accounts,
        access_tokens,
    })
}

async fn exchange(mut grpc: Client, i: usize, public_token: String) -> anyhow::Result<Account> {
    let response = grpc
        .exchange_public_token(pb::ExchangePublicTokenRequest {
            user_id: format!("bench-user-{i}"),
            public_token,
            accounts: Vec::new(),
        })
        .await
        .context("ExchangePublicToken")?
        .into_inner();
    let account = response
        .accounts
        .first()
        .context("the exchange returned no account")?;
    Ok(Account {
        item_id: response.item_id,
        account_id: account.account_id.clone(),
    })
}
