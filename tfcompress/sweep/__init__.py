"""Design-space sweeps: many variations of one recipe (a grid, or points an Optuna sampler picks),
each a normal run directory under ``SWEEP/trials/``, run by a local process pool or by Ray, with
stages shared through a cache, and one report across trials (Pareto fronts, best per constraint set)."""
