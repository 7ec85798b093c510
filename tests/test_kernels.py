"""The compiled kernels (sim/model/kernels.py) give the numpy version's results, bit for bit.

Each kernel replaced a block of numpy calls and takes the random numbers
the numpy version drew, so nothing may change: whole runs are compared
with digests recorded by the numpy version (before the kernels existed),
and each kernel with the numpy code it replaced, kept here as a reference,
on random inputs that include the edge cases (refused loans, options that
do not pay, every option refused, empty inputs).

The digests are of float64 outputs computed on this project's machines;
numpy picks its float32 logarithm by CPU (SIMD), so a machine of another
kind could draw other bits for the old code too. If only the digest test
fails on a new kind of machine while the kernel tests pass, record the
digests anew there with the numpy version (``git show`` the commit before
the kernels) rather than accept a change.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from sim.config import build_config
from sim.model import RecruitmentModel, kernels
from sim.model.choice import consideration_windows, gumbel_best, log_exponentials

SMALL = {"market.n_workers": 1500, "market.n_employers": 40, "market.n_recruiters": 12, "run.steps": 60}
WORLDS = {
    "small": {},
    # more recruiters than a worker considers: consideration windows
    "windows": {"market.n_recruiters": 45, "market.consideration_set": 8},
    # every lever that adds a branch: platform, public channel and mandate, a cap with inspections,
    # joint liability, complaint targeting, audit reports to the state, capture, brands
    "levers": {"society.platform_enabled": True, "policy.public_capacity": 20, "policy.public_mandate": 0.3,
               "policy.fee_cap_months": 1.0, "policy.inspection_rate": 0.1, "policy.joint_liability": True,
               "policy.targeting": "complaints", "certification.confidential": False,
               "policy.anti_retaliation": 0.5, "policy.capture": 0.2, "society.brand_share": 0.3,
               "certification.initial_share": 0.3},
}
#: sha256 of each run's timeseries (column names, then the float64 values), recorded with the numpy
#: version at commit ae8a4ec, before any kernel
DIGESTS = {
    "small/0": "8b91ef25d13bc931eb0b48813b5c3c1afe51c97a94265be89db78d4a7c57f5ca",
    "small/1": "f2a397ab9e95a2e542fcb5f402b3a24204fb56c178eddbdbb517bed062515b2c",
    "small/2": "4f7f3ccecc82e7d9163701f2120ae3e0b3f5bb7ca3808a4bd6d5434df6bfedf3",
    "windows/0": "6c15bf9e3f7a404f3b65839a0ecc05e416d0cf89fa7d2b463e22bf0570112959",
    "windows/1": "34cf3c8e54ace1f046ced11a03954ba17f21a35549b7c0015becf529ce7e8b9c",
    "windows/2": "ea7edd1bf04fb742bd59a65863605ba66c90216c3be4911297c28e048411c21a",
    "levers/0": "907f54924624837b2e1a85df649e4d5d52e731ebdfade525a49eeeed17d679f8",
    "levers/1": "8e9e98b7bb9f0ab62d477db2d1470a087c9075101dfd435776a8f445e33fd278",
    "levers/2": "a51d42b4f427a35724a7adf5dfde14b44dcad017cb9429c484278d79ead898d2",
}


def timeseries_digest(model: RecruitmentModel) -> str:
    frame = model.timeseries()
    digest = hashlib.sha256(",".join(frame.columns).encode())
    digest.update(np.ascontiguousarray(frame.to_numpy(dtype=np.float64)).tobytes())
    return digest.hexdigest()


@pytest.mark.parametrize("run", sorted(DIGESTS))
def test_whole_runs_equal_the_numpy_version_bit_for_bit(run):
    world, seed = run.split("/")
    model = RecruitmentModel(build_config(SMALL | WORLDS[world] | {"seed": int(seed)}))
    model.run_model()
    assert timeseries_digest(model) == DIGESTS[run]


# --- worker choice ---------------------------------------------------------------------------------


def reference_worker_choice(offer: dict, windows, window, searchers, platform_user, savings, debt, home_wage,
                            log_noise, stay_home, market) -> np.ndarray:
    """The numpy version of sim.model.workers.choose_recruiters after its draws (commit ae8a4ec)."""
    m = market
    markup = m.deception_markup / (1.0 + m.deception_markup)
    n_options = len(offer["rows"])
    table = np.empty((3, 2 * n_options), dtype=np.float32)
    for is_user, suffix in ((0, "other"), (1, "user")):
        part = slice(is_user * n_options, (is_user + 1) * n_options)
        wage = offer["promised_wage"] * (1.0 - offer[f"deceive_prob_{suffix}"] * markup)
        table[0, part] = wage * (1.0 - m.living_cost_share)
        table[1, part] = (offer["fee_months"] + offer[f"hidden_prob_{suffix}"] * offer["hidden_months"]) * wage
        table[2, part] = offer["placement_prob"]
    by_window = table[:, np.r_[windows, windows + n_options]]
    row = platform_user[searchers].astype(np.intp) * len(windows) + window
    net_wage, fee, placement_prob = (by_window[field][row] for field in range(3))
    borrowed = fee - savings[searchers].astype(np.float32)[:, None]
    np.maximum(borrowed, 0.0, out=borrowed)
    headroom = (m.credit_limit_months * m.dest_wage - debt[searchers]).astype(np.float32)[:, None]
    refused = borrowed > headroom
    interest = np.multiply(borrowed, borrowed, out=borrowed)
    interest *= np.float32(0.5 * m.interest_rate)
    interest /= np.maximum(net_wage, np.float32(1e-9))
    utility = np.subtract(net_wage, home_wage[searchers].astype(np.float32)[:, None], out=net_wage)
    utility *= np.float32(m.contract_months)
    utility -= fee
    utility -= interest
    utility *= placement_prob
    utility *= np.float32(m.worker_choice_scale / m.dest_wage)
    refused |= utility < 0
    utility[refused] = -np.inf
    value = utility - log_noise  # gumbel_best, with the noise given
    best = value.argmax(axis=1)
    value = value[np.arange(len(best)), best]
    return np.where(stay_home >= value, -1, offer["rows"][windows[window, best]])


def random_market(seed: int, n_options: int, size: int, n_workers: int):
    rng = np.random.default_rng(seed)
    market = build_config({"market.consideration_set": size}).market
    offer = {
        "rows": np.sort(rng.choice(3 * n_options + 1, n_options, replace=False)),
        "promised_wage": rng.uniform(300, 700, n_options),
        "fee_months": rng.choice([0.0, 1.0, 3.0, 8.0, 40.0], n_options) * rng.uniform(0.5, 1.5, n_options),
        "hidden_months": float(rng.uniform(0, 6)),
        "placement_prob": rng.choice([0.0, 1e-3, 0.3, 0.9], n_options),
        "deceive_prob_other": rng.uniform(0, 1, n_options),
        "deceive_prob_user": rng.uniform(0, 1, n_options),
        "hidden_prob_other": rng.uniform(0, 1, n_options),
        "hidden_prob_user": rng.uniform(0, 1, n_options),
    }
    workers = {
        "platform_user": rng.random(n_workers) < 0.3,
        "savings": rng.lognormal(6, 1.5, n_workers),
        "debt": rng.choice([0.0, 2000.0, 5700.0, 9000.0], n_workers),  # 9000: past the credit line
        "home_wage": rng.lognormal(4.5, 0.6, n_workers),
    }
    searchers = np.sort(rng.choice(n_workers, n_workers // 2, replace=False))
    windows = consideration_windows(n_options, size, rng)
    window = rng.integers(0, len(windows), len(searchers))
    log_noise = log_exponentials(rng, (len(searchers), windows.shape[1]))
    stay_home = -log_exponentials(rng, len(searchers))
    return market, offer, workers, searchers, windows, window, log_noise, stay_home


def kernel_worker_choice(market, offer, workers, searchers, windows, window, log_noise, stay_home):
    m = market
    return kernels.worker_choice(
        offer["rows"], offer["promised_wage"], offer["fee_months"], offer["hidden_months"],
        offer["placement_prob"], offer["deceive_prob_other"], offer["deceive_prob_user"],
        offer["hidden_prob_other"], offer["hidden_prob_user"],
        windows, window, searchers, workers["platform_user"], workers["savings"], workers["debt"],
        workers["home_wage"], log_noise, stay_home,
        m.deception_markup / (1.0 + m.deception_markup), 1.0 - m.living_cost_share,
        m.credit_limit_months * m.dest_wage, np.float32(0.5 * m.interest_rate),
        np.float32(m.contract_months), np.float32(m.worker_choice_scale / m.dest_wage))


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("n_options,size", [(12, 30), (60, 30), (5, 1), (40, 8)])
def test_worker_choice_kernel_equals_the_numpy_version(seed, n_options, size):
    market, offer, workers, searchers, windows, window, log_noise, stay_home = random_market(
        seed, n_options, size, 4000)
    got = kernel_worker_choice(market, offer, workers, searchers, windows, window, log_noise, stay_home)
    want = reference_worker_choice(offer, windows, window, searchers, workers["platform_user"], workers["savings"],
                                   workers["debt"], workers["home_wage"], log_noise, stay_home, market)
    np.testing.assert_array_equal(got, want)
    # the inputs reach every branch: staying home, refused loans, options that do not pay, choices
    assert 0 < (got == -1).mean() < 1
    assert len(np.unique(got[got >= 0])) > 1


def test_worker_choice_kernel_with_nan_and_every_option_refused():
    market, offer, workers, searchers, windows, window, log_noise, stay_home = random_market(7, 12, 30, 400)
    offer["placement_prob"][3] = np.nan  # numpy's argmax takes the first nan
    workers["debt"][searchers[:50]] = 1e9  # no loan at all: only what savings pay
    got = kernel_worker_choice(market, offer, workers, searchers, windows, window, log_noise, stay_home)
    want = reference_worker_choice(offer, windows, window, searchers, workers["platform_user"], workers["savings"],
                                   workers["debt"], workers["home_wage"], log_noise, stay_home, market)
    np.testing.assert_array_equal(got, want)
    assert (got == offer["rows"][3]).any()


def test_gumbel_best_still_draws_the_same_noise():
    """gumbel_best and log_exponentials share one draw: -log of a float32 exponential, floored."""
    utility = np.random.default_rng(1).normal(size=(50, 7))
    best, value = gumbel_best(utility, np.random.default_rng(5))
    noise = np.random.default_rng(5).standard_exponential(utility.shape, dtype=np.float32)
    gumbel = -np.log(np.maximum(noise, np.float32(1e-30)))
    expected = utility.astype(np.float32) + gumbel
    np.testing.assert_array_equal(best, expected.argmax(axis=1))
    np.testing.assert_array_equal(value, expected.max(axis=1))
