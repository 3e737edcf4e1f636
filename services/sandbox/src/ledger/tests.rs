use super::*;

fn now() -> DateTime<Utc> {
    Utc::now()
}

fn ids(ledger: &Ledger, feed: Feed, after: u64, count: usize) -> (Vec<u64>, bool) {
    ledger.page(feed, after, count, |events, more| {
        (events.iter().map(|e| e.event_id).collect(), more)
    })
}

#[test]
fn bank_transfer_lifecycle_and_paging() {
    let l = Ledger::default();
    let id = l.create(Feed::BankTransfer, "acc1", Direction::Credit, "0.01", now());
    assert!(matches!(
        l.transition(Feed::BankTransfer, &id, Stage::Returned, None, now()),
        Err(TransitionError::Invalid { .. })
    ));
    l.transition(Feed::BankTransfer, &id, Stage::Posted, None, now())
        .unwrap();
    let fr = FailureReason {
        ach_return_code: Some("R03".into()),
        description: "No account".into(),
    };
    l.transition(
        Feed::BankTransfer,
        &id,
        Stage::Returned,
        Some(fr.clone()),
        now(),
    )
    .unwrap();
    assert!(
        l.transition(Feed::BankTransfer, &id, Stage::Posted, None, now())
            .is_err()
    );
    assert_eq!(
        l.transition(Feed::BankTransfer, "nope", Stage::Posted, None, now()),
        Err(TransitionError::Unknown)
    );
    assert_eq!(
        l.transition(Feed::Transfer, &id, Stage::Posted, None, now()),
        Err(TransitionError::Unknown),
        "a transfer lives in one feed"
    );
    assert_eq!(ids(&l, Feed::BankTransfer, 0, 25), (vec![1, 2, 3], false));
    assert_eq!(ids(&l, Feed::BankTransfer, 1, 1), (vec![2], true));
    assert_eq!(ids(&l, Feed::BankTransfer, 3, 25), (vec![], false));
    assert_eq!(ids(&l, Feed::BankTransfer, u64::MAX, 25), (vec![], false));
    let last = l.page(Feed::BankTransfer, 2, 1, |e, _| e[0].clone());
    assert_eq!(last.failure, Some(fr));
    assert_eq!(ids(&l, Feed::Transfer, 0, 25), (vec![], false));
}

#[test]
fn failed_has_no_return_code_and_returned_always_has_one() {
    let l = Ledger::default();
    let a = l.create(Feed::BankTransfer, "acc", Direction::Credit, "0.01", now());
    let with_code = FailureReason {
        ach_return_code: Some("R01".into()),
        description: "x".into(),
    };
    l.transition(
        Feed::BankTransfer,
        &a,
        Stage::Failed,
        Some(with_code),
        now(),
    )
    .unwrap();
    let b = l.create(Feed::Transfer, "acc", Direction::Credit, "0.01", now());
    l.transition(Feed::Transfer, &b, Stage::Posted, None, now())
        .unwrap();
    l.transition(Feed::Transfer, &b, Stage::Returned, None, now())
        .unwrap();
    let failed = l.page(Feed::BankTransfer, 1, 1, |e, _| e[0].failure.clone());
    assert_eq!(failed.unwrap().ach_return_code, None);
    let returned = l.page(Feed::Transfer, 2, 1, |e, _| e[0].failure.clone());
    assert_eq!(returned.unwrap().ach_return_code.as_deref(), Some("R01"));
}

#[test]
fn transfer_lifecycle_allows_settlement_and_late_returns() {
    use Stage::*;
    assert!(Pending.allowed(Posted, Feed::Transfer));
    assert!(Posted.allowed(Settled, Feed::Transfer));
    assert!(Settled.allowed(FundsAvailable, Feed::Transfer));
    assert!(Settled.allowed(Returned, Feed::Transfer));
    assert!(FundsAvailable.allowed(Returned, Feed::Transfer));
    assert!(!Posted.allowed(Settled, Feed::BankTransfer));
    assert!(!Returned.allowed(Posted, Feed::Transfer));
    assert!(Pending.allowed(Cancelled, Feed::BankTransfer));
    assert!(!Posted.allowed(Cancelled, Feed::BankTransfer));
    assert_eq!(Returned.event_type(Feed::BankTransfer), "reversed");
    assert_eq!(Returned.event_type(Feed::Transfer), "returned");
}

#[test]
fn advance_moves_only_what_the_lifecycle_allows_in_creation_order() {
    let l = Ledger::default();
    let a = l.create(Feed::BankTransfer, "a", Direction::Credit, "0.01", now());
    let b = l.create(Feed::BankTransfer, "b", Direction::Debit, "0.02", now());
    let c = l.create(Feed::Transfer, "c", Direction::Credit, "0.03", now());
    l.transition(Feed::BankTransfer, &a, Stage::Failed, None, now())
        .unwrap();
    let all = l.advance(&Selection::default(), Stage::Posted, None, now());
    assert_eq!(
        all,
        Advanced {
            advanced: 2,
            bank_transfer_events: 1,
            transfer_events: 1
        }
    );
    let debits = Selection {
        direction: Some(Direction::Debit),
        ..Selection::default()
    };
    assert_eq!(l.advance(&debits, Stage::Returned, None, now()).advanced, 1);
    let only_c = Selection {
        account_ids: Some(vec!["c".into()]),
        ..Selection::default()
    };
    assert_eq!(l.advance(&only_c, Stage::Settled, None, now()).advanced, 1);
    let limited = Selection {
        transfer_ids: Some(vec![c.clone(), b.clone()]),
        limit: Some(1),
        ..Selection::default()
    };
    assert_eq!(
        l.advance(&limited, Stage::Returned, None, now()).advanced,
        1
    );
    assert_eq!(l.counts(Feed::BankTransfer), (5, 2));
    assert_eq!(l.counts(Feed::Transfer), (4, 1));
    let sweep = l.sweep("-0.03", now());
    assert_eq!(sweep, 5);
    let kinds = l.page(Feed::Transfer, 0, 10, |e, _| {
        e.iter()
            .map(|e| match &e.kind {
                EventKind::Transfer(_, s) => s.event_type(Feed::Transfer),
                EventKind::Sweep { .. } => "sweep",
            })
            .collect::<Vec<_>>()
    });
    assert_eq!(kinds, ["pending", "posted", "settled", "returned", "sweep"]);
}

#[test]
fn event_ids_start_after_the_base_and_page_from_any_cursor() {
    let l = Ledger::with_event_id_base(1_000);
    let a = l.create(Feed::BankTransfer, "acc1", Direction::Credit, "0.01", now());
    l.transition(Feed::BankTransfer, &a, Stage::Posted, None, now())
        .unwrap();
    l.create(Feed::Transfer, "acc2", Direction::Credit, "0.01", now());
    assert_eq!(
        ids(&l, Feed::BankTransfer, 0, 10),
        (vec![1_001, 1_002], false)
    );
    assert_eq!(ids(&l, Feed::BankTransfer, 1_000, 1), (vec![1_001], true));
    assert_eq!(ids(&l, Feed::BankTransfer, 1_001, 10), (vec![1_002], false));
    // A cursor kept from an earlier run below the base reads everything; above, nothing.
    assert_eq!(
        ids(&l, Feed::BankTransfer, 500, 10),
        (vec![1_001, 1_002], false)
    );
    assert_eq!(ids(&l, Feed::BankTransfer, 1_002, 10), (vec![], false));
    assert_eq!(ids(&l, Feed::Transfer, 0, 10), (vec![1_001], false));
}

#[test]
fn a_bounced_credit_marks_its_account_only() {
    let l = Ledger::default();
    let credit = l.create(Feed::BankTransfer, "acc1", Direction::Credit, "0.01", now());
    let other = l.create(Feed::BankTransfer, "acc2", Direction::Credit, "0.01", now());
    let debit = l.create(Feed::BankTransfer, "acc3", Direction::Debit, "0.02", now());
    assert!(!l.credit_bounced("acc1"));
    l.transition(Feed::BankTransfer, &credit, Stage::Failed, None, now())
        .unwrap();
    l.transition(Feed::BankTransfer, &other, Stage::Posted, None, now())
        .unwrap();
    l.transition(Feed::BankTransfer, &debit, Stage::Failed, None, now())
        .unwrap();
    assert!(l.credit_bounced("acc1"), "its credit failed");
    assert!(!l.credit_bounced("acc2"), "its credit posted");
    assert!(!l.credit_bounced("acc3"), "a debit, not a credit");
    assert!(!l.credit_bounced("unknown"));
}
