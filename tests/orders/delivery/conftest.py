import pytest


@pytest.fixture(autouse=True)
def _shop_time_zone(settings):
    """The delivery tests are written in Amsterdam time, whatever the environment says."""
    settings.SHOP_TIME_ZONE = "Europe/Amsterdam"
