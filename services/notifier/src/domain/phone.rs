//! E.164 phone numbers, checked strictly. The `phonenumber` crate accepts some invalid numbers
//! (it matches its country patterns against a *prefix* of the digits, so `+97233142764978`,
//! too long for Israel, passes `is_valid`; letters are mapped to digits, so `+3367a829916`
//! passes too) and rewrites others when given a default region (`+33142764978` with region US
//! becomes `+3342764978`). So a number must:
//!
//! 1. already look like E.164: `+`, a country code not starting with 0, 8 to 15 digits in all;
//! 2. parse with no default region and format back to exactly itself;
//! 3. match, in full, the national-number pattern of one of its country's number types
//!    (fixed line, mobile, toll free, ...) with a length that type allows: libphonenumber's
//!    own validity rule, anchored.

use phonenumber::metadata::{DATABASE, Descriptor, Metadata};

/// `Ok` when `value` is a valid E.164 number (see the module docs); why not otherwise.
pub fn check(value: &str) -> Result<String, &'static str> {
    let shaped = value.len() >= 9
        && value.len() <= 16
        && value.starts_with('+')
        && value[1..].bytes().all(|b| b.is_ascii_digit())
        && !value[1..].starts_with('0');
    if !shaped {
        return Err("must be E.164: + and 8 to 15 digits, e.g. +14155550123");
    }
    let parsed = phonenumber::parse(None, value).map_err(|_| "is not a phone number")?;
    let formatted = parsed.format().mode(phonenumber::Mode::E164).to_string();
    if formatted != value {
        return Err("is not in canonical E.164 form");
    }
    let code = parsed.code().value();
    let national = &value[1 + code.to_string().len()..];
    let regions = DATABASE.by_code(&code).unwrap_or_default();
    if !regions.iter().any(|meta| fully_matches(meta, national)) {
        return Err("is not a valid number for its country");
    }
    Ok(value.to_owned())
}

/// Whether `national` is, in full, a number of one of `meta`'s number types.
fn fully_matches(meta: &Metadata, national: &str) -> bool {
    let d = meta.descriptors();
    [
        d.fixed_line(),
        d.mobile(),
        d.toll_free(),
        d.premium_rate(),
        d.shared_cost(),
        d.personal_number(),
        d.voip(),
        d.pager(),
        d.uan(),
        d.voicemail(),
    ]
    .into_iter()
    .flatten()
    .any(|descriptor| type_matches(descriptor, d.general(), national))
}

fn type_matches(descriptor: &Descriptor, general: &Descriptor, national: &str) -> bool {
    let lengths = if descriptor.possible_length().is_empty() {
        general.possible_length()
    } else {
        descriptor.possible_length()
    };
    let length = u16::try_from(national.len()).unwrap_or(u16::MAX);
    if !lengths.is_empty() && !lengths.contains(&length) {
        return false;
    }
    // The metadata's patterns are written with insignificant whitespace (`x` mode).
    let anchored = format!("^(?x:{})$", descriptor.national_number().as_str());
    regex::Regex::new(&anchored).is_ok_and(|re| re.is_match(national))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quirks_of_the_crate_are_refused() {
        for bad in [
            "+97233142764978", // too long for Israel; phonenumber::is_valid says true
            "+3367a829916",    // letters
            "+19999999999",    // not a NANP number
            "+14155550",       // too short
            "+0123456789",     // no country code starts with 0
        ] {
            assert!(check(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn real_numbers_pass_unchanged() {
        for good in [
            "+14155550123",  // US
            "+33142764978",  // Paris, not rewritten
            "+447911123456", // UK mobile
            "+97233142764",  // Tel Aviv, the right length
            "+390612345678", // Rome: the leading 0 belongs to the number
        ] {
            assert_eq!(check(good).as_deref(), Ok(good), "{good}");
        }
    }
}
