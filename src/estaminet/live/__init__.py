"""Placeholder; see the package's modules."""
