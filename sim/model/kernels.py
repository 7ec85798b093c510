"""Compiled loops (numba) for the model's hottest stages.

A month is a few dozen stages, each a handful of numpy calls; on a default
world most of a month's time was the fixed cost of those calls (about
2,400 of them), and on a large one the worker choice, a matrix of
searchers by the 30 recruiters each considers. Each kernel here replaces
one such block with a single loop, and says which.

The kernels never draw random numbers: the caller draws them from
``model.rng`` exactly as the numpy version did (same calls, same shapes,
same order) and passes them in, and each kernel repeats the numpy
version's arithmetic operation by operation, in the same precision
(float32 where it was float32). Results are therefore equal bit for bit
to the numpy version's; ``tests/test_kernels.py`` checks each kernel
against it and whole runs against digests recorded before the kernels.
Three rules keep that true: sums and means are numpy's pairwise sums
(:func:`pairwise_sum`), never a running total; no fast-math; and
comparisons keep numpy's treatment of nan (:func:`minimum`,
:func:`maximum`, the argmax in :func:`worker_choice`). Loops over all
workers avoid branches whose outcome is as good as random (who searches,
who is abroad): a mispredicted branch costs more than the work.

Compilation is lazy (on a kernel's first call, not at import) and cached
on disk (``cache=True``, in ``__pycache__``), so only the first run after
installing or changing this file compiles; later processes load the
machine code; a process still pays a one-time load of a few tenths of a
second at its first kernel call. No kernel is recursive: numba's cache
does not keep recursive functions (they crash when loaded). Nothing
outside :mod:`sim.model` imports this module, so ``recruitsim --help`` and
config errors never load numba.
"""

from __future__ import annotations

import numba
import numpy as np

#: Every kernel: compiled on first call, cached on disk, numpy's rules for division by zero
#: (inf or nan, as the numpy version gave, instead of an exception), no fast-math.
kernel = numba.njit(cache=True, nogil=True, error_model="numpy")

F32 = np.float32


@kernel
def _block_sum(values, start, count):
    """numpy's sum of at most 128 items: one by one below 8, else eight interleaved sums combined as a tree."""
    if count < 8:
        total = 0.0
        for i in range(start, start + count):
            total += values[i]
        return total
    v = values[start:start + count]
    r0, r1, r2, r3, r4, r5, r6, r7 = v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]
    i = 8
    while i < count - count % 8:
        r0, r1, r2, r3 = r0 + v[i], r1 + v[i + 1], r2 + v[i + 2], r3 + v[i + 3]
        r4, r5, r6, r7 = r4 + v[i + 4], r5 + v[i + 5], r6 + v[i + 6], r7 + v[i + 7]
        i += 8
    total = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < count:
        total += v[i]
        i += 1
    return total


@kernel
def pairwise_sum(values, start, count):
    """The sum of ``values[start:start + count]`` exactly as ``np.add.reduce`` gives it (float64).

    Numpy sums a contiguous float64 array pairwise: blocks of at most 128
    items (:func:`_block_sum`), and a longer stretch as its two halves (the
    first rounded down to a multiple of 8) summed apart and added, all that
    added to 0.0 (so a sum of -0.0s is 0.0). Doing the same here lets a kernel sum without handing the
    array back to numpy, with the same bits (``tests/test_kernels.py``
    checks it against the numpy installed). The halving is walked with an
    explicit stack, not recursion, which numba's cache does not keep.
    """
    if count <= 128:
        return 0.0 + _block_sum(values, start, count)
    # frames: (start, count, stage); stage 0: split or sum a block, 1: go right, 2: add the two halves
    frames = np.empty((64, 3), np.int64)
    sums = np.empty(64)
    n_frames = n_sums = 0
    frames[0, 0], frames[0, 1], frames[0, 2] = start, count, 0
    n_frames = 1
    while n_frames:
        n_frames -= 1
        first, length, stage = frames[n_frames, 0], frames[n_frames, 1], frames[n_frames, 2]
        half = length // 2
        half -= half % 8
        if stage == 0 and length <= 128:
            sums[n_sums] = _block_sum(values, first, length)
            n_sums += 1
        elif stage == 0:  # the left half first
            frames[n_frames, 0], frames[n_frames, 1], frames[n_frames, 2] = first, length, 1
            frames[n_frames + 1, 0], frames[n_frames + 1, 1], frames[n_frames + 1, 2] = first, half, 0
            n_frames += 2
        elif stage == 1:  # then the right half
            frames[n_frames, 0], frames[n_frames, 1], frames[n_frames, 2] = first, length, 2
            frames[n_frames + 1, 0], frames[n_frames + 1, 1], frames[n_frames + 1, 2] = first + half, length - half, 0
            n_frames += 2
        else:  # left + right
            n_sums -= 1
            sums[n_sums - 1] = sums[n_sums - 1] + sums[n_sums]
    return 0.0 + sums[0]


@kernel
def mean(values):
    """``values.mean()`` of a float64 array (nan when empty), bit for bit."""
    return pairwise_sum(values, 0, len(values)) / len(values) if len(values) else np.nan


@kernel
def minimum(a, b):
    """``np.minimum`` of two scalars: nan if either is nan (Python's ``min`` is not)."""
    return a if a < b or np.isnan(a) else b


@kernel
def maximum(a, b):
    """``np.maximum`` of two scalars: nan if either is nan."""
    return a if a > b or np.isnan(a) else b


@kernel
def worker_choice(rows, promised_wage, fee_months, hidden_months, placement_prob,
                  deceive_other, deceive_user, hidden_other, hidden_user, takes_village,
                  windows, window, searchers, platform_user, village, savings, debt, home_wage,
                  log_noise, stay_home, markup, keep_share, credit_line, half_rate, months, scale):
    """Each searcher's logit choice of a recruiter, or -1 for staying home.

    Replaces the body of :func:`sim.model.workers.choose_recruiters` after
    the draws: the per-option table (net wage, fee, placement chance, as
    anyone else and as a platform user sees them, in float32), the
    per-window gathers, the utility matrix (loan refused beyond the credit
    line, interest on the loan, participation constraint) and
    :func:`sim.model.choice.gumbel_best` plus the stay-home comparison.
    Noise comes for every option considered, refused or not, as the numpy
    version drew it: on the calibrated model a searcher can take 80-95% of
    the options it considers, so drawing only for those would save little
    and would change the random stream. A worker only village sub-agents
    reach cannot go through a recruiter without sub-agents: that option is
    closed to it (``-inf``, as a refused loan).

    Args:
        rows, promised_wage, ... hidden_user: the options, as in
            :func:`sim.model.recruiters.offers_to_workers`; ``takes_village``:
            whether each option can take village workers (uses sub-agents).
        windows: consideration windows (windows x size, option indices);
            ``window``: each searcher's window.
        searchers: worker ids; ``platform_user``, ``village``, ``savings``,
            ``debt``, ``home_wage``: the whole worker table's arrays.
        log_noise: ``log(max(e, 1e-30))`` of standard exponential float32
            draws, searchers x size (so ``-log_noise`` is Gumbel noise).
        stay_home: the stay-home option's Gumbel noise, one per searcher.
        markup, keep_share, credit_line: float64 constants (deception share
            of the promised wage, 1 - living cost share, credit limit in USD);
            half_rate, months, scale: float32 constants, as the numpy version
            rounded them.

    Returns:
        The chosen recruiter row per searcher (-1: stays home).
    """
    n_windows, size = windows.shape
    # per window and kind of worker (rows: anyone else's windows, then a platform user's), so that the
    # loop over a searcher's options reads three contiguous rows and has no branch: it vectorises. The fee
    # has two more blocks of rows for village workers, where an option without sub-agents costs an
    # infinite fee: no loan covers it, so it is refused as a loan past the credit line is, with no test
    # in the loop (a test on who lives in a village, as good as random, would be mispredicted often)
    net_wage = np.empty((2 * n_windows, size), np.float32)
    fee = np.empty((4 * n_windows, size), np.float32)
    chance = np.empty((2 * n_windows, size), np.float32)
    closed = F32(np.inf)
    for is_user in range(2):
        for w in range(n_windows):
            for j in range(size):
                k = windows[w, j]
                deceive = deceive_user[k] if is_user else deceive_other[k]
                hidden = hidden_user[k] if is_user else hidden_other[k]
                wage = promised_wage[k] * (1.0 - deceive * markup)
                net_wage[is_user * n_windows + w, j] = wage * keep_share
                fee[is_user * n_windows + w, j] = (fee_months[k] + hidden * hidden_months) * wage
                fee[(2 + is_user) * n_windows + w, j] = fee[is_user * n_windows + w, j] if takes_village[k] else closed
                chance[is_user * n_windows + w, j] = placement_prob[k]
    tiny, zero, minus_inf = F32(1e-9), F32(0.0), F32(-np.inf)
    value = np.empty(size, np.float32)
    out = np.empty(len(searchers), np.int64)
    for i in range(len(searchers)):
        worker = searchers[i]
        row = window[i] + (n_windows if platform_user[worker] else 0)
        fee_row = row + (2 * n_windows if village[worker] else 0)
        savings_i, home = F32(savings[worker]), F32(home_wage[worker])
        headroom = F32(credit_line - debt[worker])
        for j in range(size):
            wage_j, fee_j = net_wage[row, j], fee[fee_row, j]
            borrowed = fee_j - savings_i
            borrowed = borrowed if not borrowed < zero else zero  # np.maximum (keeps a nan)
            interest = borrowed * borrowed * half_rate / (wage_j if not wage_j < tiny else tiny)
            utility = (((wage_j - home) * months - fee_j) - interest) * chance[row, j] * scale
            # lenders refuse a loan past the credit line (and any loan for an option closed to a village
            # worker); a worker goes only where going pays
            refused = borrowed > headroom or utility < zero
            value[j] = (minus_inf if refused else utility) - log_noise[i, j]
        # numpy's argmax: the first maximum, or the first nan
        best, best_value = 0, value[0]
        if not np.isnan(best_value):
            for j in range(1, size):
                if not value[j] <= best_value:
                    best, best_value = j, value[j]
                    if np.isnan(best_value):
                        break
        out[i] = -1 if stay_home[i] >= best_value else rows[windows[window[i], best]]
    return out


@kernel
def order_by_group(shuffled, groups):
    """Items ordered by group, keeping the order of ``shuffled`` within a group; and each one's rank there.

    Replaces ``shuffled[np.argsort(groups[shuffled], kind="stable")]`` and
    the ranks computed from it in :func:`sim.model.choice.rank_within_groups`:
    a stable sort by an integer key is a counting sort, linear in the items
    and the range of keys, where argsort costs n log n.
    """
    n = len(shuffled)
    order = np.empty(n, np.int64)
    rank = np.empty(n, np.int64)
    if n == 0:
        return order, rank
    low, high = groups[0], groups[0]
    for g in groups:
        low, high = min(low, g), max(high, g)
    start = np.zeros(high - low + 2, np.int64)  # where each group's items begin in ``order``
    for g in groups:
        start[g - low + 1] += 1
    for g in range(1, len(start)):
        start[g] += start[g - 1]
    for item in shuffled:
        g = groups[item] - low
        position = start[g]
        order[position] = item
        start[g] += 1
    # ranks: 0, 1, ... within each run of equal groups
    for position in range(n):
        same = position > 0 and groups[order[position]] == groups[order[position - 1]]
        rank[position] = rank[position - 1] + 1 if same else 0
    return order, rank


@kernel
def employer_round_utility(pending, window, windows, rows, spare, brand, plain, branded):
    """One round of job orders: the vacancies that can still reach a recruiter, and their utilities.

    Replaces, in :func:`sim.model.employers.place_job_orders`, the masking of
    recruiters with no spare capacity (``-inf``), the choice between the plain
    and the brand-committed utility, and the filter of vacancies with at
    least one finite option; the utility is cast to float32 as
    :func:`sim.model.choice.gumbel_best` did.

    Returns:
        (the reachable ones among ``pending``, their utilities: n x size, float32).
    """
    size = windows.shape[1]
    keep = np.empty(len(pending), np.int64)
    utility = np.empty((len(pending), size), np.float32)
    kept = 0
    for p in pending:
        w = window[p]
        reachable = False
        for j in range(size):
            value = branded[w, j] if brand[p] else plain[w, j]
            if spare[rows[windows[w, j]]] <= 0:
                value = -np.inf  # recruiters with no spare capacity turn orders away
            reachable |= np.isfinite(value)
            utility[kept, j] = value
        if reachable:
            keep[kept] = p
            kept += 1
    return keep[:kept], utility[:kept]


@kernel
def employer_round_take(pending, utility, log_noise, shuffled, window, windows, rows, spare, requests,
                        vacancy_employer):
    """One round of job orders: each vacancy's choice, and the orders recruiters accept.

    Replaces the rest of a round in :func:`sim.model.employers.place_job_orders`:
    the Gumbel argmax, counting the requests, each recruiter taking orders
    in random order (``shuffled``, as :func:`sim.model.choice.rank_within_groups`
    drew it) up to its spare capacity. ``spare`` and ``requests`` are updated
    in place.

    Returns:
        (employer, recruiter) of each accepted order, and the vacancies still pending.
    """
    chosen = np.empty(len(pending), np.int64)
    for i in range(len(pending)):
        best, best_value = 0, utility[i, 0] - log_noise[i, 0]
        for j in range(1, utility.shape[1]):
            value = utility[i, j] - log_noise[i, j]
            if np.isnan(best_value):
                break  # numpy's argmax: the first nan
            if value > best_value or np.isnan(value):
                best, best_value = j, value
        chosen[i] = rows[windows[window[pending[i]], best]]
        requests[chosen[i]] += 1
    order, rank = order_by_group(shuffled, chosen)
    taken_emp = np.empty(len(order), np.int64)
    taken_rec = np.empty(len(order), np.int64)
    still = np.empty(len(order), np.int64)
    n_taken = n_still = 0
    for position in range(len(order)):
        item = order[position]
        recruiter = chosen[item]
        if rank[position] < spare[recruiter]:
            taken_emp[n_taken] = vacancy_employer[pending[item]]
            taken_rec[n_taken] = recruiter
            n_taken += 1
        else:
            still[n_still] = pending[item]
            n_still += 1
    for k in range(n_taken):
        spare[taken_rec[k]] -= 1
    return taken_emp[:n_taken], taken_rec[:n_taken], still[:n_still]


@kernel
def match_orders(applicants, chosen, order_employer, order_recruiter, capacity, applicant_shuffled,
                 order_shuffled):
    """Which applicants each recruiter places, and in which of its job orders.

    Replaces the body of :func:`sim.model.placement.match`: counting
    applicants and accepted orders per recruiter, taking each recruiter's
    applicants in random order (``applicant_shuffled``) up to
    ``min(orders, capacity)``, and giving its k-th placed applicant its k-th
    order, orders in random order (``order_shuffled``); both orders as
    :func:`sim.model.choice.rank_within_groups` drew them.

    Returns:
        (applicants per recruiter, orders per recruiter, and for each
        placement: worker, recruiter, employer).
    """
    n = len(capacity)
    applicant_count = np.zeros(n, np.int64)
    for recruiter in chosen:
        applicant_count[recruiter] += 1
    order_count = np.zeros(n, np.int64)
    for recruiter in order_recruiter:
        order_count[recruiter] += 1
    first_order = np.zeros(n, np.int64)  # where each recruiter's orders begin, orders sorted by recruiter
    for recruiter in range(1, n):
        first_order[recruiter] = first_order[recruiter - 1] + order_count[recruiter - 1]
    app_order, app_rank = order_by_group(applicant_shuffled, chosen)
    by_recruiter, _ = order_by_group(order_shuffled, order_recruiter)
    workers = np.empty(len(app_order), np.int64)
    recruiters = np.empty(len(app_order), np.int64)
    employers = np.empty(len(app_order), np.int64)
    placed = 0
    for position in range(len(app_order)):
        item = app_order[position]
        recruiter = chosen[item]
        rank = app_rank[position]
        if rank < min(order_count[recruiter], capacity[recruiter]):
            workers[placed] = applicants[item]
            recruiters[placed] = recruiter
            employers[placed] = order_employer[by_recruiter[first_order[recruiter] + rank]]
            placed += 1
    return applicant_count, order_count, workers[:placed], recruiters[:placed], employers[:placed]


@kernel
def start_contracts(workers, recs, employers, employer_wage, open_fee, hidden, public, recruiter_price,
                    deceives, uses_subagents, kind, label, public_employer_fee, placement_cost, sourcing_cost,
                    subagent_months, cap, month, contract_months,
                    savings, debt, status, recruiter, employer, wage, fee_paid, placed_step, months_left,
                    violation, detected, spell_gain, migrations, placed_by_label, cash, recruitment_cost, abroad,
                    certified, illegal_fee, deceived, hidden_fee, subagent_fee):
    """The fees, prices and new contracts of this month's placements.

    Replaces the per-placement arithmetic of :func:`sim.model.placement.settle`
    and :func:`sim.model.workers.pay_fees` (the sums for the ledger stay in
    numpy): fee, savings spent and loan taken, the employer's price, each
    recruiter's cash and each employer's recruitment cost (accumulated in
    placement order, as ``np.bincount`` does), the violations recorded, and
    the worker's new contract; and the ledger's totals, summed as numpy
    summed them. Worker and recruiter arrays change in place; ``cap`` is
    nan when no cap applies.

    The two-tier chain (:mod:`sim.model.subagents`): a worker placed by a
    private recruiter using sub-agents also pays the sub-agent
    ``subagent_months`` of its wage (savings first, then a loan, as any
    fee); a private recruiter without sub-agents pays ``sourcing_cost``.
    The sub-agent fee is a violation (``subagent_fee`` bit) at a certified
    (Employer Pays) recruiter, or where recruiter and sub-agent fee together
    exceed the cap. With no sub-agents and no sourcing cost every number is
    the one the kernel gave before the chain existed.

    Returns:
        Per placement: wage, fee (all the worker paid), borrowed, employer
        price, the sub-agent's part of the fee; and the totals of loans,
        then of recruiter fees, service fees, kickbacks and placement costs
        of private recruiters, then of fees, service fees and placement
        costs of the public channel, then of sub-agent fees and of direct
        sourcing costs.
    """
    k = len(workers)
    wage_out = np.empty(k)
    fee_out = np.empty(k)
    borrowed_out = np.empty(k)
    price_out = np.empty(k)
    subagent_out = np.empty(k)
    own_out = np.empty(k)  # the recruiter's own fee (the worker's fee less the sub-agent's)
    sourcing_out = np.empty(k)
    cash_in = np.zeros(len(cash))
    cost_in = np.zeros(len(recruitment_cost))
    for i in range(k):
        worker, rec, emp = workers[i], recs[i], employers[i]
        wage_i = employer_wage[emp]
        months = open_fee[rec] + hidden[rec]
        through = uses_subagents[rec] and not public[i]
        sub_months = subagent_months if through else 0.0
        to_subagent = sub_months * wage_i
        sourcing = sourcing_cost if not through and not public[i] else 0.0
        own_fee = months * wage_i
        fee = own_fee + to_subagent
        from_savings = minimum(savings[worker], fee)
        borrowed = fee - from_savings
        savings[worker] -= from_savings
        debt[worker] += borrowed
        price = public_employer_fee if public[i] else recruiter_price[rec]
        cash_in[rec] += own_fee + price - placement_cost - sourcing
        cost_in[emp] += price
        v = 0
        if not np.isnan(cap) and not public[i] and months > cap + 1e-9:
            v |= illegal_fee
        if deceives[rec] and not public[i]:
            v |= deceived
        if hidden[rec] > 0:
            v |= hidden_fee
        if to_subagent > 0 and (kind[rec] == certified or (not np.isnan(cap) and months + sub_months > cap + 1e-9)):
            v |= subagent_fee
        status[worker] = abroad
        recruiter[worker] = rec
        employer[worker] = emp
        wage[worker] = wage_i
        fee_paid[worker] = fee
        placed_step[worker] = month
        months_left[worker] = contract_months
        violation[worker] = v
        detected[worker] = False
        spell_gain[worker] = -fee
        migrations[worker] += 1
        placed_by_label[worker] = label[rec]
        wage_out[i], fee_out[i], borrowed_out[i], price_out[i] = wage_i, fee, borrowed, price
        subagent_out[i], own_out[i], sourcing_out[i] = to_subagent, own_fee, sourcing
    for row in range(len(cash)):
        cash[row] += cash_in[row]
    for row in range(len(recruitment_cost)):
        recruitment_cost[row] += cost_in[row]
    # the ledger's totals: each sums its placements in order, as numpy summed the masked arrays
    parts = np.empty((10, k))
    count = np.zeros(10, np.int64)
    for i in range(k):
        if public[i]:  # fee, service fee, placement cost
            first, n_values = 5, 3
            values = (fee_out[i], price_out[i], placement_cost, 0.0)
        else:  # recruiter fee, service fee, kickback, placement cost
            first, n_values = 1, 4
            values = (own_out[i], maximum(price_out[i], 0.0), maximum(-price_out[i], 0.0), placement_cost)
            # the lower tier: the sub-agent's fee, or the recruiter's own sourcing cost
            parts[8, count[8]] = subagent_out[i]
            parts[9, count[9]] = sourcing_out[i]
            count[8] += 1
            count[9] += 1
        for j in range(n_values):
            parts[first + j, count[first + j]] = values[j]
            count[first + j] += 1
    totals = np.empty(10)
    totals[0] = pairwise_sum(borrowed_out, 0, k)
    for target in range(1, 10):
        totals[target] = pairwise_sum(parts[target], 0, count[target])
    return wage_out, fee_out, borrowed_out, price_out, subagent_out, totals


@kernel
def earn_and_repay(status, wage, home_wage, savings, debt, spell_gain, abroad_status, keep_share,
                   home_saving_rate, interest_rate, credit_line, remittance_share):
    """A month of earnings, interest, repayment, write-offs and family spending, for every worker.

    Replaces the array arithmetic of :func:`sim.model.workers.earn_and_repay`
    (about twenty numpy passes over the workers, debtors and workers abroad)
    with one pass; the operations on each worker are the same, in the same
    order. ``savings``, ``debt`` and ``spell_gain`` change in place.

    Returns:
        What the ledger sums, in the numpy version's order: income (every
        worker), then interest, repayment and write-off (each debtor, by id),
        then family spending (each worker abroad, by id).
    """
    n = len(status)
    income = np.empty(n)
    interest = np.empty(n)  # these three: one entry per debtor, the first d of them
    repaid = np.empty(n)
    written_off = np.empty(n)
    spent = np.empty(n)  # one per worker abroad, the first a of them
    d = a = 0
    # Without branches: who is abroad and who owes money is as good as random, so branches would be
    # mispredicted often. Every quantity is computed for every worker, and a select keeps, for the
    # others, the value the numpy version left untouched.
    for i in range(n):
        abroad = status[i] == abroad_status
        debtor = debt[i] > 0  # only debtors pay interest and repay
        earned = wage[i] * keep_share if abroad else home_wage[i] * home_saving_rate
        income[i] = earned
        cash = savings[i] + earned
        owed_interest = debt[i] * interest_rate
        owed = debt[i] + owed_interest
        repay = minimum(owed, cash) if debtor else 0.0
        owed -= repay
        cash = cash - repay if debtor else cash
        # lenders write off, for workers at home, what lies beyond the credit line
        write_off = maximum(owed - credit_line, 0.0) if debtor and not abroad else 0.0
        owed -= write_off
        debt[i] = owed if debtor else debt[i]
        interest[d], repaid[d], written_off[d] = owed_interest, repay, write_off
        d += debtor
        # the family at home lives on part of what is left after repayment
        family = remittance_share * maximum(earned - repay, 0.0)
        savings[i] = cash - family if abroad else cash
        spent[a] = family
        a += abroad
        gain = spell_gain[i] + (earned - home_wage[i])
        gain = gain - owed_interest if debtor else gain
        spell_gain[i] = gain if abroad else spell_gain[i]
    return income, interest[:d], repaid[:d], written_off[:d], spent[:a]


@kernel
def count_by(values, mask_values, wanted, n):
    """``np.bincount(values[mask_values == wanted], minlength=n)[:n]``, in one pass and no temporaries."""
    # first the values that count, without a branch (which items count is as good as random, so a
    # branch would often be mispredicted), then their counts
    kept = np.empty(len(values), np.int64)
    k = 0
    for i in range(len(values)):
        kept[k] = values[i]
        k += (mask_values[i] == wanted) & (values[i] < n)
    counts = np.zeros(n, np.int64)
    for i in range(k):
        counts[kept[i]] += 1
    return counts


@kernel
def searchers(status, blacklisted_until, draws, at_home, month, search_prob):
    """Workers at home, not blacklisted, whose draw is below ``search_prob``, by id.

    Replaces the masks and ``np.flatnonzero`` of :func:`sim.model.workers.find_searchers`.
    """
    found = np.empty(len(status), np.int64)
    k = 0
    for i in range(len(status)):
        # without branches: which workers search is random, so a branch would be mispredicted often
        found[k] = i
        k += (status[i] == at_home) & (blacklisted_until[i] <= month) & (draws[i] < search_prob)
    return found[:k]


@kernel
def leavers(status, placed_step, draws, at_home, month, leave_prob):
    """People at home, not placed this month, whose draw is below ``leave_prob``, by id.

    The choice of who leaves the pool in :func:`sim.model.workers.leave_and_arrive`
    (no numpy version: it was written as a kernel).
    """
    found = np.empty(len(status), np.int64)
    k = 0
    for i in range(len(status)):
        # without branches: who leaves is random, so a branch would be mispredicted often
        found[k] = i
        k += (status[i] == at_home) & (placed_step[i] != month) & (draws[i] < leave_prob)
    return found[:k]


@kernel
def home_debt_trap(status, debt, home_wage, at_home, repayable_per_home_wage):
    """People at home whose debt exceeds ``home_wage * repayable_per_home_wage`` (by id), and how many are at home.

    The home debt trap of :func:`sim.model.workers.home_debt_trapped` (no
    numpy version: it was written as a kernel). The ``1e-9`` margin is
    :func:`sim.model.workers.bondage_mask`'s: a debt repaid down to rounding
    error is no trap.
    """
    trapped = np.empty(len(status), np.int64)
    k = home = 0
    for i in range(len(status)):  # without branches (see count_by)
        is_home = status[i] == at_home
        home += is_home
        trapped[k] = i
        k += is_home & (debt[i] > home_wage[i] * repayable_per_home_wage + 1e-9)
    return trapped[:k], home


@kernel
def rows_of_kind(active, kind, n, wanted, exclude):
    """Active rows among the first ``n`` whose kind is ``wanted`` (or, with ``exclude``, is not).

    Replaces ``np.flatnonzero(active[:n] & (kind[:n] == wanted))`` (``!=``
    with ``exclude``): a recruiter-level mask asked for many times a month.
    """
    found = np.empty(n, np.int64)
    k = 0
    for row in range(n):
        if active[row] and ((kind[row] != wanted) if exclude else (kind[row] == wanted)):
            found[k] = row
            k += 1
    return found[:k]


@kernel
def market_fee_months(active, kind, fee_months, n, fee_charging, public):
    """Mean asking fee of active fee-charging recruiters (else of all private ones; else 0), as numpy's mean.

    Replaces the masks and mean of :func:`sim.model.recruiters.market_fee_months`.
    """
    charging = np.empty(n)
    private = np.empty(n)
    n_charging = n_private = 0
    for row in range(n):
        if active[row] and kind[row] != public:
            private[n_private] = fee_months[row]
            n_private += 1
            if kind[row] == fee_charging:
                charging[n_charging] = fee_months[row]
                n_charging += 1
    if n_charging:
        return mean(charging[:n_charging])
    return mean(private[:n_private]) if n_private else 0.0


@kernel
def charged_months(active, kind, fee_months, overcharges, n, fee_charging, certified, public, has_cap, cap,
                   public_fee_months):
    """What each recruiter row charges a worker, in months of wage: (open fee, hidden fee).

    Replaces the ``np.where`` chain of :func:`sim.model.recruiters.charged_months`;
    a cheating certified recruiter hides the market fee (:func:`market_fee_months`).
    """
    market_fee = market_fee_months(active, kind, fee_months, n, fee_charging, public)
    open_fee = np.zeros(n)
    hidden = np.zeros(n)
    for row in range(n):
        if kind[row] == fee_charging:
            open_fee[row] = fee_months[row]
            if has_cap and not overcharges[row]:
                open_fee[row] = minimum(fee_months[row], cap)
        elif kind[row] == public:
            open_fee[row] = public_fee_months
        elif kind[row] == certified and overcharges[row]:
            hidden[row] = market_fee
    return open_fee, hidden


@kernel
def worker_outcomes(status, wage, debt, months_left, placed_by_label, abroad_status, keep_share, annuity):
    """Workers abroad, those of them in debt bondage, workers owing money; abroad and bonded among the
    workers placed by a recruiter without a label.

    Replaces ``np.flatnonzero(status == ABROAD)``, the mask of
    :func:`sim.model.workers.bondage_mask` and ``debt > 1e-9`` in
    :func:`sim.model.outcomes.measure`. In bondage: debt beyond the present
    value of the net earnings left in the contract,
    ``wage * keep_share * annuity[months_left] + 1e-9``; ``annuity[k]`` is
    the annuity factor of k months, computed by numpy as before (the power
    is numpy's; a table of it gives the same values).
    """
    abroad = bonded = in_debt = abroad_unlabelled = bonded_unlabelled = 0
    for i in range(len(status)):  # without branches (see count_by)
        is_abroad = status[i] == abroad_status
        in_debt += debt[i] > 1e-9
        abroad += is_abroad
        is_bonded = is_abroad & (debt[i] > wage[i] * keep_share * annuity[months_left[i]] + 1e-9)
        bonded += is_bonded
        unlabelled = not placed_by_label[i]
        abroad_unlabelled += is_abroad & unlabelled
        bonded_unlabelled += is_bonded & unlabelled
    return abroad, bonded, in_debt, abroad_unlabelled, bonded_unlabelled


#: What the last array :func:`placement_outcomes` returns holds, in order.
CHAIN_SUMS = ("mean_recruiter_fee_months", "mean_subagent_fee_months", "mean_fee_months_unlabelled", "fees_paid",
              "subagent_fees_paid", "fee_free", "above_cap", "paid_subagent", "labelled", "labelled_fee_free",
              "labelled_violations")


@kernel
def placement_outcomes(fee, subagent_fee, wage, borrowed, employer_price, recruiters, kind, violation, workers,
                       placed_by_label, keep_share, cap, n_rows):
    """This month's placements summed up for :func:`sim.model.outcomes.measure`.

    Replaces its numpy expressions over the placements: the count by kind
    of recruiter (``np.bincount``), fees in months of wage, the mean fee and
    payback time, the share who borrowed, the mean employer price, the
    placements recorded with a violation and the Herfindahl index of
    placements across recruiters; means and sums as numpy sums them. And,
    for the two-tier chain and the label's record, the fees by tier and the
    counts of placements that paid nothing, paid above ``cap`` (nan: no
    cap), paid a sub-agent, or were made by a label holder (``placed_by_label``).

    Returns:
        (count by kind, mean fee months, mean payback months, borrowers,
        mean employer price, violations, hhi, fee months of each placement,
        then an array of the chain's and the label's means, sums and counts,
        named by :data:`CHAIN_SUMS`).
    """
    k = len(fee)
    by_kind = np.zeros(3, np.int64)
    by_recruiter = np.zeros(n_rows, np.int64)
    fee_months = np.empty(k)
    recruiter_months = np.empty(k)
    subagent_months = np.empty(k)
    unlabelled_months = np.empty(k)
    payback = np.empty(k)
    borrowers = violations = 0
    fee_free = above_cap = paid_subagent = labelled = labelled_free = labelled_violations = unlabelled = 0
    for i in range(k):
        by_kind[kind[recruiters[i]]] += 1
        by_recruiter[recruiters[i]] += 1
        fee_months[i] = fee[i] / maximum(wage[i], 1e-9)
        subagent_months[i] = subagent_fee[i] / maximum(wage[i], 1e-9)
        recruiter_months[i] = (fee[i] - subagent_fee[i]) / maximum(wage[i], 1e-9)
        payback[i] = fee[i] / maximum(wage[i] * keep_share, 1e-9)
        borrowers += borrowed[i] > 0
        wronged = violation[workers[i]] != 0
        violations += wronged
        free = not fee[i] > 0
        fee_free += free
        above_cap += fee[i] > cap * wage[i] + 1e-9  # false when cap is nan
        paid_subagent += subagent_fee[i] > 0
        if placed_by_label[workers[i]]:
            labelled += 1
            labelled_free += free
            labelled_violations += wronged
        else:
            unlabelled_months[unlabelled] = fee_months[i]
            unlabelled += 1
    squared_shares = np.empty(n_rows)
    for row in range(n_rows):
        share = by_recruiter[row] / k if k else 0.0
        squared_shares[row] = share * share
    hhi = pairwise_sum(squared_shares, 0, n_rows) if k else np.nan
    chain = np.empty(11)  # in the order of CHAIN_SUMS
    chain[0], chain[1] = mean(recruiter_months), mean(subagent_months)
    chain[2] = mean(unlabelled_months[:unlabelled])
    chain[3], chain[4] = pairwise_sum(fee, 0, k), pairwise_sum(subagent_fee, 0, k)
    chain[5], chain[6], chain[7] = fee_free, above_cap, paid_subagent
    chain[8], chain[9], chain[10] = labelled, labelled_free, labelled_violations
    return (by_kind, mean(fee_months), mean(payback), borrowers, mean(employer_price), violations, hhi,
            fee_months, chain)


@kernel
def recruiter_outcomes(active, kind, cert_stage, profit_ema, overcharges, deceives, churns, n,
                       fee_charging, certified, public, training):
    """Counts and means over active private recruiters for :func:`sim.model.outcomes.measure`.

    Replaces its masks (``np.flatnonzero`` by kind, then gathers, means and
    ``np.count_nonzero``); mean profits as numpy sums them.

    Returns:
        (private, certified, fee-charging, in training, mean profit of the
        fee-charging, of the certified, fee-charging overcharging, certified
        overcharging, private deceiving, fee-charging churning).
    """
    fc_profit = np.empty(n)
    cert_profit = np.empty(n)
    n_private = n_fc = n_cert = n_training = fc_over = cert_over = deceiving = churning = 0
    for row in range(n):
        if not active[row] or kind[row] == public:
            continue
        n_private += 1
        deceiving += deceives[row]
        if kind[row] == fee_charging:
            fc_profit[n_fc] = profit_ema[row]
            n_fc += 1
            n_training += cert_stage[row] == training
            fc_over += overcharges[row]
            churning += churns[row]
        elif kind[row] == certified:
            cert_profit[n_cert] = profit_ema[row]
            n_cert += 1
            cert_over += overcharges[row]
    return (n_private, n_cert, n_fc, n_training, mean(fc_profit[:n_fc]), mean(cert_profit[:n_cert]),
            fc_over, cert_over, deceiving, churning)


@kernel
def windows_from_order(order, size):
    """Row i: the ``size`` options from position i of ``order`` on, wrapping past the end.

    Replaces the concatenation and fancy index of
    :func:`sim.model.choice.consideration_windows`.
    """
    n = len(order)
    windows = np.empty((n, size), np.int64)
    for i in range(n):
        for j in range(size):
            windows[i, j] = order[(i + j) % n]
    return windows


@kernel
def employer_utilities(windows, delivers, base_cost, brand_cost, scale):
    """Employers' utility of each recruiter of each window: (plain, for brand-committed employers).

    Replaces ``delivers[windows] - scale * base_cost[windows]`` and
    ``plain - scale * brand_cost[windows]`` in
    :func:`sim.model.employers.place_job_orders`.
    """
    plain = np.empty(windows.shape)
    branded = np.empty(windows.shape)
    for w in range(windows.shape[0]):
        for j in range(windows.shape[1]):
            k = windows[w, j]
            plain[w, j] = delivers[k] - scale * base_cost[k]
            branded[w, j] = plain[w, j] - scale * brand_cost[k]
    return plain, branded


@kernel
def update_recruiter_records(placements, applicants, orders, placement_prob, placements_ema, fill_rate, memory):
    """Placement chance (for workers), recent placements and fill rate (for employers), in place.

    Replaces the ``np.where`` updates of
    :func:`sim.model.placement.update_recruiter_records` (the same
    arithmetic per row).
    """
    for row in range(len(placements)):
        if applicants[row] > 0:
            rate = placements[row] / max(applicants[row], 1)
            placement_prob[row] = placement_prob[row] + memory * (rate - placement_prob[row])
        placements_ema[row] += memory * (placements[row] - placements_ema[row])
        if orders[row] > 0:  # orders asked for, turned-away ones included
            filled = placements[row] / max(orders[row], 1)
            fill_rate[row] = fill_rate[row] + memory * (filled - fill_rate[row])


@kernel
def word_of_mouth_view(kind, word_fee, word_deceived, trust, certified, fee_charging):
    """What people hear of each recruiter's kind: chance of a fee and of deception (see recruiters.py).

    Replaces the gathers and ``np.where`` of
    :func:`sim.model.recruiters.word_of_mouth_view`, with its arithmetic.
    """
    fee = np.empty(len(kind))
    deceived = np.empty(len(kind))
    for i in range(len(kind)):
        fee[i], deceived[i] = word_fee[kind[i]], word_deceived[kind[i]]
        if kind[i] == certified:
            fee[i] = trust * fee[i] + (1 - trust) * word_fee[fee_charging]
            deceived[i] = trust * deceived[i] + (1 - trust) * word_deceived[fee_charging]
    return fee, deceived


@kernel
def ratings_view(rows, reviews, reviews_fee, reviews_deceived, fee_prior, deceive_prior, prior):
    """Each recruiter's own record on the rating platform, shrunk toward word of mouth (see recruiters.py).

    Replaces the array arithmetic of :func:`sim.model.recruiters.ratings_view`.
    """
    fee = np.empty(len(rows))
    deceived = np.empty(len(rows))
    for i in range(len(rows)):
        row = rows[i]
        fee[i] = (prior * fee_prior[i] + reviews_fee[row]) / (prior + reviews[row])
        deceived[i] = (prior * deceive_prior[i] + reviews_deceived[row]) / (prior + reviews[row])
    return fee, deceived


@kernel
def break_even_price(rows, open_fee, hidden, order_wage, capacity, cert_stage, holds_label, placement_cost,
                     fixed_cost, min_margin, audits_per_month, orders, kind, n, public, choice_scale, max_share):
    """The employer price each recruiter of ``rows`` aims for (see recruiters.break_even_price).

    Unit cost less worker-fee income, plus the Nash-Bertrand markup of a
    logit demand, ``1 / (choice_scale * (1 - s))``, at least ``min_margin``;
    ``s`` is the row's share of last month's orders asked of private
    recruiters (all rows not of kind ``public``, exited ones included:
    they were asked too), at most ``max_share``, and 0 when there were no
    orders. Replaces the array arithmetic of
    :func:`sim.model.recruiters.break_even_price`; ``tests/test_kernels.py``
    checks it against that numpy version.
    """
    total = 0
    for row in range(n):
        if kind[row] != public:
            total += orders[row]
    target = np.empty(len(rows))
    for i in range(len(rows)):
        row = rows[i]
        fee_income = (open_fee[row] + hidden[row]) * order_wage[row]
        unit_cost = placement_cost + fixed_cost / max(capacity[row], 1)
        audits = audits_per_month if cert_stage[row] == holds_label else 0.0
        share = minimum(orders[row] / total, max_share) if total > 0 else 0.0
        markup = maximum(1.0 / (choice_scale * (1.0 - share)), min_margin)
        target[i] = unit_cost + markup + audits / max(capacity[row], 1) - fee_income
    return target


@kernel
def update_employer_prices(rows, target, price, orders, capacity, adjust_rate, step):
    """Employer prices: up a step with the overload when orders exceed capacity, else part way to the target.

    The move toward the target is the same from above and from below (no
    jump). Replaces the ``np.where`` of
    :func:`sim.model.recruiters.update_prices`; ``price`` changes in place.
    """
    for i in range(len(rows)):
        row = rows[i]
        old = price[row]
        if orders[row] > capacity[row]:
            overload = minimum(orders[row] / max(capacity[row], 1), 10.0)
            price[row] = old + step * overload
        else:
            price[row] = old + adjust_rate * (target[i] - old)


@kernel
def open_vacancies(positions, filled, reserved_employer, reserved_recruiter, active):
    """Reserved orders of recruiters still active, and one entry per vacancy left open (its employer).

    Replaces, in :func:`sim.model.employers.place_job_orders`, the vacancy
    count, the filter of reserved orders, ``np.bincount`` of the reserved
    ones and ``np.repeat(np.arange(n), open)``.
    """
    keep = np.empty(len(reserved_recruiter), np.bool_)
    reserved = np.zeros(len(positions), np.int64)
    for i in range(len(reserved_recruiter)):
        keep[i] = active[reserved_recruiter[i]]
        if keep[i] and reserved_employer[i] < len(positions):
            reserved[reserved_employer[i]] += 1
    total = 0
    for employer in range(len(positions)):
        reserved[employer] = max(max(positions[employer] - filled[employer], 0) - reserved[employer], 0)
        total += reserved[employer]
    vacancy_employer = np.empty(total, np.int64)
    k = 0
    for employer in range(len(positions)):
        for _ in range(reserved[employer]):
            vacancy_employer[k] = employer
            k += 1
    return reserved_employer[keep], reserved_recruiter[keep], vacancy_employer


@kernel
def audits_due(holders, certified_months, next_audit, recertified, cash, audit_cost, surveillance_cost,
               surveillance_period, surveillance_interval, recertified_interval):
    """A month of label holders' audit calendar: who is audited now, and what the audits cost in all.

    Replaces the array updates of the label holders in
    :func:`sim.model.certification.CertificationScheme.advance`: a month
    more certified, a month nearer the next audit; for those due, a
    recertification audit at the end of the surveillance period (else a
    surveillance audit), paid from cash, and the next audit set. The total
    is summed as numpy summed it. Arrays change in place.

    Returns:
        (rows audited, total cost).
    """
    due = np.empty(len(holders), np.int64)
    costs = np.empty(len(holders))
    k = 0
    for row in holders:
        certified_months[row] += 1
        next_audit[row] -= 1
        if next_audit[row] > 0:
            continue
        recert = not recertified[row] and certified_months[row] >= surveillance_period
        costs[k] = audit_cost if recert else surveillance_cost
        cash[row] -= costs[k]
        recertified[row] |= recert
        if recertified[row]:
            next_audit[row] = max(recertified_interval, 1)
        else:
            next_audit[row] = max(min(surveillance_interval, surveillance_period - certified_months[row]), 1)
        due[k] = row
        k += 1
    return due[:k], pairwise_sum(costs, 0, k)


@kernel
def complaints_arriving(queue, n, active, cert_stage, holds_label):
    """Move the scheme's complaint queue a month on; return the label holders whose complaints arrived.

    Replaces the queue shift and mask in
    :func:`sim.model.certification.CertificationScheme.advance`.
    """
    heard = np.empty(n, np.int64)
    k = 0
    last = queue.shape[1] - 1
    for row in range(n):
        arrived = queue[row, 0]
        for month in range(last):
            queue[row, month] = queue[row, month + 1]
        queue[row, last] = 0
        if active[row] and arrived > 0 and cert_stage[row] == holds_label:
            heard[k] = row
            k += 1
    return heard[:k]


@kernel
def suspicion(kind, fee, deceived, public):
    """``np.where(kind == public, 0.0, 1 - (1 - fee) * (1 - deceived))``: see employers.suspicion."""
    suspect = np.empty(len(kind))
    for i in range(len(kind)):
        suspect[i] = 0.0 if kind[i] == public else 1.0 - (1.0 - fee[i]) * (1.0 - deceived[i])
    return suspect


@kernel
def placement_capacity(capacity, kind, n, public, public_capacity):
    """Each recruiter row's capacity this month, the public channel's set by policy (see recruiters.py)."""
    out = capacity[:n].copy()
    for row in range(n):
        if kind[row] == public:
            out[row] = public_capacity
    return out


@kernel
def offers_to_workers(rows, kind, order_wage, deceives, placement_prob, open_fee, word_fee, word_deceived,
                      trust, reviews, reviews_fee, reviews_deceived, markup, uses_subagents, subagent_months,
                      certified, fee_charging):
    """Per option: fee, placement chance, promised wage, chances of a hidden fee and of deception.

    Replaces the gathers and ``np.where`` of
    :func:`sim.model.recruiters.offers_to_workers` (with
    :func:`word_of_mouth_view` for others and :func:`ratings_view` for
    platform users). The two-tier chain (:mod:`sim.model.subagents`): at a
    recruiter using sub-agents and not seen as certified the fee includes
    the sub-agent's ``subagent_months``, which workers see; behind a
    recruiter seen as certified it is hidden, and workers expect it only
    through the hidden-fee chances (word of mouth and ratings count
    placements that paid sub-agents), so it is not added again.

    Returns:
        (fee months, placement chance, promised wage, hidden fee chance as a
        user, as others, deception chance as a user, as others, whether
        the option can take village workers).
    """
    k = len(rows)
    option_kind = np.empty(k, np.int64)
    fee = np.empty(k)
    chance = np.empty(k)
    promised = np.empty(k)
    takes_village = np.empty(k, np.bool_)
    for i in range(k):
        row = rows[i]
        option_kind[i] = kind[row]
        takes_village[i] = uses_subagents[row]
        seen_subagent = subagent_months if uses_subagents[row] and kind[row] != certified else 0.0
        fee[i] = open_fee[row] + seen_subagent
        chance[i] = placement_prob[row]
        promised[i] = order_wage[row] * ((1.0 + markup) if deceives[row] else 1.0)
    fee_other, deceive_other = word_of_mouth_view(option_kind, word_fee, word_deceived, trust, certified,
                                                  fee_charging)
    fee_user, deceive_user = ratings_view(rows, reviews, reviews_fee, reviews_deceived, fee_other, deceive_other,
                                          2.0)
    hidden_user = np.zeros(k)
    hidden_other = np.zeros(k)
    for i in range(k):
        if option_kind[i] == certified:
            hidden_user[i], hidden_other[i] = fee_user[i], fee_other[i]
    return fee, chance, promised, hidden_user, hidden_other, deceive_user, deceive_other, takes_village


@kernel
def placements_by_kind(recs, kind, fee, workers, violation, deceived_bit):
    """Per kind of recruiter: this month's placements, those who paid a fee, those deceived.

    Replaces the masks and ``np.count_nonzero`` of :func:`sim.model.placement.hear_about`.
    """
    placed = np.zeros(3, np.int64)
    paid = np.zeros(3, np.int64)
    deceived = np.zeros(3, np.int64)
    for i in range(len(recs)):
        k = kind[recs[i]]
        placed[k] += 1
        paid[k] += fee[i] > 0
        deceived[k] += (violation[workers[i]] & deceived_bit) > 0
    return placed, paid, deceived
