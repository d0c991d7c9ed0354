"""Background jobs every process runs: the scheduler and process presence (reaping)."""
