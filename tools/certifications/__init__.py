"""Certifications: the demo catalogue of types and the demo's certifications, and reading certification records
from files (CSV, JSON Lines, Open Badges) into the registry."""
