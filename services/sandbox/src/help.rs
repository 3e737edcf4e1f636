//! The long `--help` text: Plaid endpoints served and the `/__sandbox/` control API.

/// Shown after the options in `penny-sandbox --help`.
pub const CONTROL_API_HELP: &str = r#"PLAID ENDPOINTS (POST, JSON; credentials in PLAID-CLIENT-ID / PLAID-SECRET headers or body client_id / secret)
  /link/token/create  /item/public_token/exchange  /accounts/get  /auth/get  /item/get  /item/remove
  /bank_transfer/event/sync  /transfer/event/sync  /webhook_verification_key/get
  /sandbox/public_token/create  /sandbox/item/set_verification_status  /sandbox/item/reset_login
  /sandbox/item/fire_webhook  /sandbox/bank_transfer/simulate  /sandbox/bank_transfer/fire_webhook

SANDBOX CREDENTIALS
  user_good / pass_good           instant-auth Item, /auth/get works at once
  user_good / microdeposits_good  Automated Micro-deposits Item (ins_109512 Houndstooth Bank, "Plaid Checking" 0000),
                                  verification_status pending_automatic_verification; on exchange a pending $0.01
                                  credit event is recorded; verifies after --verify-after, expires after --expire-after
  user_good / microdeposits_unmatched
                                  as microdeposits_good, but the deposit is never matched: no automatic
                                  verification; VERIFICATION_EXPIRED after --expire-after (a deposit that bounced,
                                  failed or was returned, is never verified either)
  Same-Day Micro-deposits         Link with a token that has auth.same_day_microdeposits_enabled and typed numbers
                                  routing 110000000 / account 1111222233330000 (or /sandbox/public_token/create with
                                  user_good / same_day_good): one "Checking" 0000 account, pending_manual_verification,
                                  no institution; a pending $0.01 credit is recorded at exchange; no timers. Confirm in
                                  update mode with code ABC (any case); 3 wrong codes lock the Item (verification_failed)

CONTROL API (not part of Plaid; JSON; errors are 400 {"error": "..."})
  GET    /__sandbox/health                      {"status":"ok"}
  POST   /__sandbox/link/complete               {link_token, institution_id?, username?, password?, deposit_shape?,
                                                routing_number?, account_number?, code?}
                                                -> {public_token, link_session_id, institution, accounts:[{id,name,mask,type,subtype,verification_status}]}
                                                (the user finishing Link; default user_good / microdeposits_good at ins_109512;
                                                typed numbers: Same-Day; in update mode, code confirms a Same-Day deposit:
                                                wrong -> INCORRECT_DEPOSIT_VERIFICATION, third -> TOO_MANY_VERIFICATION_ATTEMPTS)
  POST   /__sandbox/items/sms_verification      {access_token?, account_id, status: MANUALLY_VERIFIED | VERIFICATION_FAILED}
                                                Plaid's SMS verification finishing: sets the status, sends
                                                AUTH / SMS_MICRODEPOSITS_VERIFICATION
  POST   /__sandbox/items/reset_login       {account_id}  the Item of that account needs a new login
                                                (ITEM_LOGIN_REQUIRED + ITEM / ERROR webhook), as /sandbox/item/reset_login
  GET    /__sandbox/clock                       -> {now, speed}
  POST   /__sandbox/clock                       {speed?, advance_seconds?} -> {now, speed}
  POST   /__sandbox/keys/rotate                 -> {kid, expired_kid}  (old key gets expired_at)
  GET    /__sandbox/keys                        -> {keys:[jwk...]}
  GET    /__sandbox/webhooks                    delivery log: [{delivery_id, attempt, url, webhook_type, webhook_code,
                                                body, outcome, status, error, sim_time, wall_time}]
  DELETE /__sandbox/webhooks                    clear the log
  POST   /__sandbox/webhooks/flush              release webhooks held by the reorder fault
  POST   /__sandbox/webhooks/sign               {body, iat?, claims?, kid?} -> {plaid_verification, kid}: a token for
                                                that exact body, signed as webhooks are (load generators, tests)
  GET    /__sandbox/bank_transfers_webhook      -> {url}
  POST   /__sandbox/bank_transfers_webhook      {url}  (null clears; Plaid: Dashboard setting)
  GET    /__sandbox/faults                      current faults
  POST   /__sandbox/faults                      {endpoint: "/auth/get" | "*", error?: RATE_LIMIT_EXCEEDED | RATE_LIMIT |
                                                AUTH_LIMIT | ACCOUNTS_LIMIT | ITEM_GET_LIMIT | INTERNAL_SERVER_ERROR |
                                                PLANNED_MAINTENANCE, count?: n, probability?: p, latency_ms?: ms}
                                                or {webhooks: {duplicates?: k, reorder_window?: n, drop_next?: n, drop_probability?: p}}
  DELETE /__sandbox/faults                      clear all faults (held webhooks are released)
  GET    /__sandbox/rate_limits                 -> {mode, limits: {endpoint: {per_item, per_client}}}
  POST   /__sandbox/rate_limits                 {mode?: off|sandbox|production, overrides?: {"/auth/get": {per_item?, per_client?}}}
  GET    /__sandbox/stats                       -> {endpoints: {path: {calls, ok, errors, rate_limited}}}
  DELETE /__sandbox/stats                       reset counters
  POST   /__sandbox/seed                        {count} -> {count, access_tokens:[...]} (verified instant-auth Items)

TIME
  Simulated time = start + real elapsed x speed (+ advances). Verification, expiry, auto-post and webhook
  retries (30 s, x4 each time, for up to 24 h) run on simulated time; rate limits use the wall clock.
"#;
