"""The numbers the purchase saga's promises rest on, read from template.yaml and the settings.

- A purchase's lease outlives the request that started it and the lease on the coins its transaction was built
  from: when the purchase sweeper first may touch an intent, its request is over and the chain's answer about its
  digest is final (network/chain_impl.py fences a lost transaction's coin once that coin's lease has ended).
- The stated bound (README "Guarantees", network/purchases/__init__.py, the purchase-intent-age alarm): an intent
  is Done or Refunded at most lease + one sweeper period after it was written, 2.5 minutes with the defaults.
"""

from __future__ import annotations

from pathlib import Path

from nodeplane.network.locks import purchase
from nodeplane.settings import Settings
from nodeplane_local.harness.aws import template
from nodeplane_local.template import FunctionSpec, parse_schedule, parse_template

ROOT = Path(__file__).parents[2]
STATED_BOUND_SECONDS = 150


def _functions() -> dict[str, FunctionSpec]:
    return dict(parse_template(ROOT / "template.yaml").functions)


def test_the_purchase_lease_outlives_its_request_and_its_coins_lease() -> None:
    buyers = {
        name: fn for name, fn in _functions().items() if "proxy_api.lock(" in (fn.code_uri / "app.py").read_text()
    }
    assert set(buyers) == {"ProxyLockFunction", "ProxyPublicKeyFunction"}
    lease, coins = Settings().purchase_lease_seconds, Settings().wallet_lease_seconds
    assert {name: fn.timeout for name, fn in buyers.items() if fn.timeout + coins > lease} == {}


def test_the_stated_bound_is_the_lease_plus_one_sweeper_period() -> None:
    sweeper = _functions()["PurchaseSweeperFunction"]
    [schedule] = sweeper.schedules
    kind, period = parse_schedule(schedule.expression)
    assert kind == "rate"
    assert Settings().purchase_lease_seconds + period == STATED_BOUND_SECONDS
    assert period == purchase.SWEEPER_PERIOD_SECONDS  # what a lock request that cannot tell yet answers
    assert "within 2.5 minutes" in (ROOT / "README.md").read_text()
    alarm = template().raw["Resources"]["PurchaseIntentAgeAlarm"]["Properties"]
    assert (alarm["MetricName"], alarm["Threshold"]) == ("PurchaseIntentOldestAgeSeconds", STATED_BOUND_SECONDS)
    assert alarm["TreatMissingData"] == "breaching"  # a sweeper that stopped reporting is an alarm too
