"""Voice and media: browser-to-browser (mesh) signalling and the Janus adapter for crowded rooms."""
