"""Training engine: folds, device handling, GPU-resident batches, the loop, checkpoints."""
