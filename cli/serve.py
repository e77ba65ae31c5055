"""`deskwatch serve`: the analysts' web UI and JSON API (uvicorn over web.app.create_app)."""
from __future__ import annotations

import logging
import os
import sys
from functools import partial

import click

from cli.context import AppContext, pass_app

log = logging.getLogger(__name__)


def resolve_tokens(token_env: str, admin_token_env: str) -> tuple[str | None, str | None]:
    """The analyst and admin tokens from the named environment variables (secrets never come from flags)."""
    return os.environ.get(token_env) or None, os.environ.get(admin_token_env) or None


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind; non-loopback needs a token.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="TCP port.")
@click.option("--token-env", default="DESKWATCH_API_TOKEN", show_default=True,
              help="Environment variable holding the analyst (read-only) token.")
@click.option("--admin-token-env", default="DESKWATCH_ADMIN_TOKEN", show_default=True,
              help="Environment variable holding the admin token (may edit alert rules).")
@pass_app
def serve(app: AppContext, host: str, port: int, token_env: str, admin_token_env: str) -> None:
    """Serve the web UI and JSON API (/api, schema at /openapi.json). Binds 127.0.0.1 by default;
    binding any other address refuses to start unless a token is set in the environment."""
    import uvicorn

    from monitor.alerts.rules import load_rules
    from web.app import create_app
    from web.security import is_loopback_name

    token, admin_token = resolve_tokens(token_env, admin_token_env)
    settings = app.settings
    if settings.web_require_token and not (token or admin_token):
        click.echo(f"deskwatch serve: web_require_token is set, so even {host} needs a token; set ${token_env} "
                   f"(analyst) and/or ${admin_token_env} (admin)", err=True)
        sys.exit(2)
    if not is_loopback_name(host) and not (token or admin_token):
        click.echo(
            f"deskwatch serve: refusing to bind {host} without an API token; set ${token_env} "
            f"(analyst) and/or ${admin_token_env} (admin), or bind 127.0.0.1", err=True,
        )
        sys.exit(2)
    try:
        web_app = create_app(
            settings.db_url, token=token, admin_token=admin_token, timezone=settings.timezone,
            countries=settings.countries, rules_path=settings.rules_file,
            rules_loader=partial(load_rules, allowed_hosts=settings.webhook_allowed_hosts),
        )
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    mode = "token required" if (token or admin_token) else "loopback only, no token"
    click.echo(f"deskwatch web on http://{host}:{port}/ ({mode}); Ctrl-C to stop", err=True)
    uvicorn.run(web_app, host=host, port=port, server_header=False, log_level="warning")
