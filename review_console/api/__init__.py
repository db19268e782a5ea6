"""The JSON API under ``/api``: one router per resource (``routes`` mounts them), models in ``models``."""
