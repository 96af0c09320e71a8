"""Playground pages, one module per playground (DESIGN.md §4)."""
