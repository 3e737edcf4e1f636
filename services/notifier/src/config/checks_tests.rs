//! Config parsing, defaults, and production's refusals.

use std::time::Duration;

use clap::Parser;

use super::*;
use crate::channels::email::Security;
use crate::crash::CrashPoint;
use crate::domain::Channel;

#[derive(Parser, Debug)]
struct Cli {
    #[command(flatten)]
    config: Config,
}

fn production() -> Config {
    let mut cfg = Config {
        environment: "production".into(),
        api_tokens: Some(Secret::from("app:tok-0123456789abcdef:status+contacts")),
        encryption_keys: Some(Secret::from(INSECURE_DEV_KEYRING)),
        link_key: Some(Secret::from(INSECURE_DEV_LINK_KEY)),
        public_url: "https://notify.example.com".into(),
        ..Config::default()
    };
    cfg.email.smtp_security = Security::Starttls;
    cfg.email.email_from = "Acme <alerts@acme.example>".into();
    cfg.sms.sms_base_url = "https://api.sms.example/2010-04-01".into();
    cfg.sms.sms_account_sid = "AC123".into();
    cfg.sms.sms_auth_token = Some(Secret::from("t"));
    cfg.push.push_signing_secret = Some(Secret::from(INSECURE_DEV_PUSH_SECRET));
    cfg
}

#[test]
fn defaults_are_local_and_dev_secrets_work_outside_production() {
    let cfg = Config::default();
    assert_eq!(cfg.grpc_listen.to_string(), "127.0.0.1:50053");
    assert_eq!(cfg.admin_listen.to_string(), "127.0.0.1:9093");
    assert_eq!(
        cfg.database_url.expose(),
        "sqlite://./data/notifier.db?mode=rwc"
    );
    assert_eq!(cfg.email.smtp_port, 2525);
    assert_eq!(cfg.channels.0, Channel::ALL);
    assert_eq!(cfg.consumer.settings().name, "notifier");
    assert_eq!(cfg.sending.claim_ttl, Duration::from_secs(120));
    assert!(cfg.check_production().is_ok());
    assert!(cfg.keyring().is_ok());
    assert!(cfg.tokens().is_ok());
    assert_eq!(cfg.link_key().unwrap().len(), 32);
    assert!(cfg.push_secret().unwrap().starts_with("whsec_"));
}

#[test]
fn production_refuses_missing_or_development_channel_settings() {
    assert!(production().check_production().is_ok());
    type Edit = fn(&mut Config);
    let cases: [(Edit, &str); 9] = [
        (|c| c.api_tokens = None, "API_TOKENS"),
        (|c| c.encryption_keys = None, "ENCRYPTION_KEYS"),
        (|c| c.link_key = None, "LINK_KEY"),
        (|c| c.public_url = "http://x".into(), "PUBLIC_URL"),
        (|c| c.email.smtp_security = Security::Plain, "SMTP_SECURITY"),
        (|c| c.email.email_from = DEV_EMAIL_FROM.into(), "EMAIL_FROM"),
        (|c| c.sms.sms_base_url = "http://x".into(), "SMS_BASE_URL"),
        (|c| c.sms.sms_auth_token = None, "SMS_AUTH_TOKEN"),
        (|c| c.push.push_signing_secret = None, "PUSH_SIGNING_SECRET"),
    ];
    for (edit, name) in cases {
        let mut cfg = production();
        edit(&mut cfg);
        let err = cfg.check_production().unwrap_err().to_string();
        assert!(err.contains(name), "{name}: {err}");
    }
    let mut email_only = production();
    email_only.channels.0 = vec![Channel::Email];
    email_only.sms.sms_auth_token = None;
    email_only.push.push_signing_secret = None;
    assert!(
        email_only.check_production().is_ok(),
        "disabled channels need nothing"
    );
    let mut no_dev = production();
    no_dev.link_key = None;
    assert!(no_dev.link_key().is_err());
}

#[test]
fn parses_flags_and_hides_secrets() {
    let cli = Cli::try_parse_from([
        "t",
        "--channels",
        "push,email",
        "--smtp-security",
        "tls",
        "--smtp-password",
        "hunter2-smtp",
        "--crash-at",
        "after-send",
        "--consumer-max-deliveries",
        "3",
        "--claim-ttl",
        "5s",
    ])
    .unwrap();
    let cfg = cli.config;
    assert_eq!(cfg.channels.0, [Channel::Email, Channel::Push]);
    assert_eq!(cfg.email.smtp_security, Security::Tls);
    assert_eq!(cfg.crash_at, Some(CrashPoint::AfterSend));
    assert_eq!(cfg.consumer.settings().max_deliveries, 3);
    assert_eq!(cfg.sending.claim_ttl, Duration::from_secs(5));
    assert!(!format!("{cfg:?}").contains("hunter2"));
    assert!(Cli::try_parse_from(["t", "--channels", "email,fax"]).is_err());
}
