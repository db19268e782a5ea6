"""JSON API under /api."""
