"""Where the demo wholesaler's customers are: countries, cities, languages, delivery patterns.

Mostly the Netherlands, Belgium, Germany, France, Denmark and the UK, some other
European countries and a few customers outside Europe (air freight).
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Country:
    code: str
    share: float  # share of the customer base
    language: str  # contact language (nl, en, de, fr)
    cities: tuple[tuple[str, str, str], ...]  # (city, region, language override or "")
    departures: tuple[tuple[str, float], ...]  # (departure weekdays, weight); "" = every working day
    transit: tuple[tuple[int, float], ...]  # (transit days, weight)
    legal_forms: tuple[str, ...]


COUNTRIES: tuple[Country, ...] = (
    Country(
        "NL", 0.34, "nl",
        (
            ("Amsterdam", "Noord-Holland", ""), ("Aalsmeer", "Noord-Holland", ""), ("Haarlem", "Noord-Holland", ""),
            ("Rotterdam", "Zuid-Holland", ""), ("Den Haag", "Zuid-Holland", ""), ("Naaldwijk", "Zuid-Holland", ""),
            ("Leiden", "Zuid-Holland", ""), ("Utrecht", "Utrecht", ""), ("Amersfoort", "Utrecht", ""),
            ("Eindhoven", "Noord-Brabant", ""), ("Tilburg", "Noord-Brabant", ""), ("Breda", "Noord-Brabant", ""),
            ("'s-Hertogenbosch", "Noord-Brabant", ""), ("Groningen", "Groningen", ""),
            ("Leeuwarden", "Friesland", ""), ("Zwolle", "Overijssel", ""), ("Enschede", "Overijssel", ""),
            ("Arnhem", "Gelderland", ""), ("Nijmegen", "Gelderland", ""), ("Maastricht", "Limburg", ""),
            ("Venlo", "Limburg", ""), ("Middelburg", "Zeeland", ""), ("Almere", "Flevoland", ""),
        ),
        (("mon,tue,wed,thu,fri", 0.3), ("", 0.15), ("mon,wed,fri", 0.25), ("tue,thu", 0.15), ("tue,fri", 0.15)),
        ((1, 1.0),),
        ("B.V.", "V.O.F.", ""),
    ),
    Country(
        "BE", 0.12, "nl",
        (
            ("Antwerpen", "Antwerpen", ""), ("Mechelen", "Antwerpen", ""), ("Gent", "Oost-Vlaanderen", ""),
            ("Brugge", "West-Vlaanderen", ""), ("Kortrijk", "West-Vlaanderen", ""), ("Leuven", "Vlaams-Brabant", ""),
            ("Hasselt", "Limburg", ""), ("Brussel", "Brussels Hoofdstedelijk Gewest", "fr"),
            ("Liège", "Liège", "fr"), ("Namur", "Namur", "fr"), ("Charleroi", "Hainaut", "fr"),
            ("Mons", "Hainaut", "fr"),
        ),
        (("mon,wed,fri", 0.5), ("tue,thu", 0.3), ("tue,fri", 0.2)),
        ((1, 1.0),),
        ("BV", "NV", "SRL", ""),
    ),
    Country(
        "DE", 0.20, "de",
        (
            ("Düsseldorf", "Nordrhein-Westfalen", ""), ("Köln", "Nordrhein-Westfalen", ""),
            ("Essen", "Nordrhein-Westfalen", ""), ("Münster", "Nordrhein-Westfalen", ""),
            ("Hamburg", "Hamburg", ""), ("Bremen", "Bremen", ""), ("Hannover", "Niedersachsen", ""),
            ("Berlin", "Berlin", ""), ("Leipzig", "Sachsen", ""), ("Dresden", "Sachsen", ""),
            ("Frankfurt am Main", "Hessen", ""), ("Stuttgart", "Baden-Württemberg", ""),
            ("Freiburg im Breisgau", "Baden-Württemberg", ""), ("München", "Bayern", ""),
            ("Nürnberg", "Bayern", ""), ("Mainz", "Rheinland-Pfalz", ""),
        ),
        (("mon,wed,fri", 0.4), ("tue,thu", 0.3), ("tue,fri", 0.2), ("mon,tue,wed,thu,fri", 0.1)),
        ((1, 0.5), (2, 0.5)),
        ("GmbH", "GmbH & Co. KG", "e.K.", ""),
    ),
    Country(
        "FR", 0.10, "fr",
        (
            ("Paris", "Île-de-France", ""), ("Versailles", "Île-de-France", ""), ("Lille", "Hauts-de-France", ""),
            ("Lyon", "Auvergne-Rhône-Alpes", ""), ("Grenoble", "Auvergne-Rhône-Alpes", ""),
            ("Strasbourg", "Grand Est", ""), ("Reims", "Grand Est", ""), ("Nantes", "Pays de la Loire", ""),
            ("Rennes", "Bretagne", ""), ("Bordeaux", "Nouvelle-Aquitaine", ""), ("Toulouse", "Occitanie", ""),
            ("Marseille", "Provence-Alpes-Côte d'Azur", ""), ("Nice", "Provence-Alpes-Côte d'Azur", ""),
        ),
        (("tue,fri", 0.6), ("mon,thu", 0.4)),
        ((2, 0.8), (3, 0.2)),
        ("SARL", "SAS", "EURL", ""),
    ),
    Country(
        "DK", 0.05, "en",
        (
            ("København", "Hovedstaden", ""), ("Aarhus", "Midtjylland", ""), ("Odense", "Syddanmark", ""),
            ("Aalborg", "Nordjylland", ""), ("Roskilde", "Sjælland", ""),
        ),
        (("tue,fri", 0.7), ("wed", 0.3)),
        ((2, 1.0),),
        ("ApS", "A/S", ""),
    ),
    Country(
        "GB", 0.06, "en",
        (
            ("London", "England", ""), ("Manchester", "England", ""), ("Birmingham", "England", ""),
            ("Leeds", "England", ""), ("Bristol", "England", ""), ("Norwich", "England", ""),
            ("Edinburgh", "Scotland", ""), ("Glasgow", "Scotland", ""), ("Cardiff", "Wales", ""),
            ("Belfast", "Northern Ireland", ""),
        ),
        (("mon,thu", 0.6), ("tue,fri", 0.4)),
        ((2, 0.7), (3, 0.3)),
        ("Ltd", "Ltd", ""),
    ),
    Country("AT", 0.02, "de", (("Wien", "Wien", ""), ("Graz", "Steiermark", ""), ("Linz", "Oberösterreich", "")),
            (("tue,fri", 1.0),), ((2, 1.0),), ("GmbH", "")),
    Country("CH", 0.015, "de", (("Zürich", "Zürich", ""), ("Basel", "Basel-Stadt", ""), ("Genève", "Genève", "fr")),
            (("tue", 0.5), ("tue,fri", 0.5)), ((2, 1.0),), ("AG", "GmbH", "")),
    Country("LU", 0.008, "fr", (("Luxembourg", "Luxembourg", ""), ("Esch-sur-Alzette", "Esch-sur-Alzette", "")),
            (("tue,fri", 1.0),), ((1, 1.0),), ("S.à r.l.", "")),
    Country("SE", 0.015, "en",
            (("Stockholm", "Stockholm", ""), ("Göteborg", "Västra Götaland", ""), ("Malmö", "Skåne", "")),
            (("tue", 0.6), ("tue,fri", 0.4)), ((3, 1.0),), ("AB", "")),
    Country("NO", 0.008, "en", (("Oslo", "Oslo", ""), ("Bergen", "Vestland", "")),
            (("wed", 1.0),), ((3, 1.0),), ("AS", "")),
    Country("PL", 0.012, "en",
            (("Warszawa", "Mazowieckie", ""), ("Kraków", "Małopolskie", ""), ("Poznań", "Wielkopolskie", "")),
            (("mon,thu", 1.0),), ((2, 1.0),), ("Sp. z o.o.", "")),
    Country("CZ", 0.006, "en", (("Praha", "Praha", ""), ("Brno", "Jihomoravský kraj", "")),
            (("tue", 1.0),), ((2, 1.0),), ("s.r.o.", "")),
    Country("IT", 0.01, "en", (("Milano", "Lombardia", ""), ("Sanremo", "Liguria", ""), ("Roma", "Lazio", "")),
            (("mon", 1.0),), ((3, 1.0),), ("S.r.l.", "")),
    Country("ES", 0.008, "en", (("Madrid", "Comunidad de Madrid", ""), ("Barcelona", "Cataluña", "")),
            (("mon", 1.0),), ((3, 1.0),), ("S.L.", "")),
    Country("IE", 0.008, "en", (("Dublin", "Leinster", ""), ("Cork", "Munster", "")),
            (("mon,thu", 1.0),), ((3, 1.0),), ("Ltd", "")),
    Country("US", 0.003, "en", (("New York", "New York", ""), ("Chicago", "Illinois", "")),
            (("wed", 1.0),), ((3, 1.0),), ("Inc.", "LLC")),
    Country("AE", 0.003, "en", (("Dubai", "Dubai", ""),),
            (("mon", 1.0),), ((3, 1.0),), ("LLC", "")),
    Country("JP", 0.002, "en", (("Tokyo", "Tokyo", ""), ("Osaka", "Osaka", "")),
            (("wed", 1.0),), ((3, 1.0),), ("K.K.", "")),
    Country("CA", 0.002, "en", (("Toronto", "Ontario", ""), ("Montréal", "Québec", "fr")),
            (("wed", 1.0),), ((3, 1.0),), ("Inc.", "")),
)
