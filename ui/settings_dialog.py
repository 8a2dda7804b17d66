"""The settings dialog: devices, languages, voices, models, persona and keys, saved to the user's config.

Nothing is written until the whole merged config validates; a refused value is highlighted and the
reason shown, and the dialog stays open.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QKeySequenceEdit,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from engine.config import SovaConfig
from engine.errors import ConfigError
from ui.audio import list_devices
from ui.main_window import hold_key_of
from ui.prefs import UiPrefs, save_prefs
from ui.settings_model import Choices, SettingsValues, problem_fields, save_settings
from ui.widgets.sizing import no_constraint

_INVALID = "border: 2px solid #e53935;"


def _combo(editable: bool, items: list[tuple[str, str]], current: str) -> QComboBox:
    """Build a combo of (shown text, value); the current value is added when it is not among the items."""
    combo = QComboBox()
    combo.setEditable(editable)
    for text, value in items:
        combo.addItem(text, value)
    index = combo.findData(current)
    if index < 0:
        combo.addItem(current, current)
        index = combo.count() - 1
    combo.setCurrentIndex(index)
    return combo


def combo_value(combo: QComboBox) -> str:
    """Return the value of a combo: the typed text of an editable one, else the item's data."""
    if combo.isEditable():
        index = combo.findText(combo.currentText())
        return str(combo.itemData(index)) if index >= 0 else combo.currentText().strip()
    return str(combo.currentData())


class SettingsDialog(QDialog):
    """Edits `config` + `prefs`; emits `saved(SovaConfig, UiPrefs)` after writing them."""

    saved = Signal(object, object)

    def __init__(
        self,
        config: SovaConfig,
        prefs: UiPrefs,
        choices: Choices,
        *,
        user_file: Path,
        default_file: Path,
        prefs_file: Path,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._current = SettingsValues.from_config(config)
        self._choices = choices
        self._user_file, self._default_file, self._prefs_file = user_file, default_file, prefs_file
        self._prefs = prefs
        cur = self._current

        default = ("", "")  # the "system default" entry; its text is set in retranslate()
        self.input_device = _combo(False, [default] + [(d, d) for d in list_devices("input")], cur.input_device)
        self.output_device = _combo(False, [default] + [(d, d) for d in list_devices("output")], cur.output_device)
        self.language = _combo(False, [("", "auto"), ("", "ru"), ("", "en")], cur.language)
        self.ui_language = _combo(False, [("", "system"), ("Русский", "ru"), ("English", "en")], cur.ui_language)
        self.voice_en = _combo(True, [(v, v) for v in choices.voices_en], cur.voice_en)
        self.voice_ru = _combo(True, [(v, v) for v in choices.voices_ru], cur.voice_ru)
        self.llm_primary = _combo(True, [(m, m) for m in choices.llms], cur.llm_primary)
        self.llm_lightweight = _combo(True, [(m, m) for m in choices.llms], cur.llm_lightweight)
        self.persona = _combo(True, [(p, p) for p in choices.personas], cur.persona)
        self.hold_key = QKeySequenceEdit(QKeySequence(prefs.hold_key))
        self.hold_key.setMaximumSequenceLength(1)
        self.global_hotkey = QKeySequenceEdit(QKeySequence(prefs.global_hotkey))
        self.global_hotkey.setMaximumSequenceLength(1)
        self.global_hotkey.setClearButtonEnabled(True)
        self.speak_quick = QCheckBox()
        self.speak_quick.setChecked(prefs.speak_quick_answers)

        self.fields: dict[str, QWidget] = {
            "input_device": self.input_device,
            "output_device": self.output_device,
            "language": self.language,
            "ui_language": self.ui_language,
            "voice_en": self.voice_en,
            "voice_ru": self.voice_ru,
            "llm_primary": self.llm_primary,
            "llm_lightweight": self.llm_lightweight,
            "persona": self.persona,
            "hold_key": self.hold_key,
            "global_hotkey": self.global_hotkey,
            "speak_quick": self.speak_quick,
        }
        self.labels = {name: QLabel() for name in self.fields}
        form = QFormLayout()
        for name, widget in self.fields.items():
            self.labels[name].setBuddy(widget)
            form.addRow(self.labels[name], widget)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #c62828;")
        self.error.hide()
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #6b7280; font-size: 11px;")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.note)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.retranslate()
        no_constraint(self, 560, 0)

    # -- values ------------------------------------------------------------------------------------

    def values(self) -> SettingsValues:
        """Return what the dialog shows now."""
        return SettingsValues(
            language=combo_value(self.language),
            ui_language=combo_value(self.ui_language),
            persona=combo_value(self.persona),
            input_device=combo_value(self.input_device),
            output_device=combo_value(self.output_device),
            voice_en=combo_value(self.voice_en),
            voice_ru=combo_value(self.voice_ru),
            llm_primary=combo_value(self.llm_primary),
            llm_lightweight=combo_value(self.llm_lightweight),
        )

    def prefs(self) -> UiPrefs:
        """Return the window preferences shown now."""
        return UiPrefs(
            hold_key=self.hold_key.keySequence().toString(),
            global_hotkey=self.global_hotkey.keySequence().toString(),
            speak_quick_answers=self.speak_quick.isChecked(),
        )

    # -- saving ------------------------------------------------------------------------------------

    def save(self) -> bool:
        """Validate and write; on a problem, highlight the fields and keep the dialog open."""
        self._mark(set(), [])
        prefs = self.prefs()
        if hold_key_of(prefs.hold_key) is None:
            self._mark({"hold_key"}, [self.tr("Hold key: press the one key to hold while you speak.")])
            return False
        try:
            config = save_settings(
                self.values(), self._current, self._choices, user_file=self._user_file, default_file=self._default_file
            )
        except ConfigError as exc:
            self._mark(problem_fields(exc.problems), exc.problems)
            return False
        try:
            save_prefs(self._prefs_file, prefs)
        except OSError as exc:
            reason = self.tr("Cannot write {path}: {reason}").format(path=self._prefs_file, reason=exc.strerror)
            self._mark(set(), [reason])
            return False
        self.saved.emit(config, prefs)
        self.accept()
        return True

    def invalid_fields(self) -> set[str]:
        """Return the fields highlighted as refused."""
        return {name for name, widget in self.fields.items() if widget.property("invalid")}

    def _mark(self, names: set[str], problems: list[str]) -> None:
        for name, widget in self.fields.items():
            bad = name in names
            widget.setProperty("invalid", bad)
            widget.setStyleSheet(_INVALID if bad else "")
        if problems:
            self.error.setText(self.tr("Not saved:") + "\n" + "\n".join(f"• {p}" for p in problems))
        self.error.setVisible(bool(problems))
        self.adjustSize()

    # -- Qt ----------------------------------------------------------------------------------------

    def retranslate(self) -> None:
        """Texts in the current language."""
        self.setWindowTitle(self.tr("Sova settings"))
        texts = {
            "input_device": self.tr("Microphone:"),
            "output_device": self.tr("Speaker:"),
            "language": self.tr("Spoken language:"),
            "ui_language": self.tr("Interface language:"),
            "voice_en": self.tr("English voice:"),
            "voice_ru": self.tr("Russian voice:"),
            "llm_primary": self.tr("Main language model:"),
            "llm_lightweight": self.tr("Lightweight language model:"),
            "persona": self.tr("Persona:"),
            "hold_key": self.tr("Hold-to-talk key:"),
            "global_hotkey": self.tr("Global push-to-talk key (X11):"),
            "speak_quick": self.tr("Quick questions:"),
        }
        for name, text in texts.items():
            self.labels[name].setText(text)
        for combo in (self.input_device, self.output_device):
            combo.setItemText(0, self.tr("System default"))
        for i, text in enumerate((self.tr("Automatic (Russian or English)"), self.tr("Russian"), self.tr("English"))):
            self.language.setItemText(i, text)
        self.ui_language.setItemText(0, self.tr("Follow the system"))
        self.speak_quick.setText(self.tr("Speak the answers aloud"))
        self.global_hotkey.setToolTip(self.tr("Works on X11 desktops only; leave empty to turn it off"))
        self.note.setText(
            self.tr("Saved to {path}. Changing a model, a voice or the persona reloads the models.").format(
                path=self._user_file
            )
        )

    def changeEvent(self, event: QEvent) -> None:
        """Re-read the texts when the interface language changes."""
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
