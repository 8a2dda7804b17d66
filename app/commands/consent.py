"""`sova consent grant URL | revoke URL | list`: which remote endpoints may receive (scrubbed) requests."""

from __future__ import annotations

import argparse
import sys

from app.paths import AppPaths
from engine.config import SovaConfig
from engine.privacy.consent import ConsentStore, consent_file, endpoint_of, is_loopback
from engine.privacy.guard import remote_roles


def consent_store(config: SovaConfig) -> ConsentStore:
    """The consent store of the configured data folder."""
    return ConsentStore(consent_file(AppPaths.from_config(config).data_dir))


def run_consent(config: SovaConfig, args: argparse.Namespace) -> int:
    """Grant, revoke or list endpoint consent; 0 on success, 1 when revoking what had none."""
    store = consent_store(config)
    action = args.consent_command
    if action == "grant":
        entry = store.grant(args.url)
        print(f"consent granted: {entry.endpoint} (since {entry.granted_at})")
        if is_loopback(args.url):
            print("note: a loopback endpoint needs no consent, only [privacy] allow_external = true")
        if not config.privacy.allow_external:
            print("note: [privacy] allow_external is false: nothing is sent until you set it to true", file=sys.stderr)
        return 0
    if action == "revoke":
        if store.revoke(args.url):
            print(f"consent revoked: {endpoint_of(args.url)}: nothing more is sent there")
            return 0
        print(f"{endpoint_of(args.url)} had no consent", file=sys.stderr)
        return 1
    entries = store.entries()
    if not entries:
        print("no endpoint has consent")
    for entry in entries:
        print(f"{entry.endpoint}  since {entry.granted_at}")
    for role, section in remote_roles(config):
        if is_loopback(section.base_url):
            state = "loopback, no consent needed"
        else:
            state = "consent given" if store.granted(section.base_url) else "NO consent: the local model answers"
        print(f"[llm.{role}] {section.base_url}: {state}")
    return 0
