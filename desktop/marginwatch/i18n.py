"""UI language: install the Qt translator for the language chosen in settings, or the system's.

The .qm files live inside the package (marginwatch/i18n/), so source checkouts, wheels and frozen
bundles find them the same way. English is the source language: it needs no translator.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

log = logging.getLogger(__name__)

LANGUAGES = ("system", "en", "zh_CN")  # what settings may hold
TRANSLATED = ("zh_CN",)  # languages with a .qm next to this module
ENV_VAR = "MARGINWATCH_LANG"  # overrides settings, for scripts and tests

_installed: list[QTranslator] = []


def translations_dir() -> Path:
    return Path(__file__).resolve().parent / "i18n"


def qm_path(language: str) -> Path:
    return translations_dir() / f"marginwatch_{language}.qm"


def resolve(language: str = "system", locale: QLocale | None = None) -> str:
    """The language to apply: "en" or one of TRANSLATED. "system" follows `locale` (default QLocale())."""
    if language in ("", "system"):
        locale = QLocale() if locale is None else locale  # the system's unless QLocale.setDefault() said else
        # The user's preferred UI language first (macOS/Windows may prefer one that differs from LANG).
        preferred = next(iter(locale.uiLanguages()), "") or locale.name()
        first = QLocale(preferred)
        # Any Chinese locale in simplified script (zh_CN, zh_SG, zh-Hans…) reads zh_CN best.
        if first.language() == QLocale.Language.Chinese and first.script() != QLocale.Script.TraditionalChineseScript:
            return "zh_CN"
        return "en"
    if language == "en" or language in TRANSLATED:
        return language
    log.warning("unknown UI language %r; using English", language)
    return "en"


def install_translator(app: QCoreApplication, language: str = "system") -> str:
    """Install the translator for `language` ("system", "en", "zh_CN") on `app`; return what was applied.

    $MARGINWATCH_LANG, when set, wins over `language`. Replaces any translator installed earlier by
    this function, so calling it again switches language (for widgets built afterwards).
    """
    language = os.environ.get(ENV_VAR) or language
    applied = resolve(language)
    for old in _installed:
        app.removeTranslator(old)
    _installed.clear()
    if applied == "en":
        return applied
    ours = QTranslator(app)
    if not ours.load(str(qm_path(applied))):
        log.warning("could not load the %s translation from %s; using English", applied, qm_path(applied))
        return "en"
    app.installTranslator(ours)
    _installed.append(ours)
    # Qt's own strings (standard dialog buttons, context menus of line edits) when Qt ships them.
    qt = QTranslator(app)
    if qt.load(QLocale(applied), "qtbase", "_", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
        app.installTranslator(qt)
        _installed.append(qt)
    return applied
