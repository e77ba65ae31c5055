"""Nothing is lost when the process dies: a real subprocess is killed with SIGKILL after deciding
(before sending), and while sending; a restarted process delivers each alert, once per channel."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from monitor.alerts.engine import DeliveryPolicy, deliver_pending
from monitor.alerts.rules import load_rules
from monitor.alerts.webhook_receiver import WebhookReceiver
from monitor.config import Settings
from storage.alerts import list_alerts
from storage.repository import Store
from tests.monitor.act_helpers import add_story, extraction

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
CHILD = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from monitor.alerts.engine import evaluate, deliver_pending
    from monitor.alerts.rules import load_rules
    from monitor.config import Settings
    from storage.repository import Store
    db, rules_path, data_dir, step = sys.argv[1:5]
    store, rules = Store(db), load_rules(rules_path, ["127.0.0.1"])
    print("decided", evaluate(store, rules), flush=True)
    if step == "send":
        deliver_pending(store, Settings(db_url=db, data_dir=Path(data_dir), webhook_allowed_hosts=["127.0.0.1"]),
                    rules=rules)
    time.sleep(600)  # killed here (after deciding) or inside deliver_pending (while sending)
""")


def _rules(tmp_path: Path, hook_url: str) -> Path:
    path = tmp_path / "rules.toml"
    path.write_text(f'[channels.hook]\ntype = "webhook"\nurl = "{hook_url}"\nsign = false\n\n'
                    '[[rules]]\nname = "kr"\nsubject = "incident"\nchannels = ["jsonl", "hook"]\n'
                    '[rules.when]\nincident_types = ["kidnapping"]\nvictim_nationality = "KR"\n',
                    encoding="utf-8")
    return path


def _start_child(db_url: str, rules: Path, data_dir: Path, step: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", CHILD, db_url, str(rules), str(data_dir), step], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline() if proc.stdout else ""
    assert line.startswith("decided ["), (line, proc.stderr.read() if proc.stderr else "")
    return proc


def _kill(proc: subprocess.Popen[str]) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait(timeout=10) == -signal.SIGKILL


def test_killed_after_deciding_then_restart_delivers(db_url: str, tmp_path: Path) -> None:
    store = Store(db_url)
    add_story(store, title="Korean held", data=extraction(["kidnapping"]), docs=4, when=datetime.now(UTC))
    with WebhookReceiver() as receiver:
        rules = _rules(tmp_path, receiver.url)
        _kill(_start_child(db_url, rules, tmp_path, "decide"))
        assert {a["status"] for a in list_alerts(store)} == {"pending"}  # the decision survived the kill
        env = {**os.environ, "DESKWATCH_DATA_DIR": str(tmp_path), "DESKWATCH_WEBHOOK_ALLOWED_HOSTS": "127.0.0.1"}
        out = subprocess.run([sys.executable, "-m", "cli", "--db", db_url, "alerts", "--rules", str(rules),
                              "--json"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
        assert out.returncode == 0, out.stderr
        assert json.loads(out.stdout) | {"errors": []} == {"enqueued": 0, "attempted": 2, "sent": 2, "retrying": 0,
                                                           "failed": 0, "errors": []}
    assert len(receiver.requests) == 1
    assert len((tmp_path / "alerts.jsonl").read_text(encoding="utf-8").splitlines()) == 1
    assert {a["status"] for a in list_alerts(store)} == {"sent"}
    store.close()


class _Hanging:
    """A webhook receiver that accepts the POST and never answers (the sender is killed meanwhile)."""

    def __init__(self) -> None:
        self.got = threading.Event()
        release = self.release = threading.Event()
        got = self.got

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                got.set()
                release.wait(30)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def test_killed_while_sending_is_sent_after_the_lease(db_url: str, tmp_path: Path) -> None:
    store = Store(db_url)
    add_story(store, title="Korean detained", data=extraction(["kidnapping"]), when=datetime.now(UTC))
    hanging = _Hanging()
    try:
        rules_path = _rules(tmp_path, hanging.url)
        child = _start_child(db_url, rules_path, tmp_path, "send")
        assert hanging.got.wait(60), "the child never reached the webhook"
        _kill(child)
    finally:
        hanging.close()
    rows = {a["channel"]: a for a in list_alerts(store)}
    assert rows["hook"]["status"] == "pending" and rows["jsonl"]["status"] == "sent"
    with WebhookReceiver() as receiver:
        rules = load_rules(_rules(tmp_path, receiver.url), ["127.0.0.1"])
        settings = Settings(db_url=db_url, data_dir=tmp_path, webhook_allowed_hosts=["127.0.0.1"])
        assert deliver_pending(store, settings, rules=rules).attempted == 0  # still leased to the dead sender
        report = deliver_pending(store, settings, rules=rules, policy=DeliveryPolicy(),
                                 now=datetime.now(UTC) + timedelta(minutes=6))
    assert report.sent == 1 and len(receiver.requests) == 1
    assert {a["status"] for a in list_alerts(store)} == {"sent"}
    store.close()
