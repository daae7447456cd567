"""Job control: start, retry, cancel and follow flow runs (DESIGN.md section 1).

It sits above ``flows`` and below the dashboard and the CLI, which both use it.
:mod:`jobs.control` is the interface; :mod:`jobs.embedded` (background processes
supervised by :mod:`jobs.runner`) and :mod:`jobs.on_prefect` (flow runs of the
deployments on a Prefect server) are its two backends; :mod:`jobs.base` holds what
they share (flow specs, the cancel rule, stopping a process tree).
"""
