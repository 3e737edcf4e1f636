//! What an app backend does, one call each, as the morning and the end-to-end suites use it:
//! link a user's account (CreateLinkToken → Link in the sandbox → ExchangePublicToken), and
//! wait until an account shows a status or its deposit a state.

use std::time::Duration;

use anyhow::Context as _;
use penny_proto::v1 as pb;
use penny_testkit::{LinkCompletion, SandboxControl, poll_until};

use super::Clients;

/// How long one expected change may take.
pub const WAIT: Duration = Duration::from_secs(60);

/// Links one account for `user` in `flow` (Same-Day: the sandbox's typed numbers; otherwise
/// Houndstooth Bank with `password`, `microdeposits_good` by default); returns its account id.
pub async fn link_user(
    clients: &mut Clients,
    bank: &SandboxControl,
    user: &str,
    flow: pb::LinkFlow,
    password: Option<&str>,
) -> anyhow::Result<String> {
    let link = clients
        .verification
        .create_link_token(pb::CreateLinkTokenRequest {
            user_id: user.into(),
            flow: flow as i32,
            ..Default::default()
        })
        .await?
        .into_inner();
    let completion = if flow == pb::LinkFlow::SameDay {
        LinkCompletion::same_day(&link.link_token)
    } else {
        LinkCompletion {
            link_token: link.link_token,
            password: password.map(str::to_owned),
            ..LinkCompletion::default()
        }
    };
    let done = bank.complete_link_with(&completion).await?;
    let exchanged = clients
        .verification
        .exchange_public_token(pb::ExchangePublicTokenRequest {
            user_id: user.into(),
            public_token: done.public_token,
            accounts: vec![],
        })
        .await?
        .into_inner();
    let account = exchanged.accounts.first().context("no account linked")?;
    Ok(account.account_id.clone())
}

/// Waits until verification shows `status` for the account.
pub async fn wait_status(
    clients: &Clients,
    account_id: &str,
    status: pb::AccountStatus,
) -> anyhow::Result<()> {
    poll_until(WAIT, || {
        let mut client = clients.verification.clone();
        async move {
            let account = client
                .get_account(pb::GetAccountRequest {
                    account_id: account_id.into(),
                })
                .await
                .ok()?
                .into_inner();
            (account.status == status as i32).then_some(())
        }
    })
    .await
    .with_context(|| format!("account {account_id} never became {status:?}"))
}

/// Waits until transfer-events shows the account's deposits in `state`.
pub async fn wait_deposit(
    clients: &Clients,
    account_id: &str,
    state: pb::DepositState,
) -> anyhow::Result<()> {
    poll_until(WAIT, || {
        let mut client = clients.transfers.clone();
        async move {
            let status = client
                .get_deposit_status(pb::GetDepositStatusRequest {
                    account_id: account_id.into(),
                })
                .await
                .ok()?
                .into_inner();
            (status.summary?.state == state as i32).then_some(())
        }
    })
    .await
    .with_context(|| format!("the deposit of {account_id} never became {state:?}"))
}
