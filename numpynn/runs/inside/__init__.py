"""Inside the network: plain-word diagnoses from ``LayerStats``, their figures and the report section."""
