"""Settings round trip through a real QSettings ini file."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from marginwatch.core.alert_rules import AlertPolicy
from marginwatch.core.risk_tiers import TierThresholds
from marginwatch.services.settings import AccountConfig, Language, Settings, account_problem


def _ini(path: Path) -> QSettings:
    return QSettings(str(path), QSettings.Format.IniFormat)


def test_defaults_on_an_empty_file(ini: Path) -> None:
    s = Settings(_ini(ini))
    assert s.alert_policy() == AlertPolicy()
    assert s.sound_enabled and not s.start_minimised and not s.start_at_login
    assert s.language is Language.SYSTEM
    assert s.accounts() == [] and s.problems == []


def test_general_flags_round_trip(ini: Path) -> None:
    s = Settings(_ini(ini))
    keys: list[str] = []
    s.changed.connect(keys.append)
    s.sound_enabled = False
    s.start_minimised = True
    s.start_at_login = True
    s.language = Language.ZH_CN
    assert keys == ["General/sound", "General/start_minimised", "General/start_at_login", "General/language"]
    again = Settings(_ini(ini))
    assert not again.sound_enabled and again.start_minimised and again.start_at_login
    assert again.language is Language.ZH_CN
    with pytest.raises(ValueError, match="unknown language"):
        s.language = "klingon"  # type: ignore[assignment]
    assert Settings(_ini(ini)).language is Language.ZH_CN and keys[-1] == "General/language"


def test_accounts_add_edit_rename_enable_remove(ini: Path) -> None:
    s = Settings(_ini(ini))
    changes: list[str] = []
    s.changed.connect(changes.append)
    main = AccountConfig("main", "mainnet", "hmac", "KEY1")
    test = AccountConfig("test/2", "custom", "ed25519", "KEY2", rest_url="http://127.0.0.1:1", ws_url="ws://x")
    s.save_account(main)
    s.save_account(test)
    assert Settings(_ini(ini)).accounts() == [main, test]
    s.save_account(AccountConfig("main", "testnet", "hmac", "KEY1b"))
    assert Settings(_ini(ini)).account("main") == AccountConfig("main", "testnet", "hmac", "KEY1b")
    # Rename keeps the position in the list.
    s.save_account(AccountConfig("primary", "testnet", "hmac", "KEY1b"), replaces="main")
    assert [a.name for a in Settings(_ini(ini)).accounts()] == ["primary", "test/2"]
    with pytest.raises(ValueError, match="already exists"):
        s.save_account(AccountConfig("primary", "mainnet", "hmac", "K"), replaces="test/2")
    assert s.set_account_enabled("test/2", False)
    assert not Settings(_ini(ini)).account("test/2").enabled  # type: ignore[union-attr]
    assert not s.set_account_enabled("nobody", False)
    assert s.remove_account("primary") and not s.remove_account("primary")
    assert [a.name for a in Settings(_ini(ini)).accounts()] == ["test/2"]
    assert len(changes) >= 6 and set(changes) == {"accounts"}


def test_invalid_accounts_are_refused_in_words() -> None:
    assert account_problem(AccountConfig(" ", "mainnet", "hmac", "K")) == "The account needs a name."
    assert "line break" in str(account_problem(AccountConfig("a", "mainnet", "hmac", "K\n")))
    assert "REST base URL" in str(account_problem(AccountConfig("a", "custom", "hmac", "K")))
    assert "Unknown key type" in str(account_problem(AccountConfig("a", "mainnet", "rsa", "K")))
    assert account_problem(AccountConfig("a", "testnet", "ed25519", "K")) is None


def test_per_account_thresholds_fall_back_to_global(ini: Path) -> None:
    s = Settings(_ini(ini))
    glob = AlertPolicy(ratio=TierThresholds(Decimal("0.6"), Decimal("0.85")), cooldown_s=120.0)
    s.set_alert_policy(glob)
    s.save_account(AccountConfig("main", "mainnet", "hmac", "K"))
    s.save_account(AccountConfig("alt", "mainnet", "hmac", "K2"))
    own = AlertPolicy(distance_warning_pct=Decimal(20), distance_danger_pct=Decimal(8), stream_down_after_s=30.0)
    s.set_alert_policy(own, account="main")
    again = Settings(_ini(ini))
    assert again.alert_policy() == glob
    assert again.alert_policy("alt") == glob and again.account_policy("alt") is None
    assert again.alert_policy("main") == own and again.account_policy("main") == own
    # The override follows a rename and dies with the account.
    again.save_account(AccountConfig("renamed", "mainnet", "hmac", "K"), replaces="main")
    assert again.account_policy("renamed") == own and again.account_policy("main") is None
    again.remove_account("renamed")
    assert again.account_policy("renamed") is None
    again.set_alert_policy(own, account="alt")
    again.clear_account_policy("alt")
    assert Settings(_ini(ini)).alert_policy("alt") == glob


def test_hand_edited_nonsense_falls_back(ini: Path) -> None:
    q = _ini(ini)
    q.setValue("alerts/distance_warning_pct", "3")  # below danger (5): impossible
    q.setValue("alerts/cooldown_s", "soon")
    q.setValue("General/language", "xx")
    q.sync()
    s = Settings(_ini(ini))
    assert s.alert_policy() == AlertPolicy()
    assert s.language is Language.SYSTEM


# Written by the settings code before keys became typed `Setting`s; users' files look like this.
EARLIER_FILE = r"""[account_alerts]
test%252F2\cooldown_s=300.0
test%252F2\distance_danger_pct=8
test%252F2\distance_hysteresis_pct=1
test%252F2\distance_warning_pct=20
test%252F2\ratio_danger=0.8
test%252F2\ratio_hysteresis=0.05
test%252F2\ratio_warning=0.5
test%252F2\stream_down_after_s=30.0

[accounts]
1\api_key=KEY1
1\enabled=true
1\environment=mainnet
1\key_type=hmac
1\name=main
1\rest_url=
1\ws_url=
2\api_key=KEY2
2\enabled=false
2\environment=custom
2\key_type=ed25519
2\name=test/2
2\rest_url=http://127.0.0.1:1
2\ws_url=ws://x
size=2

[alerts]
cooldown_s=120.0
distance_danger_pct=5
distance_hysteresis_pct=1
distance_warning_pct=10
ratio_danger=0.85
ratio_hysteresis=0.05
ratio_warning=0.6
stream_down_after_s=60.0

[%General]
language=zh_CN
sound=false
start_at_login=true
start_minimised=true
"""


def test_a_file_written_by_the_earlier_settings_code_reads_the_same_and_is_written_the_same(ini: Path) -> None:
    ini.write_text(EARLIER_FILE)
    s = Settings(_ini(ini))
    assert s.problems == []
    assert not s.sound_enabled and s.start_minimised and s.start_at_login and s.language is Language.ZH_CN
    glob = AlertPolicy(ratio=TierThresholds(Decimal("0.6"), Decimal("0.85")), cooldown_s=120.0)
    assert s.alert_policy() == glob and s.account_policy("main") is None
    assert s.account_policy("test/2") == AlertPolicy(
        distance_warning_pct=Decimal(20), distance_danger_pct=Decimal(8), stream_down_after_s=30.0
    )
    assert s.accounts() == [
        AccountConfig("main", "mainnet", "hmac", "KEY1"),
        AccountConfig("test/2", "custom", "ed25519", "KEY2", enabled=False, rest_url="http://127.0.0.1:1",
                      ws_url="ws://x"),
    ]
    # Writing every part back yields the same sections and lines (QSettings may order sections otherwise).
    s.set_alert_policy(glob)
    s.set_alert_policy(s.alert_policy("test/2"), account="test/2")
    s.set_account_enabled("test/2", False)
    s.sound_enabled = False
    s.language = Language.ZH_CN
    assert _sections(ini.read_text()) == _sections(EARLIER_FILE)


def _sections(text: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for chunk in text.strip().split("\n\n"):
        header, *lines = chunk.splitlines()
        out[header] = set(lines)
    return out
