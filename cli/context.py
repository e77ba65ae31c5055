"""What every CLI command shares: settings and the store, built once per invocation from --db/--config."""
from __future__ import annotations

import sys
from dataclasses import dataclass, field

import click

from monitor.config import Settings, load_settings
from storage.repository import Store


@dataclass
class AppContext:
    db_url: str | None = None
    config_path: str | None = None
    _settings: Settings | None = field(default=None, repr=False)
    _store: Store | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config_path, overrides={"db_url": self.db_url})
        return self._settings

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store(self.settings.db_url)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


pass_app = click.make_pass_decorator(AppContext, ensure=True)


def fail(command: str, message: str) -> None:
    """A user's mistake: the message on stderr and exit code 2, like click's own usage errors."""
    click.echo(f"deskwatch {command}: {message}", err=True)
    sys.exit(2)
