"""A hand-edited or damaged settings file: each unusable value reads as its default, said once, never a crash."""

from __future__ import annotations

import logging
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings

from marginwatch.core.alert_rules import AlertPolicy
from marginwatch.core.risk_tiers import TierThresholds
from marginwatch.services.settings import MAX_ACCOUNTS, AccountConfig, Language, Settings


def _open(ini: Path, text: str) -> Settings:
    ini.write_text(text)
    return Settings(QSettings(str(ini), QSettings.Format.IniFormat))


@pytest.fixture
def ini(tmp_path: Path) -> Path:
    return tmp_path / "MarginWatch.conf"


DEFAULT = AlertPolicy()

# (section, line, how to read the value back, its default, words the problem must hold)
POISONED: list[tuple[str, str, Any, Any, str]] = [
    ("alerts", "ratio_warning=NaN", lambda s: s.alert_policy().ratio.warning, DEFAULT.ratio.warning,
     "not a finite number"),
    ("alerts", "ratio_danger=inf", lambda s: s.alert_policy().ratio.danger, DEFAULT.ratio.danger,
     "not a finite number"),
    ("alerts", "distance_warning_pct=-Infinity", lambda s: s.alert_policy().distance_warning_pct,
     DEFAULT.distance_warning_pct, "not a finite number"),
    ("alerts", "ratio_warning=1.5", lambda s: s.alert_policy().ratio.warning, DEFAULT.ratio.warning, "outside"),
    ("alerts", "distance_danger_pct=0", lambda s: s.alert_policy().distance_danger_pct,
     DEFAULT.distance_danger_pct, "outside"),
    ("alerts", "cooldown_s=soon", lambda s: s.alert_policy().cooldown_s, DEFAULT.cooldown_s, "not a number"),
    ("alerts", "stream_down_after_s=1e9", lambda s: s.alert_policy().stream_down_after_s,
     DEFAULT.stream_down_after_s, "outside"),
    ("alerts", "ratio_hysteresis=0.1, 0.2", lambda s: s.alert_policy().ratio_hysteresis,
     DEFAULT.ratio_hysteresis, "expected text"),  # a bare comma makes QSettings read a list
    ("%General", "sound=maybe", lambda s: s.sound_enabled, True, "expected true or false"),
    ("%General", "start_minimised=NaN", lambda s: s.start_minimised, False, "expected true or false"),
    ("%General", "language=klingon", lambda s: s.language, Language.SYSTEM, "unknown language"),
]


@pytest.mark.parametrize(("section", "line", "read", "default", "words"), POISONED, ids=[p[1] for p in POISONED])
def test_a_poisoned_value_reads_as_its_default_with_one_warning(
    ini: Path, caplog: pytest.LogCaptureFixture, section: str, line: str, read: Any, default: Any, words: str
) -> None:
    with caplog.at_level(logging.WARNING, logger="marginwatch.services.settings"):
        s = _open(ini, f"[{section}]\n{line}\n")
        for _ in range(3):
            assert read(s) == default
        s.sound_enabled = True  # a write drops the parsed values: reading again must not warn again
        assert read(s) == default
    key = line.split("=")[0]
    assert len(s.problems) == 1 and key in s.problems[0] and words in s.problems[0], s.problems
    assert [r.getMessage() for r in caplog.records] == s.problems


def test_thresholds_impossible_together_fall_back_to_the_defaults(ini: Path) -> None:
    s = _open(ini, "[alerts]\nratio_warning=0.9\nratio_danger=0.7\n")
    assert s.alert_policy() == DEFAULT
    assert len(s.problems) == 1 and "[alerts]" in s.problems[0] and "impossible together" in s.problems[0]


ACCOUNT = "[accounts]\n1\\name=main\n1\\environment=mainnet\n1\\key_type=hmac\n1\\api_key=KEY1\nsize=1\n"
GLOBAL = "[alerts]\nratio_warning=0.6\nratio_danger=0.85\n"


def test_a_nan_in_an_account_override_falls_back_to_the_global_value_and_keeps_the_rest(ini: Path) -> None:
    s = _open(ini, ACCOUNT + GLOBAL + "[account_alerts]\nmain\\ratio_warning=NaN\nmain\\distance_warning_pct=20\n")
    own = s.alert_policy("main")
    assert own.ratio == TierThresholds(Decimal("0.6"), Decimal("0.85")) and own.distance_warning_pct == 20
    assert s.account_policy("main") == own
    assert len(s.problems) == 1 and "account_alerts/main/ratio_warning" in s.problems[0]


def test_an_override_impossible_with_the_global_values_falls_back_to_them(ini: Path) -> None:
    s = _open(ini, ACCOUNT + GLOBAL + "[account_alerts]\nmain\\ratio_warning=0.9\n")  # above global danger
    assert s.alert_policy("main") == s.alert_policy()
    assert len(s.problems) == 1 and "impossible together" in s.problems[0]


def test_the_problems_are_known_at_start_before_anything_is_read(ini: Path) -> None:
    s = _open(ini, ACCOUNT + "[%General]\nsound=maybe\n[account_alerts]\nmain\\ratio_warning=NaN\n")
    assert [p.split(":")[1].split()[0] for p in s.problems] == ["General/sound", "account_alerts/main/ratio_warning"]


def test_an_unusable_account_field_reads_as_its_default_and_never_shows_the_api_key(ini: Path) -> None:
    s = _open(ini, ACCOUNT.replace("1\\api_key=KEY1", "1\\api_key=KEY1, KEY2\n1\\enabled=sometimes"))
    assert s.accounts() == [AccountConfig("main", "mainnet", "hmac", "", enabled=True)]
    assert len(s.problems) == 2 and not any("KEY1" in p for p in s.problems)
    assert any("accounts/1/enabled" in p for p in s.problems)


def test_a_huge_accounts_size_reads_at_most_the_bound_and_says_so(ini: Path) -> None:
    entries = "".join(
        f"{i}\\name=a{i}\n{i}\\environment=mainnet\n{i}\\key_type=hmac\n{i}\\api_key=K{i}\n"
        for i in range(1, MAX_ACCOUNTS + 2)
    )
    s = _open(ini, f"[accounts]\n{entries}size=20000000\n")
    assert [a.name for a in s.accounts()] == [f"a{i}" for i in range(1, MAX_ACCOUNTS + 1)]
    assert len(s.problems) == 1 and "20000000" in s.problems[0]
    with pytest.raises(ValueError, match="at most"):
        s.save_account(AccountConfig("one more", "mainnet", "hmac", "K"))
    s.remove_account("a1")  # a write keeps the accounts read and drops the rest
    assert len(Settings(QSettings(str(ini), QSettings.Format.IniFormat)).accounts()) == MAX_ACCOUNTS - 1
