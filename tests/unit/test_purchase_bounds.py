"""The numbers the purchase saga's promises rest on, read from template.yaml and the settings.

- A purchase's lease outlives the request that started it: every function that can buy a stack times out before
  the purchase sweeper may touch its intent, so the two never act on one intent at once.
- The stated bound (README "Guarantees", network/purchases/__init__.py): an intent is Done or Refunded at most
  lease + one sweeper period after it was written, 2 minutes with the defaults.
- Two purchases never build the same transaction on the local ledger: the gas budget carries the purchase id.
"""

from __future__ import annotations

from pathlib import Path

from nodeplane.chain import transactions
from nodeplane.network.chain_impl import DEFAULT_GAS_BUDGET, purchase_budget
from nodeplane.network.locks import purchase
from nodeplane.settings import Settings
from nodeplane_local.template import FunctionSpec, parse_schedule, parse_template

ROOT = Path(__file__).parents[2]
STATED_BOUND_SECONDS = 120


def _functions() -> dict[str, FunctionSpec]:
    return dict(parse_template(ROOT / "template.yaml").functions)


def test_every_function_that_buys_times_out_before_its_purchase_lease_ends() -> None:
    buyers = {
        name: fn for name, fn in _functions().items() if "proxy_api.lock(" in (fn.code_uri / "app.py").read_text()
    }
    assert set(buyers) == {"ProxyLockFunction", "ProxyPublicKeyFunction"}
    lease = Settings().purchase_lease_seconds
    assert {name: fn.timeout for name, fn in buyers.items() if fn.timeout >= lease} == {}


def test_the_stated_bound_is_the_lease_plus_one_sweeper_period() -> None:
    sweeper = _functions()["PurchaseSweeperFunction"]
    [schedule] = sweeper.schedules
    kind, period = parse_schedule(schedule.expression)
    assert kind == "rate"
    assert Settings().purchase_lease_seconds + period == STATED_BOUND_SECONDS
    assert period == purchase.SWEEPER_PERIOD_SECONDS  # what a lock request that cannot tell yet answers
    readme = (ROOT / "README.md").read_text()
    assert "within 2 minutes" in readme


def test_each_purchase_builds_its_own_transaction() -> None:
    assert DEFAULT_GAS_BUDGET == transactions.DEFAULT_GAS_BUDGET
    budgets = {purchase_budget(f"intent-{i}") for i in range(1000)}
    assert len(budgets) > 990  # distinct, but for the odd collision of two ids out of a million low digits
    assert all(DEFAULT_GAS_BUDGET <= b < DEFAULT_GAS_BUDGET + 1_000_000 for b in budgets)
    assert purchase_budget("intent-1") == purchase_budget("intent-1") and purchase_budget(None) == DEFAULT_GAS_BUDGET
