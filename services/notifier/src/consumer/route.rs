//! Which domain event a message is: decided from its subject (`penny.event.account.<change>`,
//! `penny.event.deposit.<state>`) and its protobuf body, as a pure function with its own tests.

use penny_proto::v1 as pb;
use prost::Message as _;

use crate::domain::AccountChange;
use crate::notifier::ingest::DomainEvent;

/// What a message is.
#[derive(Clone, Debug, PartialEq)]
pub enum Decoded {
    /// A domain event the notifier handles.
    Event(Box<DomainEvent>),
    /// A domain event the notifier has nothing to do with (another aggregate, or an account
    /// change it does not know): acked and recorded as such.
    Ignored(String),
}

/// Decodes the message on `subject` with `payload`; `Err` for a body that does not decode or
/// carries no event id (parked: a redelivery would not decode either).
pub fn decode(subject: &str, payload: &[u8]) -> Result<Decoded, String> {
    if let Some(change) = suffix(subject, penny_bus::ACCOUNT_EVENT_PREFIX) {
        let Some(change) = AccountChange::from_suffix(change) else {
            return Ok(Decoded::Ignored(format!(
                "account change {change:?} is not known"
            )));
        };
        let event = pb::AccountEvent::decode(payload)
            .map_err(|e| format!("not a penny.v1.AccountEvent: {e}"))?;
        require(&event.event_id, "event_id")?;
        require(&event.account_id, "account_id")?;
        require(&event.user_id, "user_id")?;
        return Ok(Decoded::Event(Box::new(DomainEvent::Account {
            change,
            event,
        })));
    }
    if suffix(subject, penny_bus::DEPOSIT_EVENT_PREFIX).is_some() {
        let event = pb::DepositEvent::decode(payload)
            .map_err(|e| format!("not a penny.v1.DepositEvent: {e}"))?;
        require(&event.event_id, "event_id")?;
        require(&event.account_id, "account_id")?;
        return Ok(Decoded::Event(Box::new(DomainEvent::Deposit(event))));
    }
    Ok(Decoded::Ignored(format!("no alerts for {subject}")))
}

fn suffix<'a>(subject: &'a str, prefix: &str) -> Option<&'a str> {
    subject.strip_prefix(prefix)?.strip_prefix('.')
}

fn require(value: &str, field: &str) -> Result<(), String> {
    if value.is_empty() {
        Err(format!("the event has no {field}"))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(user: &str) -> Vec<u8> {
        pb::AccountEvent {
            event_id: "ev-1".into(),
            user_id: user.into(),
            account_id: "acc-1".into(),
            ..Default::default()
        }
        .encode_to_vec()
    }

    #[test]
    fn account_events_by_subject() {
        let decoded = decode("penny.event.account.verified", &account("u-1")).unwrap();
        let Decoded::Event(boxed) = decoded else {
            panic!("{decoded:?}");
        };
        let DomainEvent::Account { change, event } = *boxed else {
            panic!("not an account event");
        };
        assert_eq!(change, AccountChange::Verified);
        assert_eq!(event.user_id, "u-1");
        assert!(matches!(
            decode("penny.event.account.renamed", &account("u-1")).unwrap(),
            Decoded::Ignored(_)
        ));
        assert_eq!(
            decode("penny.event.account.verified", &account("")).unwrap_err(),
            "the event has no user_id"
        );
        assert!(decode("penny.event.account.verified", b"\xff\xff").is_err());
    }

    #[test]
    fn deposit_events_and_others() {
        let deposit = pb::DepositEvent {
            event_id: "ev-2".into(),
            account_id: "acc-1".into(),
            state: pb::DepositState::Posted as i32,
            ..Default::default()
        };
        let decoded = decode("penny.event.deposit.posted", &deposit.encode_to_vec()).unwrap();
        assert_eq!(
            decoded,
            Decoded::Event(Box::new(DomainEvent::Deposit(deposit)))
        );
        assert!(matches!(
            decode("penny.event.transfer.settled", b"").unwrap(),
            Decoded::Ignored(_)
        ));
        assert!(matches!(
            decode("penny.event.accounting.x", b"").unwrap(),
            Decoded::Ignored(_)
        ));
    }
}
