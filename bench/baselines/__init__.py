"""The two baselines the benchmark compares Estaminet with: bare websockets and python-socketio."""
