"""Runs: the options of ``numpynn train``, the pipeline behind it, the run folder, its report and
figures, the "inside the network" diagnoses, and sweeps."""
