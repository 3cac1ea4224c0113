"""Training: the loop (``Trainer``), callbacks and checkpoints.

Sees a model only through the trainer's declared fields; imports ``nn``, ``data`` and below.
"""
