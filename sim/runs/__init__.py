"""The run machinery: running configs and keeping what they produce.

* :mod:`sim.runs.simulate`: one config in, its time series and summary out
  (:func:`simulate`), and a run with its files (:func:`run_from_config`);
* :mod:`sim.runs.files`: what one run writes, always atomically;
* :mod:`sim.runs.store`: the results store of a sweep (a Parquet part and a
  JSON record per run, keyed by the hash of the config and the model's code);
* :mod:`sim.runs.sweep`: what each job of ``recruitsim -m`` does;
* :mod:`sim.runs.collect`: a sweep's store as two tables;
* :mod:`sim.runs.tables`: a collected sweep read back as pandas tables.

It builds on :mod:`sim.config` and :mod:`sim.model`; nothing here parses a
command line.
"""
