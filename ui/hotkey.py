"""An optional global push-to-talk key on X11 (XGrabKey through ctypes on libX11).

Only X11 lets an application grab a key for the whole desktop. On Wayland (and offscreen) `register`
says why it is unavailable and nothing happens; see docs/ui.md. The grab uses its own X connection,
watched with a QSocketNotifier, so Qt's own connection is untouched.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import itertools
from typing import Any

from PySide6.QtCore import QObject, QSocketNotifier, Signal
from PySide6.QtGui import QGuiApplication, QKeySequence

_KEY_PRESS, _KEY_RELEASE = 2, 3
_SHIFT, _LOCK, _CONTROL, _MOD1, _MOD2, _MOD4 = 1, 2, 4, 8, 16, 64
_GRAB_MODE_ASYNC = 1
#: Qt modifier names -> X modifier masks
_MODIFIERS = {"Ctrl": _CONTROL, "Alt": _MOD1, "Shift": _SHIFT, "Meta": _MOD4}
#: Qt key names that differ from X keysym names
_KEYSYMS = {
    "Space": "space",
    "ScrollLock": "Scroll_Lock",
    "PgUp": "Prior",
    "PgDown": "Next",
    "Ins": "Insert",
    "Del": "Delete",
    "Esc": "Escape",
    "Return": "Return",
    "Enter": "Return",
    "Backspace": "BackSpace",
    "CapsLock": "Caps_Lock",
    "NumLock": "Num_Lock",
    "Print": "Print",
}


class _XKeyEvent(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("serial", ctypes.c_ulong),
        ("send_event", ctypes.c_int),
        ("display", ctypes.c_void_p),
        ("window", ctypes.c_ulong),
        ("root", ctypes.c_ulong),
        ("subwindow", ctypes.c_ulong),
        ("time", ctypes.c_ulong),
        ("x", ctypes.c_int),
        ("y", ctypes.c_int),
        ("x_root", ctypes.c_int),
        ("y_root", ctypes.c_int),
        ("state", ctypes.c_uint),
        ("keycode", ctypes.c_uint),
        ("same_screen", ctypes.c_int),
    ]


class _XEvent(ctypes.Union):
    _fields_ = [("type", ctypes.c_int), ("xkey", _XKeyEvent), ("pad", ctypes.c_long * 24)]


_ErrorHandler = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)


def parse_hotkey(text: str) -> tuple[int, str] | None:
    """Parse a Qt key text ("Ctrl+Alt+Space") to (X modifier mask, X keysym name); None when not one key."""
    parts = [p for p in text.split("+") if p] if text != "+" else ["+"]
    if not parts:
        return None
    *mods, key = parts
    mask = 0
    for mod in mods:
        if mod not in _MODIFIERS:
            return None
        mask |= _MODIFIERS[mod]
    return mask, _KEYSYMS.get(key, key)


def _switches_console(mask: int, keysym: str) -> bool:
    """Whether X (XKB) turns this combination into a console switch, so it never reaches a grab."""
    return mask & (_CONTROL | _MOD1) == _CONTROL | _MOD1 and keysym in {f"F{n}" for n in range(1, 13)}


def _load_x11() -> Any:
    name = ctypes.util.find_library("X11")
    if name is None:
        return None
    lib = ctypes.CDLL(name)
    lib.XOpenDisplay.restype = ctypes.c_void_p
    lib.XOpenDisplay.argtypes = [ctypes.c_char_p]
    lib.XDefaultRootWindow.restype = ctypes.c_ulong
    lib.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
    lib.XStringToKeysym.restype = ctypes.c_ulong
    lib.XStringToKeysym.argtypes = [ctypes.c_char_p]
    lib.XKeysymToKeycode.restype = ctypes.c_ubyte
    lib.XKeysymToKeycode.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
    c_int, c_uint, c_ulong = ctypes.c_int, ctypes.c_uint, ctypes.c_ulong
    lib.XGrabKey.argtypes = [ctypes.c_void_p, c_int, c_uint, c_ulong, c_int, c_int, c_int]
    lib.XUngrabKey.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_uint, ctypes.c_ulong]
    lib.XSync.argtypes = [ctypes.c_void_p, ctypes.c_int]
    lib.XPending.argtypes = [ctypes.c_void_p]
    lib.XNextEvent.argtypes = [ctypes.c_void_p, ctypes.POINTER(_XEvent)]
    lib.XConnectionNumber.argtypes = [ctypes.c_void_p]
    lib.XCloseDisplay.argtypes = [ctypes.c_void_p]
    lib.XSetErrorHandler.restype = ctypes.c_void_p
    lib.XSetErrorHandler.argtypes = [ctypes.c_void_p]
    lib.XkbSetDetectableAutoRepeat.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p]
    return lib


class GlobalHotkey(QObject):
    """Emits `pressed`/`released` for one key combination, from anywhere on an X11 desktop."""

    pressed = Signal()
    released = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lib: Any = None
        self._display: int | None = None
        self._grabs: list[tuple[int, int]] = []
        self._notifier: QSocketNotifier | None = None
        self._held = False
        self.key = ""

    @property
    def active(self) -> bool:
        """Whether a key is grabbed now."""
        return bool(self._grabs)

    def register(self, key: str) -> str | None:
        """Grab `key` (empty: release any grab); returns why it cannot be used, or None when it works."""
        self.unregister()
        if not key:
            return None
        platform = QGuiApplication.platformName()
        if platform != "xcb":
            return self.tr("a global key needs an X11 desktop (this one is {platform})").format(platform=platform)
        parsed = parse_hotkey(QKeySequence(key).toString())
        if parsed is None:
            return self.tr("{key} is not a single key with Ctrl/Alt/Shift/Meta").format(key=key)
        if _switches_console(*parsed):
            return self.tr("Ctrl+Alt+F1…F12 switch consoles; the desktop never passes them on")
        if self._lib is None:
            self._lib = _load_x11()
            if self._lib is None:
                return self.tr("libX11 is not installed")
        lib = self._lib
        if self._display is None:
            self._display = lib.XOpenDisplay(None)
            if not self._display:
                self._display = None
                return self.tr("cannot connect to the X display")
            lib.XkbSetDetectableAutoRepeat(self._display, 1, None)  # held keys do not repeat releases
        mask, keysym_name = parsed
        keycode = lib.XKeysymToKeycode(self._display, lib.XStringToKeysym(keysym_name.encode()))
        if not keycode:
            return self.tr("{key} is not on this keyboard").format(key=key)
        failed = []

        def record_error(_display: int, _event: int) -> int:
            failed.append(True)  # BadAccess: another program holds this key
            return 0

        on_error = _ErrorHandler(record_error)

        previous = lib.XSetErrorHandler(ctypes.cast(on_error, ctypes.c_void_p))
        root = lib.XDefaultRootWindow(self._display)
        # the same key with Caps Lock and/or Num Lock on is a different X combination
        for extra in itertools.product((0, _LOCK), (0, _MOD2)):
            modifiers = mask | extra[0] | extra[1]
            lib.XGrabKey(self._display, keycode, modifiers, root, 1, _GRAB_MODE_ASYNC, _GRAB_MODE_ASYNC)
            self._grabs.append((keycode, modifiers))
        lib.XSync(self._display, 0)
        lib.XSetErrorHandler(previous)
        if failed:
            self.unregister()
            return self.tr("another program already uses {key}").format(key=key)
        self.key = key
        self._notifier = QSocketNotifier(lib.XConnectionNumber(self._display), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._read_events)
        return None

    def _read_events(self) -> None:
        lib, event = self._lib, _XEvent()
        while self._display is not None and lib.XPending(self._display):
            lib.XNextEvent(self._display, ctypes.byref(event))
            if event.type == _KEY_PRESS and not self._held:
                self._held = True
                self.pressed.emit()
            elif event.type == _KEY_RELEASE and self._held:
                self._held = False
                self.released.emit()

    def unregister(self) -> None:
        """Release the grab (and the X connection)."""
        if self._notifier is not None:
            self._notifier.setEnabled(False)
            self._notifier.deleteLater()
            self._notifier = None
        if self._display is not None:
            root = self._lib.XDefaultRootWindow(self._display)
            for keycode, modifiers in self._grabs:
                self._lib.XUngrabKey(self._display, keycode, modifiers, root)
            self._lib.XCloseDisplay(self._display)
            self._display = None
        self._grabs = []
        self._held = False
        self.key = ""
