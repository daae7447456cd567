"""Tests of watch sessions."""
