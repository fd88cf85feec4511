from pathlib import Path

import pytest

from frontdesk.config import Settings, default_home
from frontdesk.errors import InvalidInput

ROOT = Path(__file__).resolve().parent.parent


def test_home_defaults_to_xdg_data_dir() -> None:
    assert default_home({"XDG_DATA_HOME": "/data"}) == Path("/data/frontdesk")
    assert default_home({"FRONTDESK_HOME": "/srv/fd", "XDG_DATA_HOME": "/data"}) == Path("/srv/fd")


def test_settings_are_read_from_the_environment() -> None:
    settings = Settings.from_env({"FRONTDESK_HOME": "/x", "FRONTDESK_CRAWL_MAX_PAGES": "7",
                                  "FRONTDESK_CRAWL_DELAY": "0.25", "FRONTDESK_DEFAULT_CURRENCY": "EUR"})
    assert settings.crawl_max_pages == 7
    assert settings.crawl_delay == 0.25
    assert settings.default_currency == "EUR"
    assert settings.resolved_database_url == "sqlite:////x/frontdesk.db"


def test_a_bad_setting_names_the_variable() -> None:
    with pytest.raises(InvalidInput, match="FRONTDESK_CRAWL_MAX_PAGES"):
        Settings.from_env({"FRONTDESK_CRAWL_MAX_PAGES": "many"})
    with pytest.raises(InvalidInput, match="FRONTDESK_RETRIEVAL_PROCESS='sometimes'.*true or false"):
        Settings.from_env({"FRONTDESK_RETRIEVAL_PROCESS": "sometimes"})


@pytest.mark.parametrize(("raw", "expected"), [("false", False), ("0", False), ("Off", False), ("true", True),
                                               ("1", True), ("yes", True)])
def test_switches_read_true_and_false(raw: str, expected: bool) -> None:
    assert Settings.from_env({"FRONTDESK_RETRIEVAL_PROCESS": raw}).retrieval_process is expected

