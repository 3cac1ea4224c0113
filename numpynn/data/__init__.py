"""Data: data set readers, leak-free preprocessing, the table encoder, dataset sources and raw inputs.

A sibling of ``numpynn.nn``: neither imports the other. Imports only the foundation modules.
"""
