"""Benchmarks of imgbackup against reference servers and tools: ``python -m bench``."""
