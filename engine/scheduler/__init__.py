"""Shares the compute device between stages (seed 3.1, 12): lanes, leases, policy."""
