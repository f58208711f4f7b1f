"""Every installation has every country and the six audiences, with real codes and zones."""

from __future__ import annotations

import re
import zoneinfo

import pytest

from accounts.validators import validate_language_tags
from audiences.models import Audience, Country

pytestmark = pytest.mark.django_db


def test_every_iso_country_is_loaded_with_a_two_letter_code() -> None:
    codes = set(Country.objects.values_list("code", flat=True))
    assert len(codes) == 250  # the 249 ISO 3166-1 countries and XK
    assert all(re.fullmatch(r"[A-Z]{2}", c) for c in codes)
    assert {"BY", "KZ", "MD", "RS", "BR", "ZA", "XK"} <= codes


def test_the_six_audiences_exist_with_their_countries() -> None:
    countries = {
        a.slug: {c.code for c in a.countries.all()}
        for a in Audience.objects.prefetch_related("countries")
    }
    assert set(countries) == {
        "belarus",
        "kazakhstan",
        "moldova",
        "balkans",
        "latin-america",
        "africa",
    }
    assert countries["belarus"] == {"BY"}
    assert countries["kazakhstan"] == {"KZ"}
    assert countries["moldova"] == {"MD"}
    assert countries["balkans"] >= {"RS", "BA", "ME", "MK", "AL", "XK"}
    assert {"BR", "MX", "AR", "CU"} <= countries["latin-america"]
    assert not {"US", "CA", "JM"} & countries["latin-america"]
    assert len(countries["africa"]) == 55
    assert {"NG", "EG", "ZA", "EH", "ET"} <= countries["africa"]


def test_audiences_have_iana_zones_and_bcp47_languages() -> None:
    for audience in Audience.objects.all():
        zoneinfo.ZoneInfo(audience.timezone)  # raises for an unknown zone
        validate_language_tags(audience.languages)
    assert Audience.objects.get(slug="kazakhstan").timezone == "Asia/Almaty"
    assert Audience.objects.get(slug="balkans").languages[0] == "sr-Latn"
