//! The scripted morning `just demo` plays and the end-to-end suite asserts: six users link
//! accounts through the public gRPC APIs, as an app backend would, while the bank (the
//! sandbox's control API) moves money and time:
//!
//! | user | flow | what happens |
//! |---|---|---|
//! | ada | automated | the deposit posts; a day later Plaid verifies it automatically |
//! | ben | automated | Plaid never matches the deposit; after seven days verification expires |
//! | cy  | automated | the bank returns the deposit (R03, no account); it can never verify, and expires |
//! | dee | automated | verified, then the bank asks for a new login; Link's update mode repairs it |
//! | eve | Same-Day | the deposit posts; she enters its code in update mode and is verified |
//! | fay | Same-Day | three wrong codes: verification fails and she must link again |
//!
//! Everything penny does in between (webhooks through ingress, `/auth/get`, ACH event syncs,
//! alerts by email, SMS and push) happens in the services on their own.

mod clients;
pub mod steps;
mod table;

use std::time::Duration;

use anyhow::Context as _;
use penny_proto::v1 as pb;
use penny_testkit::{Advance, LinkCompletion, SandboxControl};

pub use clients::Clients;
pub use table::{Row, render, snapshot};

use crate::local::LocalStack;

/// The code the sandbox puts in a Same-Day deposit's description.
const SAME_DAY_CODE: &str = "ABC";

/// Which story an account plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Verified automatically.
    Automatic,
    /// Never matched: expires.
    Expires,
    /// Deposit returned R03: expires.
    Reversed,
    /// Verified, login required, repaired in update mode.
    UpdateMode,
    /// Same-Day, confirmed with the right code.
    SameDay,
    /// Same-Day, three wrong codes.
    WrongCodes,
}

impl Flow {
    /// Every flow, in the table's order.
    pub const ALL: [Flow; 6] = [
        Flow::Automatic,
        Flow::Expires,
        Flow::Reversed,
        Flow::UpdateMode,
        Flow::SameDay,
        Flow::WrongCodes,
    ];

    /// Its user.
    pub fn user(self) -> &'static str {
        match self {
            Flow::Automatic => "ada",
            Flow::Expires => "ben",
            Flow::Reversed => "cy",
            Flow::UpdateMode => "dee",
            Flow::SameDay => "eve",
            Flow::WrongCodes => "fay",
        }
    }

    /// Its name in the table.
    pub fn label(self) -> &'static str {
        match self {
            Flow::Automatic => "automated → verified",
            Flow::Expires => "automated → expires",
            Flow::Reversed => "automated, R03 return",
            Flow::UpdateMode => "update mode repair",
            Flow::SameDay => "Same-Day, right code",
            Flow::WrongCodes => "Same-Day, wrong codes",
        }
    }

    /// The channels its user asked for (ada all three, eve push too, the others email).
    fn channels(self) -> Vec<pb::Channel> {
        match self {
            Flow::Automatic => vec![pb::Channel::Email, pb::Channel::Sms, pb::Channel::Push],
            Flow::SameDay => vec![pb::Channel::Email, pb::Channel::Push],
            _ => vec![pb::Channel::Email],
        }
    }
}

/// One linked account of the morning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoAccount {
    /// Its story.
    pub flow: Flow,
    /// Plaid's account id.
    pub account_id: String,
}

/// Where the narration goes (the demo prints it above its live table; tests log it).
pub trait Narrator: Send + Sync {
    /// One step.
    fn say(&self, line: &str);

    /// Every account is linked (the demo's table starts showing them).
    fn linked(&self, _accounts: &[DemoAccount]) {}
}

/// Plays the morning to its end: every account in its final state.
pub async fn play(stack: &LocalStack, narrator: &dyn Narrator) -> anyhow::Result<Vec<DemoAccount>> {
    let mut clients = Clients::connect(stack).await?;
    let bank = stack.sandbox();
    narrator.say("six users register where they want alerts (NotifierService.UpsertContact)");
    for flow in Flow::ALL {
        register(&mut clients, stack, flow).await?;
    }
    narrator.say("each links a bank account: CreateLinkToken → Link → ExchangePublicToken");
    let mut accounts = Vec::new();
    for flow in Flow::ALL {
        accounts.push(link(&mut clients, &bank, flow).await?);
    }
    narrator.linked(&accounts);
    let id = |flow: Flow| {
        accounts
            .iter()
            .find(|a| a.flow == flow)
            .map(|a| a.account_id.clone())
            .unwrap_or_default()
    };

    narrator.say("the bank posts every $0.01 deposit (Plaid pokes BANK_TRANSFERS_EVENTS_UPDATE)");
    let mut post = Advance::to("posted");
    post.poke = Some(true);
    bank.advance_transfers(&post).await?;
    narrator.say("cy's bank returns the deposit: R03, no account / unable to locate");
    let mut reverse = Advance::to("reversed")
        .accounts([id(Flow::Reversed)])
        .return_code("R03");
    reverse.poke = Some(true);
    bank.advance_transfers(&reverse).await?;
    for account in &accounts {
        let wanted = if account.flow == Flow::Reversed {
            pb::DepositState::Reversed
        } else {
            pb::DepositState::Posted
        };
        steps::wait_deposit(&clients, &account.account_id, wanted).await?;
    }

    narrator.say("eve enters the deposit's code in Link update mode; the app calls RefreshAccount");
    enter_code(&mut clients, &bank, &id(Flow::SameDay), SAME_DAY_CODE).await?;
    refresh(&mut clients, &id(Flow::SameDay)).await?;
    narrator.say("fay types a wrong code three times; the app calls RefreshAccount");
    for _ in 0..3 {
        let wrong = enter_code(&mut clients, &bank, &id(Flow::WrongCodes), "XYZ").await;
        anyhow::ensure!(wrong.is_err(), "the sandbox accepted a wrong code");
    }
    refresh(&mut clients, &id(Flow::WrongCodes)).await?;

    narrator.say("a day passes at the bank: Plaid verifies the deposits it could match");
    bank.advance_clock(Duration::from_secs(86_400)).await?;
    for flow in [Flow::Automatic, Flow::UpdateMode] {
        steps::wait_status(&clients, &id(flow), pb::AccountStatus::Verified).await?;
    }

    narrator.say("dee's bank asks her to log in again (ITEM_LOGIN_REQUIRED)");
    bank.reset_login(&id(Flow::UpdateMode)).await?;
    steps::wait_status(
        &clients,
        &id(Flow::UpdateMode),
        pb::AccountStatus::NeedsUpdate,
    )
    .await?;
    narrator.say("dee logs in again in Link update mode; the app calls RefreshAccount");
    let update = clients
        .verification
        .create_update_link_token(pb::CreateUpdateLinkTokenRequest {
            account_id: id(Flow::UpdateMode),
        })
        .await?
        .into_inner();
    bank.complete_link_with(&LinkCompletion {
        link_token: update.link_token,
        ..LinkCompletion::default()
    })
    .await?;
    refresh(&mut clients, &id(Flow::UpdateMode)).await?;

    narrator.say("a week passes: the deposits Plaid could not match expire");
    bank.advance_clock(Duration::from_secs(7 * 86_400)).await?;
    for flow in [Flow::Expires, Flow::Reversed] {
        steps::wait_status(&clients, &id(flow), pb::AccountStatus::Expired).await?;
    }
    Ok(accounts)
}

async fn register(clients: &mut Clients, stack: &LocalStack, flow: Flow) -> anyhow::Result<()> {
    let channels = flow.channels();
    let has = |c: pb::Channel| channels.contains(&c);
    clients
        .notifier
        .upsert_contact(pb::UpsertContactRequest {
            user_id: flow.user().into(),
            email: format!("{}@example.com", flow.user()),
            phone: if has(pb::Channel::Sms) {
                "+14155550101".into()
            } else {
                String::new()
            },
            push_url: if has(pb::Channel::Push) {
                stack.push.url()
            } else {
                String::new()
            },
            channels: channels.iter().map(|c| *c as i32).collect(),
            ..Default::default()
        })
        .await
        .with_context(|| format!("registering {}", flow.user()))?;
    Ok(())
}

async fn link(
    clients: &mut Clients,
    bank: &SandboxControl,
    flow: Flow,
) -> anyhow::Result<DemoAccount> {
    let (link_flow, password) = match flow {
        Flow::SameDay | Flow::WrongCodes => (pb::LinkFlow::SameDay, None),
        Flow::Expires => (pb::LinkFlow::Automated, Some("microdeposits_unmatched")),
        _ => (pb::LinkFlow::Automated, None),
    };
    let account_id = steps::link_user(clients, bank, flow.user(), link_flow, password).await?;
    Ok(DemoAccount { flow, account_id })
}

/// Link update mode on a Same-Day account, entering `code`.
async fn enter_code(
    clients: &mut Clients,
    bank: &SandboxControl,
    account_id: &str,
    code: &str,
) -> anyhow::Result<()> {
    let update = clients
        .verification
        .create_update_link_token(pb::CreateUpdateLinkTokenRequest {
            account_id: account_id.into(),
        })
        .await?
        .into_inner();
    bank.complete_link_with(&LinkCompletion::confirm_code(&update.link_token, code))
        .await
        .map(drop)
}

async fn refresh(clients: &mut Clients, account_id: &str) -> anyhow::Result<pb::Account> {
    Ok(clients
        .verification
        .refresh_account(pb::RefreshAccountRequest {
            account_id: account_id.into(),
        })
        .await?
        .into_inner())
}
