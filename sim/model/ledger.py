"""Double-entry bookkeeping of every money flow in the model.

Why: the brief requires that money balances (what workers pay equals what
recruiters, lenders, the public channel and the state receive). Every
transfer in the model goes through :meth:`Ledger.transfer`, which moves an
amount between two sectors and records the flow by name. Tests then check
that the agents' own arrays (worker savings and debt, recruiter cash, ...)
agree with the sector balances kept here, and that the flows add up.

Sectors are aggregates, not agents: ``subagents`` are the informal village
sub-agents of the two-tier chain (they only receive fees); ``outside`` is
the rest of the world (wages paid by employers' businesses, living costs,
operating costs, owners' capital), so the sum of all balances is always
zero. Balances are
net worth: a loan or its repayment swaps cash for a claim and moves no net
worth (it is only noted), while interest, fees and fines do.
"""

from __future__ import annotations

from collections import defaultdict

SECTORS = ("workers", "recruiters", "employers", "lenders", "state", "public_channel", "scheme", "subagents",
           "outside")


class Ledger:
    """Sector balances and cumulative named flows, in US dollars."""

    def __init__(self) -> None:
        self.balance: dict[str, float] = {s: 0.0 for s in SECTORS}
        self.flows: dict[tuple[str, str, str], float] = defaultdict(float)
        self.month: dict[str, float] = defaultdict(float)

    def transfer(self, source: str, target: str, amount: float, flow: str) -> None:
        """Move ``amount`` (a total, >= 0) from ``source`` to ``target`` under the name ``flow``."""
        amount = float(amount)
        if amount == 0.0:
            return
        self.balance[source] -= amount
        self.balance[target] += amount
        self.flows[(source, target, flow)] += amount
        self.month[flow] += amount

    def note(self, flow: str, amount: float) -> None:
        """Record a flow that swaps assets without changing anyone's net worth (a loan, a repayment)."""
        self.flows[("memo", "memo", flow)] += float(amount)
        self.month[flow] += float(amount)

    def start_month(self) -> None:
        """Forget last month's per-flow totals (the cumulative flows stay)."""
        self.month = defaultdict(float)

    def total(self, source: str | None = None, target: str | None = None, flow: str | None = None) -> float:
        """Cumulative sum of the flows matching every given field."""
        return sum(v for (s, t, f), v in self.flows.items()
                   if (source is None or s == source) and (target is None or t == target)
                   and (flow is None or f == flow))
