"""The sample product (a deterministic demo dataset) and its generator."""
