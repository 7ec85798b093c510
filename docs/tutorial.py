# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # recruitsim from Python: a tutorial for Mesa users
#
# This file is a notebook in jupytext's percent format: run it as a script
# (`.venv/bin/python docs/tutorial.py`), cell by cell in an editor that knows
# `# %%` cells (VS Code, Spyder, PyCharm), or open it as a notebook with
# jupytext. It takes a few seconds: the world is small (1,000 workers) and
# runs are short (36 months).
#
# It shows how to build the model, step it, read its agents and its
# DataCollector, run a small batch with `mesa.batch_run` and plot the batch.
# Figures are saved to the folder named by the environment variable
# `RECRUITSIM_TUTORIAL_OUT` (a new temporary folder if it is not set).

# %%
import inspect
import os
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import mesa
import numpy as np
import pandas as pd

from sim import Recruiter, RecruitmentModel, Worker

OUT = Path(os.environ.get("RECRUITSIM_TUTORIAL_OUT") or tempfile.mkdtemp(prefix="recruitsim-tutorial-"))
OUT.mkdir(parents=True, exist_ok=True)
# a fifth of the default world (workers, employers, recruiters), for three years
SMALL = {"market__n_workers": 1000, "market__n_employers": 20, "market__n_recruiters": 6, "run__steps": 36}

# %% [markdown]
# ## Build a model
#
# `RecruitmentModel` is a `mesa.Model`. Its parameters are the config keys
# (`configs/`, `sim/config/schema.py`) with `__` for each dot:
# `policy__fee_cap_months=0` bans fees charged to workers. `rng` is the seed,
# as in Mesa; the seed used is always `model.config.seed`. A named scenario
# works too: `RecruitmentModel(scenario="ban_on_paper", rng=1)`.

# %%
model = RecruitmentModel(rng=42, policy__fee_cap_months=0, policy__inspection_rate=0.1, **SMALL)
print("seed:", model.config.seed, "| horizon:", model.config.run.steps, "months | running:", model.running)

# %% [markdown]
# ## Step it
#
# One step is one month. `step()` runs one, `run_for(n)` runs `n`, and
# `run_model()` runs to the horizon (`run.steps`), where `model.running`
# turns False, as Mesa's models do.

# %%
model.step()
model.run_for(11)
print("after a year: month", model.month, "| running:", model.running)

# %% [markdown]
# ## Read the agents
#
# The agents' state lives in arrays the model owns (`model.workers`,
# `model.recruiters`, `model.employers`), one array per variable, so that
# each monthly stage acts on all agents at once. The Mesa agents are
# read-only views of those rows: `AgentSet.select`, `groupby`, `agg`,
# `len` and iteration work as usual, and always show the current month.
# The agents have no `step` of their own (the model's stages do the work),
# and their attributes cannot be set.

# %%
workers = model.agents_by_type[Worker]
abroad = workers.select(lambda w: w.abroad)
in_debt = abroad.select(lambda w: w.debt > 0)
print(f"{len(workers)} workers, {len(abroad)} abroad, {len(in_debt)} of them in debt")
print(f"mean debt of those in debt: {in_debt.agg('debt', np.mean):,.0f} USD")

recruiters = model.agents.select(agent_type=Recruiter)
by_kind = recruiters.groupby(type)
print({kind.__name__: count for kind, count in by_kind.count().items()})
print({kind.__name__: round(float(fee), 2) for kind, fee in by_kind.agg("fee_months", np.mean).items()},
      "(mean fee asked of workers, months of wage)")

# %% [markdown]
# The same numbers straight from the arrays, at numpy speed (this is how the
# model itself works):

# %%
w = model.workers
print(int((w.status == 1).sum()), "abroad;", int(((w.status == 1) & (w.debt > 0)).sum()), "of them in debt")

# %% [markdown]
# ## The DataCollector
#
# The model collects every outcome of `sim/model/outcomes.py` once a month,
# and the seed. `model.timeseries()` is the same table with the outcome
# columns only; `model.summary()` averages the last months.

# %%
model.run_model()  # the remaining 24 months
print("month", model.month, "| running:", model.running)
collected = model.datacollector.get_model_vars_dataframe()
print(collected[["step", "placements", "mean_fee_months", "debt_bondage_share", "seed"]].tail(3))
print({k: round(v, 3) for k, v in model.summary().items() if k in ("mean_fee_months", "certified_share")})

# %% [markdown]
# ## A batch with `mesa.batch_run`
#
# Two levers, two values each, two seeds. Mesa passes every parameter to the
# model's constructor, so levers are named as above. Give the seeds
# explicitly: every row then records its seed, and running the batch again
# gives the same table. (Mesa 3.5 takes them as `rng=[...]`; Mesa 3.3 as a
# parameter. With `iterations=n` instead, each run draws a fresh seed, still
# recorded in the `seed` column.)

# %%
parameters = {"policy__fee_cap_months": [None, 0], "policy__inspection_rate": [0.0, 0.2], **SMALL}
seeds = [0, 1]
if "rng" in inspect.signature(mesa.batch_run).parameters:
    seeding = {"rng": seeds}
else:
    parameters["rng"] = seeds
    seeding = {}
rows = mesa.batch_run(RecruitmentModel, parameters=parameters, max_steps=1000, number_processes=1,
                      data_collection_period=1, display_progress=False, **seeding)
batch = pd.DataFrame(rows)
print(len(batch), "rows:", batch["seed"].nunique(), "seeds,", batch["step"].max(), "months")

# %% [markdown]
# ## Plot the batch
#
# Mean fee paid by the workers placed each month, averaged over seeds, one
# line per regime.

# %%
batch["fee rule"] = batch["policy__fee_cap_months"].map(lambda v: "none" if v is None or pd.isna(v) else "ban")
regimes = batch.groupby(["fee rule", "policy__inspection_rate", "step"])["mean_fee_months"].mean()
fig, ax = plt.subplots(figsize=(7, 4))
for (rule, rate), line in regimes.groupby(level=[0, 1]):
    ax.plot(line.index.get_level_values("step"), line.to_numpy(), label=f"fee rule: {rule}, inspections {rate:g}/month")
ax.set_xlabel("month")
ax.set_ylabel("mean fee paid (months of wage)")
ax.legend(frameon=False)
fig.tight_layout()
figure = OUT / "batch_mean_fee.png"
fig.savefig(figure, dpi=100)
plt.close(fig)
print("figure:", figure)
