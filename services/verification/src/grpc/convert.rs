//! From stored records to protobuf messages.

use penny_proto::v1 as pb;

use crate::domain::{Status, VerificationWindow};
use crate::events::timestamp;
use crate::store::accounts::AccountRecord;

/// The API view of an account. Pending accounts carry their expected verification window and
/// expiry; a row whose state does not parse shows as unspecified.
pub fn account(record: &AccountRecord) -> pb::Account {
    let row = &record.row;
    let status = record.state().map(|s| s.status()).ok();
    let window =
        (status == Some(Status::Pending)).then(|| VerificationWindow::after_linking(row.linked_at));
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
        expected_earliest: window.map(|w| timestamp(w.expected_earliest)),
        expected_latest: window.map(|w| timestamp(w.expected_latest)),
        expires_at: window.map(|w| timestamp(w.expires_at)),
    }
}
