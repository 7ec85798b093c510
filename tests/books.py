"""The money check shared by the model's tests: the agents' arrays agree with the ledger, to the cent."""

from __future__ import annotations

import pytest

from sim.model.recruiters import PUBLIC

#: Every way lenders give up a debt (all lenders -> workers): beyond the credit limit, of people
#: leaving the pool, and by relief of debts trapped at home
WRITE_OFFS = ("write_offs", "departure_write_offs", "relief_write_offs")
#: What workers' money goes to outside the recruitment system: their families' spending, and the
#: savings people take with them when they leave the pool
WORKERS_OUT = ("family_consumption", "departures")


def assert_books_balance(model, tol: float | None = None) -> None:
    """Every dollar moved is recorded once, and the agents' own arrays agree with the books.

    Workers' net worth (savings less debt), recruiters' cash and the public
    channel's account are recomputed from the arrays and must equal the
    ledger's sector balances; debt outstanding must equal loans plus
    interest less repayments and every kind of write-off; what workers paid
    in fees and interest must be exactly what recruiters, the public channel
    lenders and village sub-agents received.

    Args:
        tol: the absolute tolerance in USD; default one millionth of all
            money moved (rounding in sums of millions of flows).
    """
    ledger, w, r = model.ledger, model.workers, model.recruiters
    n = r.n
    private = r.kind[:n] != PUBLIC
    if tol is None:
        tol = 1e-6 * max(1.0, ledger.total())
    assert abs(sum(ledger.balance.values())) < tol
    assert w.savings.sum() - w.debt.sum() == pytest.approx(ledger.balance["workers"], abs=tol)
    assert r.cash[:n][private].sum() == pytest.approx(ledger.balance["recruiters"], abs=tol)
    assert r.cash[:n][~private].sum() == pytest.approx(ledger.balance["public_channel"], abs=tol)
    written_off = sum(ledger.total(flow=flow) for flow in WRITE_OFFS)
    assert written_off == pytest.approx(ledger.total(source="lenders", target="workers"))
    borrowed = (ledger.total(flow="loans") + ledger.total(flow="interest") - ledger.total(flow="repayments")
                - written_off)
    assert w.debt.sum() == pytest.approx(borrowed, abs=tol)
    # what workers pay into the recruitment system (their families' spending and leavers' savings go elsewhere)
    paid_by_workers = ledger.total(source="workers") - sum(ledger.total(flow=flow) for flow in WORKERS_OUT)
    received = (ledger.total(source="workers", target="recruiters") + ledger.total(source="workers", target="lenders")
                + ledger.total(source="workers", target="public_channel") + ledger.total(source="workers", target="state")
                + ledger.total(source="workers", target="subagents"))
    assert paid_by_workers == pytest.approx(received)
