"""Real-time delivery: frames, the hub (memory | Redis), topics and the WebSocket gateway."""
