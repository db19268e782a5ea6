"""The HTML console: Jinja2 pages (htmx for live status), one module per resource, mounted by ``routes``."""
