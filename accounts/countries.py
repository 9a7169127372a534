"""ISO 3166-1 alpha-2 countries with their continent and EU membership.

Continents follow the UN geoscheme, with Europe = the UN Europe region plus its
micro-states, XK, RU and CY; TR, GE, AM, AZ and KZ are Asia. EU membership is the
EU-27 (GB is not a member). This module is the one place these facts live.
"""

_CONTINENT_CODES: dict[str, str] = {
    "europe": (
        "AD AL AT AX BA BE BG BY CH CY CZ DE DK EE ES FI FO FR GB GG GI GR HR HU IE IM IS IT "
        "JE LI LT LU LV MC MD ME MK MT NL NO PL PT RO RS RU SE SI SJ SK SM UA VA XK"
    ),
    "asia": (
        "AE AF AM AZ BD BH BN BT CN GE HK ID IL IN IQ IR JO JP KG KH KP KR KW KZ LA LB LK MM "
        "MN MO MV MY NP OM PH PK PS QA SA SG SY TH TJ TL TM TR TW UZ VN YE"
    ),
    "africa": (
        "AO BF BI BJ BW CD CF CG CI CM CV DJ DZ EG EH ER ET GA GH GM GN GQ GW IO KE KM LR LS "
        "LY MA MG ML MR MU MW MZ NA NE NG RE RW SC SD SH SL SN SO SS ST SZ TD TF TG TN TZ UG "
        "YT ZA ZM ZW"
    ),
    "north_america": (
        "AG AI AW BB BL BM BQ BS BZ CA CR CU CW DM DO GD GL GP GT HN HT JM KN KY LC MF MQ MS "
        "MX NI PA PM PR SV SX TC TT US VC VG VI"
    ),
    "south_america": "AR BO BR BV CL CO EC FK GF GS GY PE PY SR UY VE",
    "oceania": "AS AU CC CK CX FJ FM GU HM KI MH MP NC NF NR NU NZ PF PG PN PW SB TK TO TV UM VU WF WS",
    "antarctica": "AQ",
}

CONTINENTS: tuple[str, ...] = tuple(_CONTINENT_CODES)

CONTINENT_BY_COUNTRY: dict[str, str] = {
    code: continent for continent, codes in _CONTINENT_CODES.items() for code in codes.split()
}

COUNTRY_CODES: frozenset[str] = frozenset(CONTINENT_BY_COUNTRY)

EU_MEMBERS: frozenset[str] = frozenset(
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split()
)


def normalize_country(raw: str | None) -> str:
    """Trim and upper-case a country code; '' for empty. Raises ValueError when unknown."""
    code = (raw or "").strip().upper()
    if code and code not in COUNTRY_CODES:
        raise ValueError(f"unknown country code '{raw}'; use an ISO 3166-1 alpha-2 code such as NL or BE")
    return code
