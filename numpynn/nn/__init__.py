"""The math of a network: layers, activations, initializers, losses, metrics, optimizers, schedules.

Knows nothing of data sets, runs or files. Imports only ``numpynn.kernels`` and the foundation modules.
"""
