"""Disc rips: HandBrakeCLI scan/encode and a watcher for drives and a watch folder."""
