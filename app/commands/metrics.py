"""`sova metrics`: the Prometheus metrics (seed 19's names, stage latencies, the scheduler's state).

A running Sova with `[metrics] http = true` is asked directly (http://127.0.0.1:<port>/metrics);
otherwise the snapshot the last session wrote (after every turn and at exit) is printed.
"""

from __future__ import annotations

import sys
import time
import urllib.error
import urllib.request

from app.paths import AppPaths
from engine.config import SovaConfig
from engine.errors import ErrorCode, SovaError
from engine.metrics import HTTP_HOST, Metrics

SNAPSHOT = "metrics.prom"


def _live(port: int) -> str | None:
    try:
        with urllib.request.urlopen(f"http://{HTTP_HOST}:{port}/metrics", timeout=2) as resp:
            body: bytes = resp.read()
            return body.decode("utf-8")
    except (urllib.error.URLError, OSError):
        return None


def run_metrics(config: SovaConfig, live: bool = False) -> int:
    """Print the metrics in the Prometheus text format; 0 on success."""
    if live or config.metrics.http:
        text = _live(config.metrics.port)
        if text is not None:
            sys.stdout.write(text)
            return 0
        if live:
            raise SovaError(
                f"no Sova is serving metrics on {HTTP_HOST}:{config.metrics.port}",
                code=ErrorCode.METRICS_UNREACHABLE,
                hint="start Sova with [metrics] http = true, or drop --live to print the last snapshot",
            )
    path = AppPaths.from_config(config).data_dir / SNAPSHOT
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        print(f"note: no session has written metrics yet ({path}); showing the empty set", file=sys.stderr)
        sys.stdout.write(Metrics().exposition())
        return 0
    except OSError as exc:
        raise SovaError(f"cannot read {path}: {exc.strerror or exc}") from exc
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(path.stat().st_mtime))
    sys.stdout.write(f"# snapshot of the last session, written {stamp} to {path}\n{text}")
    return 0
