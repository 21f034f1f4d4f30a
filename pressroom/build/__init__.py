"""The build: validation, the task graph and its executors, the caches, and writing the outputs."""
