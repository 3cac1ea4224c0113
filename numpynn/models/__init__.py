"""Models: ``Sequential``, saving and loading, model specs (``--model``), inspection and gradient checks."""
