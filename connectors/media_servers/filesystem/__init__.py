"""The filesystem "server": a folder (or several) of media files."""
