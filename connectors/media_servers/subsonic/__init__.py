"""Navidrome, OpenSubsonic and plain Subsonic servers behind the server contract."""
