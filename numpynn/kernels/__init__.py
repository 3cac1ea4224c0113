"""Kernels: the compute under the layers, with no knowledge of layers.

im2col and the Winograd transforms (convolutions as matrix products), the reusable workspace buffers, the
splitting of element-wise passes over the CPU's threads, and the opt-in process tuning
(``numpynn.configure_runtime``). Imports only the foundation modules (errors, utils, files).
"""
