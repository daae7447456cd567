"""playback package."""
