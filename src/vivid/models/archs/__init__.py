"""Neural network architectures (torch). Each module defines one family; the registry points at it."""
