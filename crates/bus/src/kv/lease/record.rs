//! The value stored under a lease key: who holds it and since when, for operators.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The JSON value of a lease key, e.g.
/// `{"holder":"transfer-events-7f9c","acquired_at":"…","renewed_at":"…","token":42}`.
/// `token` is absent in the acquiring write (its revision *is* the token) and present in renewals.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Record {
    pub(crate) holder: String,
    pub(crate) acquired_at: DateTime<Utc>,
    pub(crate) renewed_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) token: Option<u64>,
}

/// Who holds a lease, as read by [`LeaseBucket::holder`](super::LeaseBucket::holder).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HolderInfo {
    /// The holder id the holder gave when it acquired the lease.
    pub holder: String,
    /// When it acquired the lease (its wall clock).
    pub acquired_at: DateTime<Utc>,
    /// When it last renewed the lease (its wall clock).
    pub renewed_at: DateTime<Utc>,
    /// The lease's fencing token.
    pub token: u64,
    /// The KV revision of the last write.
    pub revision: u64,
}

impl Record {
    /// The info an operator sees, given the entry's revision.
    pub(crate) fn info(self, revision: u64) -> HolderInfo {
        HolderInfo {
            token: self.token.unwrap_or(revision),
            holder: self.holder,
            acquired_at: self.acquired_at,
            renewed_at: self.renewed_at,
            revision,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_acquiring_write_has_no_token_and_its_revision_is_the_token() {
        let now = Utc::now();
        let record = Record {
            holder: "a".to_owned(),
            acquired_at: now,
            renewed_at: now,
            token: None,
        };
        let json = serde_json::to_string(&record).unwrap();
        assert!(!json.contains("token"), "{json}");
        let back: Record = serde_json::from_str(&json).unwrap();
        assert_eq!(back.clone().info(7).token, 7);
        let renewed = Record {
            token: Some(7),
            ..back
        };
        assert_eq!(renewed.info(9).token, 7);
    }
}
