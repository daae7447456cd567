"""The Plex Media Server client, through ``plexapi``: settings, transport, parsing,
extraction for ``library_sync``, playlists, play history and metadata writeback."""
