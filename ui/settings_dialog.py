"""The settings dialog: one editor per config key of `settings_model.FIELDS`, built from the schema.

Yes/no keys get a check box, Literal keys a list of exactly their values, key names a key editor,
devices, models, voices and personas a list of what is there; each tooltip is the key and its
schema description. Nothing is written until the whole merged config validates; a refused value is
outlined in red with the reason, and the dialog stays open.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
from ui.settings_model import FIELDS, SPECS, Choices, FieldSpec, Value, current_values, fields_named, save_settings
from ui.widgets.sizing import no_constraint

_INVALID = "border: 2px solid #e53935;"
#: text keys edited as a key press (QKeySequenceEdit) rather than typed
KEY_FIELDS = ("ui.hold_key", "ui.global_hotkey")
#: text keys picked from a sound device list; "" (the first entry) is the system default
DEVICE_FIELDS = {"audio.devices.input": "input", "audio.devices.output": "output"}


def _combo(editable: bool, items: Sequence[tuple[str, str]], current: str, max_length: int | None) -> QComboBox:
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
    line = combo.lineEdit()
    if line is not None and max_length is not None:
        line.setMaxLength(max_length)
    return combo


def combo_value(combo: QComboBox) -> str:
    """Return the value of a combo: the typed text of an editable one, else the item's data."""
    if combo.isEditable():
        index = combo.findText(combo.currentText())
        return str(combo.itemData(index)) if index >= 0 else combo.currentText().strip()
    return str(combo.currentData())


def widget_value(widget: QWidget) -> Value:
    """Return the value an editor of the dialog shows."""
    if isinstance(widget, QCheckBox):
        return widget.isChecked()
    if isinstance(widget, QKeySequenceEdit):
        return widget.keySequence().toString()
    if isinstance(widget, QComboBox):
        return combo_value(widget)
    raise TypeError(f"not an editor of the settings dialog: {type(widget).__name__}")


def choice_values(spec: FieldSpec) -> tuple[str, ...]:
    """A Literal's values as the dialog lists them: the default first, then the schema's order."""
    first = (str(spec.default),) if spec.default in spec.choices else ()
    return first + tuple(c for c in spec.choices if c not in first)


class SettingsDialog(QDialog):
    """Edits the keys of FIELDS in the user's config; emits `saved(SovaConfig)` after writing them."""

    saved = Signal(object)

    def __init__(
        self,
        config: SovaConfig,
        choices: Choices,
        *,
        user_file: Path,
        default_file: Path,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._current = current_values(config)
        self._choices = choices
        self._user_file, self._default_file = user_file, default_file
        installed = {
            "audio.tts.en": choices.voices_en,
            "audio.tts.ru": choices.voices_ru,
            "llm.primary.id": choices.llms,
            "llm.lightweight.id": choices.llms,
            "app.persona": choices.personas,
        }
        #: the editor of each config key, in FIELDS' order
        self.fields: dict[str, QWidget] = {key: self._editor(SPECS[key], installed) for key in FIELDS}
        self.labels = {key: QLabel() for key in self.fields}
        form = QFormLayout()
        for key, widget in self.fields.items():
            self.labels[key].setBuddy(widget)
            form.addRow(self.labels[key], widget)
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

    def _editor(self, spec: FieldSpec, installed: Mapping[str, tuple[str, ...]]) -> QWidget:
        current = self._current[spec.key]
        if spec.type is bool:
            box = QCheckBox()
            box.setChecked(bool(current))
            return box
        text = str(current)
        if spec.choices:  # the texts are set in retranslate()
            return _combo(False, [(c, c) for c in choice_values(spec)], text, None)
        if spec.key in KEY_FIELDS:
            edit = QKeySequenceEdit(QKeySequence(text))
            edit.setMaximumSequenceLength(1)
            edit.setClearButtonEnabled(spec.min_length == 0)  # a key that may be empty (off)
            return edit
        if spec.key in DEVICE_FIELDS:
            devices = list_devices(DEVICE_FIELDS[spec.key])
            return _combo(False, [("", ""), *((d, d) for d in devices)], text, None)
        if spec.key in installed:  # editable: an id can be typed for a model added by hand
            return _combo(True, [(v, v) for v in installed[spec.key]], text, spec.max_length)
        raise TypeError(f"{spec.key}: the settings dialog has no editor for it")

    # -- values ------------------------------------------------------------------------------------

    def values(self) -> dict[str, Value]:
        """Return what the dialog shows now, by config key."""
        return {key: widget_value(widget) for key, widget in self.fields.items()}

    # -- saving ------------------------------------------------------------------------------------

    def save(self) -> bool:
        """Validate and write; on a problem, highlight the fields and keep the dialog open."""
        self._mark(set(), [])
        values = self.values()
        if hold_key_of(str(values["ui.hold_key"])) is None:  # Qt's to judge: the schema cannot parse key names
            self._mark({"ui.hold_key"}, [self.tr("Hold key: press the one key to hold while you speak.")])
            return False
        try:
            config = save_settings(
                values, self._current, self._choices, user_file=self._user_file, default_file=self._default_file
            )
        except ConfigError as exc:
            self._mark(fields_named(exc.keys), exc.problems)
            return False
        except OSError as exc:
            reason = self.tr("Cannot write {path}: {reason}").format(path=self._user_file, reason=exc.strerror)
            self._mark(set(), [reason])
            return False
        self.saved.emit(config)
        self.accept()
        return True

    def invalid_fields(self) -> set[str]:
        """Return the config keys highlighted as refused."""
        return {key for key, widget in self.fields.items() if widget.property("invalid")}

    def _mark(self, keys: set[str], problems: list[str]) -> None:
        for key, widget in self.fields.items():
            bad = key in keys
            widget.setProperty("invalid", bad)
            widget.setStyleSheet(_INVALID if bad else "")
        if problems:
            self.error.setText(self.tr("Not saved:") + "\n" + "\n".join(f"• {p}" for p in problems))
        self.error.setVisible(bool(problems))
        self.adjustSize()

    # -- Qt ----------------------------------------------------------------------------------------

    def retranslate(self) -> None:
        """Texts in the current language (the tooltips are the schema's descriptions, in English)."""
        self.setWindowTitle(self.tr("Sova settings"))
        labels = {
            "audio.devices.input": self.tr("Microphone:"),
            "audio.devices.output": self.tr("Speaker:"),
            "app.language": self.tr("Spoken language:"),
            "app.ui_language": self.tr("Interface language:"),
            "audio.tts.en": self.tr("English voice:"),
            "audio.tts.ru": self.tr("Russian voice:"),
            "llm.primary.id": self.tr("Main language model:"),
            "llm.lightweight.id": self.tr("Lightweight language model:"),
            "app.persona": self.tr("Persona:"),
            "ui.hold_key": self.tr("Hold-to-talk key:"),
            "ui.global_hotkey": self.tr("Global push-to-talk key (X11):"),
            "ui.speak_quick_answers": self.tr("Quick questions:"),
        }
        choice_texts = {
            "app.language": {
                "auto": self.tr("Automatic (Russian or English)"),
                "ru": self.tr("Russian"),
                "en": self.tr("English"),
            },
            "app.ui_language": {"system": self.tr("Follow the system"), "ru": "Русский", "en": "English"},
        }
        check_texts = {"ui.speak_quick_answers": self.tr("Speak the answers aloud")}
        for key, widget in self.fields.items():
            self.labels[key].setText(labels.get(key, f"{key}:"))
            description = SPECS[key].description
            widget.setToolTip(f"{key}: {description}" if description else key)
            if isinstance(widget, QComboBox) and key in choice_texts:
                for value, text in choice_texts[key].items():
                    index = widget.findData(value)
                    if index >= 0:
                        widget.setItemText(index, text)
            elif isinstance(widget, QComboBox) and key in DEVICE_FIELDS:
                widget.setItemText(0, self.tr("System default"))
            elif isinstance(widget, QCheckBox):
                widget.setText(check_texts.get(key, ""))
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
