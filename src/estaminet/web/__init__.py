"""The web shell: templates, static files, middleware, page routes."""
