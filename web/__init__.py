"""deskwatch's web UI and JSON API (FastAPI + Jinja2, server-rendered); build it with web.app.create_app."""
from __future__ import annotations

import logging

logging.getLogger(__name__).addHandler(logging.NullHandler())
