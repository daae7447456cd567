"""Playlists as files and lists: the formats medialake reads and writes (M3U/M3U8,
PLS, XSPF, JSPF), matching an entry to a server's track, and remote lists yt-dlp reads.

Pure code: no Prefect, no DuckDB. The warehouse keeps the state (migration 014), the
tasks join it to the media-server engine.
"""
