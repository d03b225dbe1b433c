"""Architectures, classical enhancers, their typed descriptors and the model registry."""
