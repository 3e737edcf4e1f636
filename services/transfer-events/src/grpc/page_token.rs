//! `ListEvents` page tokens: opaque to callers, `base64url("v1|<feed>|<event_id>|<account_id>")`.
//! A token is bound to its account: one from another account, or anything that does not decode,
//! is `INVALID_ARGUMENT`.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::error::ApiError;
use crate::domain::Feed;
use crate::store::ledger::After;

/// The token resuming after event `after` of `account_id`.
pub fn encode(account_id: &str, after: &After) -> String {
    URL_SAFE_NO_PAD.encode(format!("v1|{}|{}|{account_id}", after.feed, after.event_id))
}

/// Where `token` resumes (`None` for the first page).
pub fn decode(account_id: &str, token: &str) -> Result<Option<After>, ApiError> {
    if token.is_empty() {
        return Ok(None);
    }
    let bad = || ApiError::invalid("page_token", "is not a token this API issued");
    let raw = URL_SAFE_NO_PAD.decode(token).map_err(|_| bad())?;
    let text = String::from_utf8(raw).map_err(|_| bad())?;
    let mut parts = text.splitn(4, '|');
    let (Some("v1"), Some(feed), Some(event_id), Some(owner)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    let feed: Feed = feed.parse().map_err(|_| bad())?;
    let event_id: i64 = event_id.parse().map_err(|_| bad())?;
    if event_id < 0 {
        return Err(bad());
    }
    if owner != account_id {
        return Err(ApiError::invalid(
            "page_token",
            "belongs to another account_id",
        ));
    }
    Ok(Some(After {
        feed: feed.as_str().to_owned(),
        event_id,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_anything_else() {
        let after = After {
            feed: "transfer".into(),
            event_id: 42,
        };
        let token = encode("acc", &after);
        assert_eq!(decode("acc", &token).unwrap(), Some(after));
        assert_eq!(decode("acc", "").unwrap(), None);
        assert!(decode("other", &token).is_err());
        for bad in [
            "!!!",
            "djE",
            &URL_SAFE_NO_PAD.encode("v2|transfer|1|acc"),
            &URL_SAFE_NO_PAD.encode("v1|wire|1|acc"),
            &URL_SAFE_NO_PAD.encode("v1|transfer|-1|acc"),
            &URL_SAFE_NO_PAD.encode("v1|transfer|x|acc"),
        ] {
            let err = decode("acc", bad).unwrap_err();
            assert!(err.to_string().starts_with("page_token:"), "{bad}: {err}");
        }
    }
}
