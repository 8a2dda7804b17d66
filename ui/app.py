"""`sova gui`: the Qt application on a qasync event loop, wiring the window, tray, settings and engine.

The UI never imports `app/`: the composition root (app/commands/gui.py) hands in a `Wiring` with the
files and builders it needs.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from PySide6.QtCore import QCoreApplication, QObject, QUrl
from PySide6.QtGui import QDesktopServices, QIcon
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox
from qasync import QEventLoop

from engine.assistant import Assistant
from engine.config import SovaConfig, UiSection
from engine.errors import SovaError
from ui.actions import AppActions
from ui.audio import open_sink
from ui.bridge import EngineBridge, SinkFactory, SourceFactory, microphone_source
from ui.hotkey import GlobalHotkey
from ui.i18n import Translations, resolve_language, system_locale_name
from ui.main_window import MainWindow
from ui.qt_compat import guard_emit_refcount_leak
from ui.settings_dialog import SettingsDialog
from ui.settings_model import Choices, needs_restart
from ui.tray import SovaTray
from ui.widgets.quick_query import QuickQuery
from ui.widgets.sizing import bring_to_front

log = logging.getLogger(__name__)

AssistantFactory = Callable[[SovaConfig], Assistant]
ChoicesFactory = Callable[[SovaConfig], Choices]
T = TypeVar("T")


@dataclass(frozen=True)
class Wiring:
    """What the composition root hands the window: the user's files, resources, and builders."""

    user_file: Path  # the user's config.toml, which the settings dialog edits
    default_file: Path  # the repo's config.toml (the defaults)
    icon_file: Path
    assistant_factory: AssistantFactory  # a new, unstarted assistant for a config
    list_choices: ChoicesFactory  # the installed models, voices and personas the settings may offer


def _resolve(future: asyncio.Future[T], value: T) -> None:
    if not future.done():
        future.set_result(value)


class SovaApp(QObject):
    """Everything the desktop app is made of, and its lifecycle (`main`)."""

    def __init__(
        self,
        config: SovaConfig,
        qapp: QApplication,
        wiring: Wiring,
        *,
        sink_factory: SinkFactory = open_sink,
        source_factory: SourceFactory = microphone_source,
    ) -> None:
        super().__init__()
        self.config = config
        self.qapp = qapp
        self.wiring = wiring
        self._assistant_factory = wiring.assistant_factory
        self.exit_code = 0
        self._quit: asyncio.Future[None] | None = None
        self._told_tray = False
        self.settings_dialog: SettingsDialog | None = None
        self.failure_box: QMessageBox | None = None
        self._restart: asyncio.Future[None] | None = None

        self.translations = Translations(qapp)
        self.translations.apply(resolve_language(config.app.ui_language, system_locale_name()))
        self.icon = QIcon(str(wiring.icon_file))
        self.bridge = EngineBridge(config, sink_factory=sink_factory, source_factory=source_factory, parent=self)
        self.actions = AppActions(self)
        self.window = MainWindow(self.bridge, self.actions)
        self.window.setWindowIcon(self.icon)
        self.quick = QuickQuery(self.bridge)
        self.quick.setWindowIcon(self.icon)
        self.tray = SovaTray(self.actions, self.icon, self)
        self.hotkey = GlobalHotkey(self)
        self.hotkey.pressed.connect(self.bridge.begin_recording)
        self.hotkey.released.connect(self.bridge.end_recording)

        self.actions.new_conversation.triggered.connect(self.new_conversation)
        self.actions.quick_query.triggered.connect(self.quick.popup)
        self.actions.settings.triggered.connect(self.open_settings)
        self.actions.stop.triggered.connect(self.bridge.interrupt)
        self.actions.mute.toggled.connect(self.bridge.set_muted)
        self.actions.show_hide.triggered.connect(self.toggle_window)
        self.actions.quit.triggered.connect(self.request_quit)
        self.window.close_requested.connect(self._on_close_requested)
        self.translations.changed.connect(self._retranslate)
        self._apply_ui(config.ui)
        if not self.tray.available:
            self.window.show_status_message(self.no_tray_message())

    # -- lifecycle ---------------------------------------------------------------------------------

    async def main(self) -> int:
        """Show the window, load the models, run until Quit; returns the exit status."""
        self._quit = asyncio.get_running_loop().create_future()
        self.window.show()
        start = asyncio.ensure_future(self.start_engine())
        await asyncio.wait([start, self._quit], return_when=asyncio.FIRST_COMPLETED)  # type: ignore[type-var]
        if await start:  # a quit during loading waits for the load (its threads cannot be stopped)
            await self._quit
        await self.shutdown()
        return self.exit_code

    async def start_engine(self) -> bool:
        """Load the models; on failure show why, offering the settings; False when the user quits."""
        while True:
            try:
                await self.bridge.start(self._assistant_factory(self.config))
                return True
            except SovaError as exc:
                log.warning("cannot start: %s", exc)
                if self._quit is not None and self._quit.done():
                    return False
                if not await self._start_failed(exc):
                    self.exit_code = exc.exit_code
                    return False

    async def _start_failed(self, exc: SovaError) -> bool:
        """Show the error in a dialog; True when the user saved new settings (try again)."""
        box = QMessageBox(QMessageBox.Icon.Critical, self.tr("Sova cannot start"), exc.message, parent=self.window)
        if exc.hint:
            box.setInformativeText(self.tr("What to do: {hint}").format(hint=exc.hint))
        settings = box.addButton(self.tr("Open settings…"), QMessageBox.ButtonRole.AcceptRole)
        box.addButton(self.tr("Quit"), QMessageBox.ButtonRole.RejectRole)
        self.failure_box = box
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        box.finished.connect(lambda _result: _resolve(done, None))
        box.open()
        await done
        self.failure_box = None
        if box.clickedButton() is not settings:
            return False
        dialog = self.open_settings()
        saved: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        dialog.finished.connect(lambda result: _resolve(saved, result == QDialog.DialogCode.Accepted.value))
        return await saved

    def request_quit(self) -> None:
        """End `main` (Quit in the menu or tray, Ctrl+Q, SIGINT, closing the window without a tray)."""
        if self._quit is not None and not self._quit.done():
            self._quit.set_result(None)

    async def shutdown(self) -> None:
        """Release the key grab, the tray icon, the windows and the models."""
        self.hotkey.unregister()
        self.tray.dispose()
        self.quick.hide()
        self.window.dispose()
        self.window.hide()
        await self.bridge.close()

    # -- commands ----------------------------------------------------------------------------------

    def new_conversation(self) -> None:
        """Start a fresh conversation."""
        self.bridge.new_conversation()
        self.window.chat.clear()

    def toggle_window(self) -> None:
        """Show (and raise) the window, or hide it when it is shown."""
        if self.window.isVisible() and not self.window.isMinimized():
            self.window.hide()
        else:
            self.window.showNormal()
            bring_to_front(self.window)

    def open_settings(self) -> SettingsDialog:
        """Open the settings dialog (not modal to the loop: the engine keeps running)."""
        dialog = SettingsDialog(
            self.config,
            self.wiring.list_choices(self.config),
            user_file=self.wiring.user_file,
            default_file=self.wiring.default_file,
            parent=self.window,
        )
        dialog.saved.connect(self.apply_settings)
        self.settings_dialog = dialog
        dialog.open()
        return dialog

    def apply_settings(self, config: SovaConfig) -> None:
        """Use saved settings now: language, keys and devices at once; new models by reloading them."""
        old, self.config = self.config, config
        self.bridge.config = config
        self.translations.apply(resolve_language(config.app.ui_language, system_locale_name()))
        self._apply_ui(config.ui)
        if self.bridge.ready and needs_restart(old, config):
            self._restart = asyncio.ensure_future(self._restart_engine())

    async def _restart_engine(self) -> None:
        try:
            await self.bridge.restart(self._assistant_factory(self.config))
        except SovaError as exc:
            if not await self._start_failed(exc):
                self.request_quit()
            else:
                await self.start_engine()

    def _apply_ui(self, ui: UiSection) -> None:
        self.window.set_hold_key(ui.hold_key)
        self.quick.speak.setChecked(ui.speak_quick_answers)
        reason = self.hotkey.register(ui.global_hotkey)
        if reason:
            self.window.show_status_message(self.tr("The global key is off: {reason}").format(reason=reason))

    # -- messages ----------------------------------------------------------------------------------

    def no_tray_message(self) -> str:
        """Return what the status bar says once where there is no system tray."""
        return self.tr(
            "This desktop has no system tray: Sova quits when its window closes; "
            "quick questions are in the Sova menu (Ctrl+K)."
        )

    def _on_close_requested(self) -> None:
        if not self.tray.available:
            self.request_quit()
            return
        self.window.hide()
        if not self._told_tray:
            self._told_tray = True
            self.tray.notify(self.tr("Sova"), self.tr("Sova keeps running in the tray; use Quit in its menu to leave."))

    def _retranslate(self, _language: str) -> None:
        self.actions.retranslate()
        self.tray.retranslate()


def show_startup_error(error: SovaError, config_file: Path | None = None) -> int:
    """Show why Sova cannot start (e.g. an invalid config) in a dialog; returns the error's exit status.

    For `sova gui` started from a desktop menu, where nobody reads stderr.
    """
    existing = QApplication.instance()
    qapp = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    guard_emit_refcount_leak()
    translations = Translations(qapp)
    translations.apply(resolve_language("system", system_locale_name()))

    # explicit contexts, which pyside6-lupdate reads: the texts are SovaApp's
    title = QCoreApplication.translate("SovaApp", "Sova cannot start")
    box = QMessageBox(QMessageBox.Icon.Critical, title, error.message)
    if error.hint:
        box.setInformativeText(QCoreApplication.translate("SovaApp", "What to do: {hint}").format(hint=error.hint))
    edit = None
    if config_file is not None and config_file.exists():
        label = QCoreApplication.translate("SovaApp", "Open the configuration file")
        edit = box.addButton(label, QMessageBox.ButtonRole.ActionRole)
    box.addButton(QMessageBox.StandardButton.Close)
    box.exec()
    if edit is not None and box.clickedButton() is edit:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(config_file)))
    translations.deleteLater()
    return error.exit_code


def run(config: SovaConfig, wiring: Wiring) -> int:
    """Run the desktop app until the user quits; returns the process exit status."""
    existing = QApplication.instance()
    qapp = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    qapp.setApplicationName("Sova")
    qapp.setOrganizationName("sova")
    qapp.setDesktopFileName("sova")
    qapp.setQuitOnLastWindowClosed(False)  # the tray keeps Sova running; `main` decides when to quit
    guard_emit_refcount_leak()
    loop = QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    try:
        sova = SovaApp(config, qapp, wiring)
        qapp.setWindowIcon(sova.icon)
        try:
            loop.add_signal_handler(signal.SIGINT, sova.request_quit)
            loop.add_signal_handler(signal.SIGTERM, sova.request_quit)
        except (NotImplementedError, RuntimeError):  # not on this platform: Ctrl+C then kills the process
            pass
        with loop:  # closes the loop (and its executor threads) at exit: Qt warns otherwise
            code: int = loop.run_until_complete(sova.main())
            return code
    finally:
        asyncio.set_event_loop(None)
