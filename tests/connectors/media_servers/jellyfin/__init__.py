"""Tests of the Jellyfin client against a fake Jellyfin held to the official spec."""
