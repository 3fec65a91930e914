"""The delivery benchmark: Estaminet against two baselines (``python -m bench.delivery``)."""
