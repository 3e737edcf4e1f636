//! From stored records to protobuf messages.

use penny_proto::v1 as pb;

use crate::domain::{Expectation, Status};
use crate::events::timestamp;
use crate::store::accounts::AccountRecord;

/// The API view of an account. Pending accounts carry their expected verification window and
/// expiry (per flow, see [`Expectation`]); a row whose state or flow does not parse shows as
/// unspecified.
pub fn account(record: &AccountRecord) -> pb::Account {
    let row = &record.row;
    let status = record.state().map(|s| s.status()).ok();
    let flow = record.flow().ok();
    let expected = match (status, flow) {
        (Some(Status::Pending), Some(flow)) => Expectation::pending(flow, row.linked_at),
        _ => Expectation::NONE,
    };
    pb::Account {
        account_id: row.account_id.clone(),
        item_id: row.item_id.clone(),
        user_id: row.user_id.clone(),
        status: status.map_or(pb::AccountStatus::Unspecified, Status::to_proto) as i32,
        plaid_verification_status: row.plaid_verification_status.clone(),
        mask: row.mask.clone().unwrap_or_default(),
        name: row.name.clone(),
        subtype: row.subtype.clone().unwrap_or_default(),
        status_changed_at: Some(timestamp(row.status_changed_at)),
        expected_earliest: expected.earliest.map(timestamp),
        expected_latest: expected.latest.map(timestamp),
        expires_at: expected.expires_at.map(timestamp),
        flow: flow.map_or(pb::VerificationFlow::Unspecified, |f| f.to_proto()) as i32,
    }
}
