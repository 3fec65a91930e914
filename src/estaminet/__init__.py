"""Estaminet: a self-hosted web venue for community associations."""

__all__ = ["__version__"]

__version__ = "0.1.0"
