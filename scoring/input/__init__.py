"""Reading a dataset folder against the data contract (SPEC §3).

The row models (:mod:`.records`) and the checks declared beside them (:mod:`.contract`) are
the contract; the modules here read the files (CSV, xlsx), execute that contract on every
reading path and hand the engine validated tables (:class:`.dataset.Dataset`).
"""
