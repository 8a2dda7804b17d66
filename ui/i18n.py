"""The interface language: Russian or English, from the system locale or the settings, switchable live.

Installing a translator makes Qt send every widget a LanguageChange event; each widget re-reads its
texts in `changeEvent`, and non-widget objects (actions, the tray) follow `Translations.changed`.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QObject, QTranslator, Signal

TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"
SUPPORTED = ("en", "ru")


def resolve_language(setting: str, system_locale: str) -> str:
    """Choose the language to show: the setting when it names one, else the system locale's (ru or en)."""
    if setting in SUPPORTED:
        return setting
    return "ru" if system_locale.lower().startswith("ru") else "en"


def system_locale_name() -> str:
    """Return the system locale, e.g. 'ru_RU'."""
    return QLocale.system().name()


class Translations(QObject):
    """Owns the installed translators; `apply(lang)` switches the whole interface."""

    changed = Signal(str)

    def __init__(self, app: QCoreApplication) -> None:
        super().__init__(app)
        self._app = app
        self._installed: list[QTranslator] = []
        self.language = "en"  # the source strings are English: no translator needed

    def apply(self, language: str) -> bool:
        """Show the interface in `language`; False when its translation file is missing (stays English)."""
        if language not in SUPPORTED:
            raise ValueError(f"unsupported interface language {language!r}")
        for translator in self._installed:
            self._app.removeTranslator(translator)
        self._installed = []
        ok = True
        if language != "en":
            ours = QTranslator(self)
            ok = ours.load(str(TRANSLATIONS_DIR / f"sova_{language}.qm"))
            if ok:
                self._install(ours)
            # Qt's own strings (dialog buttons, context menus) from the Qt installation, when present
            qt_base = QTranslator(self)
            if qt_base.load(f"qtbase_{language}", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
                self._install(qt_base)
        self.language = language if ok else "en"
        self.changed.emit(self.language)
        return ok

    def _install(self, translator: QTranslator) -> None:
        self._app.installTranslator(translator)
        self._installed.append(translator)
