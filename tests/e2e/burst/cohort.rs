//! [`Cohort`]: N users, each with one account linked for automated micro-deposits and a
//! contact (email and push) the notifier alerts. Linked concurrently, as app backends would:
//! the sandbox creates the Item (`/sandbox/public_token/create` with `microdeposits_good`),
//! penny exchanges it (`ExchangePublicToken`: the account is pending), the notifier gets the
//! contact (`UpsertContact`).

use anyhow::Context as _;
use futures::{StreamExt as _, TryStreamExt as _};
use penny_proto::v1 as pb;
use serde_json::json;

use crate::local::LocalStack;
use crate::morning::Clients;

/// Calls in flight while linking.
const CONCURRENCY: usize = 32;
/// The sandbox's test institution with automated micro-deposits.
const INSTITUTION: &str = "ins_109508";

/// One linked user.
#[derive(Debug, Clone)]
pub struct Member {
    /// penny's user id (`<prefix>-<i>`).
    pub user_id: String,
    /// The linked account.
    pub account_id: String,
    /// Where the notifier emails them.
    pub email: String,
}

/// Every linked user.
#[derive(Debug, Clone, Default)]
pub struct Cohort {
    /// In link order.
    pub members: Vec<Member>,
}

impl Cohort {
    /// Links `n` users named `<prefix>-<i>` and registers their contacts.
    pub async fn link(
        stack: &LocalStack,
        clients: &Clients,
        prefix: &str,
        n: usize,
    ) -> anyhow::Result<Self> {
        let push_url = stack.push.url();
        let members = futures::stream::iter(0..n)
            .map(|i| {
                let mut clients = clients.clone();
                let user_id = format!("{prefix}-{i}");
                let push_url = push_url.clone();
                async move { link_one(stack, &mut clients, user_id, push_url).await }
            })
            .buffer_unordered(CONCURRENCY)
            .try_collect()
            .await?;
        Ok(Self { members })
    }

    /// How many users.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// True when nobody was linked.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }
}

async fn link_one(
    stack: &LocalStack,
    clients: &mut Clients,
    user_id: String,
    push_url: String,
) -> anyhow::Result<Member> {
    let created = stack
        .sandbox()
        .post(
            "/sandbox/public_token/create",
            &json!({
                "client_id": crate::local::PLAID_CLIENT_ID,
                "secret": crate::local::PLAID_SECRET,
                "institution_id": INSTITUTION,
                "initial_products": ["auth"],
                "options": {
                    "webhook": stack.webhook_url(),
                    "override_username": "user_good",
                    "override_password": "microdeposits_good",
                },
            }),
        )
        .await?;
    let public_token = created["public_token"]
        .as_str()
        .context("the sandbox returned no public_token")?
        .to_owned();
    let exchanged = clients
        .verification
        .exchange_public_token(pb::ExchangePublicTokenRequest {
            user_id: user_id.clone(),
            public_token,
            accounts: Vec::new(),
        })
        .await
        .with_context(|| format!("ExchangePublicToken for {user_id}"))?
        .into_inner();
    let account_id = exchanged
        .accounts
        .first()
        .context("the exchange linked no account")?
        .account_id
        .clone();
    let email = format!("{user_id}@example.com");
    clients
        .notifier
        .upsert_contact(pb::UpsertContactRequest {
            user_id: user_id.clone(),
            email: email.clone(),
            push_url,
            channels: vec![pb::Channel::Email as i32, pb::Channel::Push as i32],
            ..Default::default()
        })
        .await
        .with_context(|| format!("UpsertContact for {user_id}"))?;
    Ok(Member {
        user_id,
        account_id,
        email,
    })
}
