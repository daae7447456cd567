"""Download sources (dumb plugins) and the DownloadEngine that owns job state."""
