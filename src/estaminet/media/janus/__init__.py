"""Janus for crowded voice rooms: an HTTP API client, AudioBridge rooms behind tokens, a supervisor.

The voice service sees only :class:`estaminet.media.crowd.CrowdVoice`;
:func:`janus_runtime` builds the Janus one from the settings.
"""

from estaminet.media.janus.audiobridge import JanusCrowd
from estaminet.media.janus.runtime import JanusRuntime, janus_public_url, janus_runtime
from estaminet.media.janus.videoroom import JanusStage

__all__ = ["JanusCrowd", "JanusRuntime", "JanusStage", "janus_public_url", "janus_runtime"]
