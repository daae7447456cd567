"""Tests of the Subsonic client against a real supysonic and local fault stubs."""
