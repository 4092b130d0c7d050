"""Builders and the in-process fake chat for the tests."""
