"""connectors/media_servers package."""
