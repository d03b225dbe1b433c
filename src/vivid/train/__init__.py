"""Training pipeline: typed configs, data, loop with EMA, validation, checkpoints and logs."""
