"""Benchmarks: `./dev bench` (see README, "Benchmarks")."""
