//! [`LinkOffer`]: which micro-deposit flows a new Link session offers, chosen per
//! `CreateLinkToken` call or from the service's configured default.

use penny_plaid::LinkTokenAuth;
use penny_proto::v1 as pb;

/// The micro-deposit flows a Link token enables.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum LinkOffer {
    /// Automated Micro-deposits: the user logs in at the bank; Plaid verifies by itself.
    Automated,
    /// Same-Day Micro-deposits: the user types the numbers, then confirms the deposit's code.
    SameDay,
    /// Both, as Plaid allows: automated where the bank supports it, Same-Day otherwise.
    Both,
}

impl LinkOffer {
    /// The flow a request asks for; `Unspecified` means `default`.
    pub fn from_proto(flow: pb::LinkFlow, default: LinkOffer) -> Self {
        match flow {
            pb::LinkFlow::Unspecified => default,
            pb::LinkFlow::Automated => Self::Automated,
            pb::LinkFlow::SameDay => Self::SameDay,
            pb::LinkFlow::AutomatedAndSameDay => Self::Both,
        }
    }

    /// The `auth` object of `/link/token/create` that enables this offer.
    pub fn auth(self) -> LinkTokenAuth {
        let (automated, same_day) = match self {
            Self::Automated => (true, false),
            Self::SameDay => (false, true),
            Self::Both => (true, true),
        };
        LinkTokenAuth {
            automated_microdeposits_enabled: Some(automated),
            same_day_microdeposits_enabled: Some(same_day),
            ..LinkTokenAuth::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unspecified_takes_the_default_and_each_offer_enables_its_flags() {
        assert_eq!(
            LinkOffer::from_proto(pb::LinkFlow::Unspecified, LinkOffer::SameDay),
            LinkOffer::SameDay
        );
        assert_eq!(
            LinkOffer::from_proto(pb::LinkFlow::AutomatedAndSameDay, LinkOffer::Automated),
            LinkOffer::Both
        );
        let flags = |o: LinkOffer| {
            let a = o.auth();
            (
                a.automated_microdeposits_enabled,
                a.same_day_microdeposits_enabled,
            )
        };
        assert_eq!(flags(LinkOffer::Automated), (Some(true), Some(false)));
        assert_eq!(flags(LinkOffer::SameDay), (Some(false), Some(true)));
        assert_eq!(flags(LinkOffer::Both), (Some(true), Some(true)));
    }
}
