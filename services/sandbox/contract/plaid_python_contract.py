"""Contract check: Plaid's official Python client (plaid-python) against a running penny-sandbox.

plaid-python deserializes every response into its generated OpenAPI models with type checks, so
this catches shape drift between the sandbox and Plaid's published schema.

Usage: python plaid_python_contract.py [BASE_URL]   (default http://127.0.0.1:7070)
Needs: pip install plaid-python==46.0.0
"""

import json
import sys
import time
import urllib.request

import plaid
from plaid.api import plaid_api
from plaid.model.accounts_get_request import AccountsGetRequest
from plaid.model.auth_get_request import AuthGetRequest
from plaid.model.auth_get_request_options import AuthGetRequestOptions
from plaid.model.bank_transfer_event_sync_request import BankTransferEventSyncRequest
from plaid.model.country_code import CountryCode
from plaid.model.item_get_request import ItemGetRequest
from plaid.model.item_public_token_exchange_request import ItemPublicTokenExchangeRequest
from plaid.model.item_remove_request import ItemRemoveRequest
from plaid.model.link_token_create_request import LinkTokenCreateRequest
from plaid.model.link_token_create_request_auth import LinkTokenCreateRequestAuth
from plaid.model.link_token_create_request_user import LinkTokenCreateRequestUser
from plaid.model.products import Products
from plaid.model.sandbox_bank_transfer_fire_webhook_request import SandboxBankTransferFireWebhookRequest
from plaid.model.sandbox_bank_transfer_simulate_request import SandboxBankTransferSimulateRequest
from plaid.model.sandbox_item_fire_webhook_request import SandboxItemFireWebhookRequest
from plaid.model.sandbox_item_reset_login_request import SandboxItemResetLoginRequest
from plaid.model.sandbox_item_set_verification_status_request import (
    SandboxItemSetVerificationStatusRequest,
)
from plaid.model.sandbox_public_token_create_request import SandboxPublicTokenCreateRequest
from plaid.model.sandbox_public_token_create_request_options import (
    SandboxPublicTokenCreateRequestOptions,
)
from plaid.model.sandbox_transfer_fire_webhook_request import SandboxTransferFireWebhookRequest
from plaid.model.sandbox_transfer_simulate_request import SandboxTransferSimulateRequest
from plaid.model.transfer_failure import TransferFailure
from plaid.model.transfer_event_sync_request import TransferEventSyncRequest
from plaid.model.webhook_verification_key_get_request import WebhookVerificationKeyGetRequest

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:7070"
WEBHOOK = "http://127.0.0.1:9/unreachable"


def control(path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(BASE + path, data=data, method="POST" if data else "GET")
    req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req) as resp:
        return json.load(resp)


def expect_error(call, code):
    try:
        call()
    except plaid.ApiException as e:
        body = json.loads(e.body)
        assert body["error_code"] == code, body
        return body
    raise AssertionError(f"expected {code}")


def main():
    config = plaid.Configuration(
        host=BASE,
        api_key={
            "clientId": "penny-sandbox-client",
            "secret": "penny-sandbox-secret",
            "plaidVersion": "2020-09-14",
        },
    )
    client = plaid_api.PlaidApi(plaid.ApiClient(config))

    link = client.link_token_create(
        LinkTokenCreateRequest(
            client_name="Penny",
            language="en",
            country_codes=[CountryCode("US")],
            user=LinkTokenCreateRequestUser(client_user_id="contract-user"),
            products=[Products("auth")],
            webhook=WEBHOOK,
            auth=LinkTokenCreateRequestAuth(automated_microdeposits_enabled=True),
        )
    )
    done = control("/__sandbox/link/complete", {"link_token": link.link_token})
    exchanged = client.item_public_token_exchange(
        ItemPublicTokenExchangeRequest(public_token=done["public_token"])
    )
    access = exchanged.access_token

    accounts = client.accounts_get(AccountsGetRequest(access_token=access))
    account = accounts.accounts[0]
    assert str(account.verification_status) == "pending_automatic_verification", account
    assert str(accounts.item.auth_method) == "AUTOMATED_MICRODEPOSITS"

    expect_error(lambda: client.auth_get(AuthGetRequest(access_token=access)), "PRODUCT_NOT_READY")
    events = client.bank_transfer_event_sync(BankTransferEventSyncRequest(after_id=0, count=25))
    mine = [e for e in events.bank_transfer_events if e.account_id == account.account_id]
    assert mine and str(mine[0].event_type) == "pending", events

    client.sandbox_item_set_verification_status(
        SandboxItemSetVerificationStatusRequest(
            access_token=access,
            account_id=account.account_id,
            verification_status="automatically_verified",
        )
    )
    auth = client.auth_get(
        AuthGetRequest(access_token=access, options=AuthGetRequestOptions(account_ids=[account.account_id]))
    )
    assert auth.numbers.ach[0].account == "1111222233330000"
    assert auth.numbers.ach[0].routing == "021000021"
    client.item_get(ItemGetRequest(access_token=access))

    client.sandbox_bank_transfer_simulate(
        SandboxBankTransferSimulateRequest(bank_transfer_id=mine[0].bank_transfer_id, event_type="posted")
    )
    client.sandbox_bank_transfer_fire_webhook(SandboxBankTransferFireWebhookRequest(webhook=WEBHOOK))
    client.transfer_event_sync(TransferEventSyncRequest(after_id=0))

    kid = control("/__sandbox/keys")["keys"][-1]["kid"]
    key = client.webhook_verification_key_get(WebhookVerificationKeyGetRequest(key_id=kid)).key
    assert key.alg == "ES256" and key.crv == "P-256" and key.kid == kid

    public = client.sandbox_public_token_create(
        SandboxPublicTokenCreateRequest(
            institution_id="ins_109508",
            initial_products=[Products("auth")],
            options=SandboxPublicTokenCreateRequestOptions(webhook=WEBHOOK),
        )
    )
    instant = client.item_public_token_exchange(
        ItemPublicTokenExchangeRequest(public_token=public.public_token)
    ).access_token
    client.auth_get(AuthGetRequest(access_token=instant))
    client.sandbox_item_fire_webhook(
        SandboxItemFireWebhookRequest(access_token=instant, webhook_code="NEW_ACCOUNTS_AVAILABLE")
    )
    client.sandbox_item_reset_login(SandboxItemResetLoginRequest(access_token=instant))
    expect_error(lambda: client.auth_get(AuthGetRequest(access_token=instant)), "ITEM_LOGIN_REQUIRED")
    client.item_remove(ItemRemoveRequest(access_token=instant))
    expect_error(lambda: client.item_get(ItemGetRequest(access_token=instant)), "INVALID_ACCESS_TOKEN")
    transfers(client)
    same_day(client)
    print("plaid-python contract: OK")


def same_day(client):
    """Same-Day: typed numbers, pending_manual_verification, code in update mode, SMS webhook."""
    link = client.link_token_create(
        LinkTokenCreateRequest(
            client_name="Penny",
            language="en",
            country_codes=[CountryCode("US")],
            user=LinkTokenCreateRequestUser(client_user_id="contract-user"),
            products=[Products("auth")],
            webhook=WEBHOOK,
            auth=LinkTokenCreateRequestAuth(same_day_microdeposits_enabled=True),
        )
    )
    done = control(
        "/__sandbox/link/complete",
        {"link_token": link.link_token, "routing_number": "110000000", "account_number": "1111222233330000"},
    )
    assert done["institution"] is None, done
    access = client.item_public_token_exchange(
        ItemPublicTokenExchangeRequest(public_token=done["public_token"])
    ).access_token
    accounts = client.accounts_get(AccountsGetRequest(access_token=access))
    assert str(accounts.accounts[0].verification_status) == "pending_manual_verification"
    assert str(accounts.item.auth_method) == "SAME_DAY_MICRODEPOSITS"
    item = client.item_get(ItemGetRequest(access_token=access)).item
    assert item.institution_id is None, item
    expect_error(lambda: client.auth_get(AuthGetRequest(access_token=access)), "PRODUCT_NOT_READY")
    update = client.link_token_create(
        LinkTokenCreateRequest(
            client_name="Penny",
            language="en",
            country_codes=[CountryCode("US")],
            user=LinkTokenCreateRequestUser(client_user_id="contract-user"),
            access_token=access,
        )
    )
    control("/__sandbox/link/complete", {"link_token": update.link_token, "code": "ABC"})
    accounts = client.accounts_get(AccountsGetRequest(access_token=access))
    assert str(accounts.accounts[0].verification_status) == "manually_verified"
    auth = client.auth_get(AuthGetRequest(access_token=access))
    assert auth.numbers.ach[0].routing == "110000000"

    public = client.sandbox_public_token_create(
        SandboxPublicTokenCreateRequest(
            institution_id="ins_109508",
            initial_products=[Products("auth")],
            options=SandboxPublicTokenCreateRequestOptions(
                webhook=WEBHOOK, override_username="user_good", override_password="same_day_good"
            ),
        )
    )
    sms = client.item_public_token_exchange(
        ItemPublicTokenExchangeRequest(public_token=public.public_token)
    ).access_token
    pending = client.accounts_get(AccountsGetRequest(access_token=sms)).accounts[0]
    control(
        "/__sandbox/items/sms_verification",
        {"account_id": pending.account_id, "status": "VERIFICATION_FAILED"},
    )
    failed = client.accounts_get(AccountsGetRequest(access_token=sms)).accounts[0]
    assert str(failed.verification_status) == "verification_failed", failed


def transfers(client):
    """Every micro-deposit event shape: the legacy same-day shape (two credits, one debit) with
    posted, reversed, failed and cancelled events in the Bank Transfers feed; Plaid Transfer's
    feed with has_more paging, settled/funds_available/returned and a sweep; the Transfer
    sandbox endpoints."""
    legacy = control(
        "/__sandbox/transfers/items",
        {"count": 2, "deposit_shape": "legacy_same_day", "feed": "bank_transfer"},
    )["items"]
    first = [t["transfer_id"] for t in legacy[0]["transfers"]]
    control("/__sandbox/transfers/advance", {"to": "posted", "transfer_ids": first})
    control(
        "/__sandbox/transfers/advance",
        {"to": "reversed", "transfer_ids": first[:1], "failure_reason": {"ach_return_code": "R03"}},
    )
    second = [t["transfer_id"] for t in legacy[1]["transfers"]]
    control("/__sandbox/transfers/advance", {"to": "failed", "transfer_ids": second[:1]})
    control("/__sandbox/transfers/advance", {"to": "cancelled", "transfer_ids": second[1:2]})
    seen, after = set(), 0
    while True:
        page = client.bank_transfer_event_sync(BankTransferEventSyncRequest(after_id=after, count=25))
        for e in page.bank_transfer_events:
            seen.add((str(e.event_type), str(e.bank_transfer_type)))
            after = e.event_id
        if len(page.bank_transfer_events) < 25:
            break
    for want in [("posted", "debit"), ("reversed", "credit"), ("failed", "credit"), ("cancelled", "credit")]:
        assert want in seen, (want, seen)

    made = control("/__sandbox/transfers/items", {"count": 3, "feed": "transfer"})["items"]
    ids = [i["transfers"][0]["transfer_id"] for i in made]
    for step in ["posted", "settled", "funds_available"]:
        client.sandbox_transfer_simulate(SandboxTransferSimulateRequest(transfer_id=ids[0], event_type=step))
    client.sandbox_transfer_simulate(SandboxTransferSimulateRequest(transfer_id=ids[1], event_type="posted"))
    client.sandbox_transfer_simulate(
        SandboxTransferSimulateRequest(
            transfer_id=ids[1],
            event_type="returned",
            failure_reason=TransferFailure(failure_code="R03", description="No account"),
        )
    )
    client.sandbox_transfer_simulate(SandboxTransferSimulateRequest(transfer_id=ids[2], event_type="failed"))
    control("/__sandbox/transfers/sweep", {"amount": "-0.03"})
    client.sandbox_transfer_fire_webhook(SandboxTransferFireWebhookRequest(webhook=WEBHOOK))
    types, after, pages = [], 0, 0
    while True:
        page = client.transfer_event_sync(TransferEventSyncRequest(after_id=after, count=2))
        pages += 1
        types += [str(e.event_type) for e in page.transfer_events]
        if page.transfer_events:
            after = page.transfer_events[-1].event_id
        if not page.has_more:
            break
    assert pages > 1, pages
    for want in ["pending", "posted", "settled", "funds_available", "returned", "failed", "sweep.posted"]:
        assert want in types, (want, types)


if __name__ == "__main__":
    started = time.time()
    main()
    print(f"({time.time() - started:.2f}s)")
