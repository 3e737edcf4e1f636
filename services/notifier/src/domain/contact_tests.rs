//! Contact validation: every bad input names its field, and the known quirks of the
//! phone-number and email crates are guarded.

use super::*;

fn valid_input() -> ContactInput {
    ContactInput {
        user_id: "user-1".into(),
        email: "ada@example.com".into(),
        phone: "+14155550123".into(),
        push_url: "https://push.example.com/hooks/penny".into(),
        channels: vec![Channel::Push, Channel::Email, Channel::Sms, Channel::Email],
        quiet_hours: Some(("22:00".into(), "07:00".into())),
        time_zone: "America/Los_Angeles".into(),
        locale: "es_mx".into(),
        preferences: vec![PreferenceInput {
            kind: Some(AlertKind::AccountVerified),
            channel: Some(Channel::Sms),
            enabled: false,
        }],
    }
}

fn field_of(input: &ContactInput, production: bool) -> String {
    validate(input, production).unwrap_err().field
}

#[test]
fn a_good_contact_is_normalised() {
    let contact = validate(&valid_input(), true).unwrap();
    assert_eq!(
        contact.channels,
        [Channel::Email, Channel::Sms, Channel::Push]
    );
    assert_eq!(contact.locale, "es-MX");
    assert_eq!(contact.time_zone, Some(chrono_tz::America::Los_Angeles));
    assert_eq!(
        contact.preferences,
        [(AlertKind::AccountVerified, Channel::Sms, false)]
    );
}

#[test]
fn emails_need_a_real_domain() {
    for bad_email in [
        "a@localhost",
        "a@[10.0.0.1]",
        "not-an-email",
        "Ada <ada@example.com>",
        "a@@example.com",
        "@example.com",
    ] {
        let input = ContactInput {
            email: bad_email.into(),
            ..valid_input()
        };
        let err = validate(&input, false).unwrap_err();
        assert_eq!(err.field, "email", "{bad_email}");
        assert!(!err.problem.contains(bad_email), "never echoes the value");
    }
    assert!(email("email", "first.last+tag@mail.example.co.uk").is_ok());
}

#[test]
fn phones_must_be_canonical_valid_e164() {
    for bad_phone in [
        "4155550123",        // no +
        "+1 415 555 0123",   // spaces
        "+97233142764978",   // too long for Israel; phonenumber says valid
        "+3367a829916",      // letters mapped to digits by phonenumber
        "+14155550",         // too short for the US
        "+0123456789",       // no country code starts with 0
        "+1415555012345678", // longer than E.164 allows
        "+19999999999",      // not a valid NANP number
    ] {
        let input = ContactInput {
            phone: bad_phone.into(),
            ..valid_input()
        };
        assert_eq!(field_of(&input, false), "phone", "{bad_phone}");
    }
    assert!(phone("phone", "+33142764978").is_ok(), "Paris, as given");
    assert!(phone("phone", "+447911123456").is_ok());
}

#[test]
fn push_urls_are_https_in_production() {
    let http = ContactInput {
        push_url: "http://push.example.com/x".into(),
        ..valid_input()
    };
    assert!(validate(&http, false).is_ok());
    let err = validate(&http, true).unwrap_err();
    assert_eq!(
        (err.field.as_str(), err.problem.as_str()),
        ("push_url", "must be https in production")
    );
    for bad_url in [
        "ftp://x.example.com/",
        "/relative",
        "https://user:pw@x.example.com/",
    ] {
        let input = ContactInput {
            push_url: bad_url.into(),
            ..valid_input()
        };
        assert_eq!(field_of(&input, false), "push_url", "{bad_url}");
    }
}

#[test]
fn time_zones_quiet_hours_and_locales() {
    let unknown_tz = ContactInput {
        time_zone: "Mars/Olympus_Mons".into(),
        ..valid_input()
    };
    assert_eq!(field_of(&unknown_tz, false), "time_zone");
    let no_tz = ContactInput {
        time_zone: String::new(),
        ..valid_input()
    };
    assert_eq!(field_of(&no_tz, false), "time_zone");
    let bad_hours = ContactInput {
        quiet_hours: Some(("10pm".into(), "07:00".into())),
        ..valid_input()
    };
    assert_eq!(field_of(&bad_hours, false), "quiet_hours");
    for bad_locale in ["english", "e", "en-", "en-toolongsubtag", "1n"] {
        let input = ContactInput {
            locale: bad_locale.into(),
            ..valid_input()
        };
        assert_eq!(field_of(&input, false), "locale", "{bad_locale}");
    }
    assert_eq!(locale("locale", "").unwrap(), "en");
}

#[test]
fn enabled_channels_need_their_address_and_ids_are_checked() {
    let no_phone = ContactInput {
        phone: String::new(),
        ..valid_input()
    };
    let err = validate(&no_phone, false).unwrap_err();
    assert_eq!(err.field, "channels");
    assert!(err.problem.contains("sms"), "{err}");
    for bad_user in ["", "has space", "ada@example.com"] {
        let input = ContactInput {
            user_id: bad_user.into(),
            ..valid_input()
        };
        assert_eq!(field_of(&input, false), "user_id", "{bad_user:?}");
    }
}

#[test]
fn protective_kinds_cannot_be_switched_off() {
    for kind in AlertKind::ALL {
        let input = ContactInput {
            preferences: vec![
                PreferenceInput {
                    kind: Some(AlertKind::LoginRequired),
                    channel: Some(Channel::Email),
                    enabled: true,
                },
                PreferenceInput {
                    kind: Some(kind),
                    channel: Some(Channel::Email),
                    enabled: false,
                },
            ],
            ..valid_input()
        };
        match validate(&input, false) {
            Ok(_) => assert!(!kind.is_protective()),
            Err(err) => {
                assert!(kind.is_protective(), "{kind}");
                assert_eq!(err.field, "preferences[1]");
            }
        }
    }
    let unspecified = ContactInput {
        preferences: vec![PreferenceInput {
            kind: None,
            channel: Some(Channel::Email),
            enabled: false,
        }],
        ..valid_input()
    };
    assert_eq!(field_of(&unspecified, false), "preferences[0].kind");
}
