"""Classical (non-learned) enhancers behind the same Restorer interface as learned models."""
