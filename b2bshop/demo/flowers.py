"""The believable catalog of a flower and plant wholesaler (in the spirit of GoGreen).

Pure data plus one builder: `catalog_build(today=...)` turns the category tree and the
product families below into the rows of `categories.csv` and `products.csv`, together
with the per-product facts the order generator needs (season months, popularity,
peaks). The catalog is the same for every seed; only the availability windows move
with `today` (a seasonal product's window is its current or next season).
"""

import zlib
from dataclasses import dataclass, field
from datetime import date

import numpy as np

# (slug, name, parent slug); parents come before their children.
CATEGORIES: tuple[tuple[str, str, str], ...] = (
    ("cut-flowers", "Cut flowers", ""),
    ("roses", "Roses", "cut-flowers"),
    ("large-flowered-roses", "Large-flowered roses", "roses"),
    ("spray-roses", "Spray roses", "roses"),
    ("garden-roses", "Garden roses", "roses"),
    ("tulips", "Tulips", "cut-flowers"),
    ("chrysanthemums", "Chrysanthemums", "cut-flowers"),
    ("gerberas", "Gerberas", "cut-flowers"),
    ("lilies", "Lilies", "cut-flowers"),
    ("alstroemeria", "Alstroemeria", "cut-flowers"),
    ("carnations", "Carnations", "cut-flowers"),
    ("seasonal-flowers", "Seasonal flowers", "cut-flowers"),
    ("christmas-greens", "Christmas greens", "cut-flowers"),
    ("greens-fillers", "Greens and fillers", "cut-flowers"),
    ("dried-flowers", "Dried flowers", "cut-flowers"),
    ("pot-plants", "Pot plants", ""),
    ("indoor-plants", "Indoor plants", "pot-plants"),
    ("orchids", "Orchids", "pot-plants"),
    ("flowering-pot-plants", "Flowering pot plants", "pot-plants"),
    ("succulents-cacti", "Succulents and cacti", "pot-plants"),
    ("christmas-plants", "Christmas plants", "pot-plants"),
    ("outdoor-plants", "Patio and outdoor plants", "pot-plants"),
    ("garden-plants", "Garden plants", ""),
    ("perennials", "Perennials", "garden-plants"),
    ("bedding-plants", "Bedding plants", "garden-plants"),
    ("shrubs-hedges", "Shrubs and hedges", "garden-plants"),
    ("bulbs", "Bulbs", ""),
    ("spring-bulbs", "Spring-flowering bulbs", "bulbs"),
    ("summer-bulbs", "Summer-flowering bulbs", "bulbs"),
    ("supplies", "Supplies and packaging", ""),
    ("packaging", "Packaging", "supplies"),
    ("floristry-supplies", "Floristry supplies", "supplies"),
    ("flower-care", "Flower and plant care", "supplies"),
    ("pots-containers", "Pots and containers", "supplies"),
)

# The top-level categories in a fixed order (index = "top" used by the generator).
TOP_CATEGORIES: tuple[str, ...] = tuple(slug for slug, _name, parent in CATEGORIES if not parent)

Size = tuple[str, float, int | None]  # label, price factor, minimum order quantity (None: family's)


@dataclass(frozen=True)
class Family:
    """A product line: one product per variety and size."""

    code: str
    category: str
    kind: str
    varieties: tuple[str, ...]
    unit: str
    price: float
    moq: int = 1
    sizes: tuple[Size, ...] = (("", 1.0, None),)
    months: tuple[int, int] | None = None  # first and last month of the season (may wrap the year)
    weekdays: str = ""
    lead_time: int = 0
    popularity: float = 1.0
    boost: dict[int, float] = field(default_factory=dict)  # month -> demand factor
    boost_varieties: tuple[str, ...] = ()  # when set, only these varieties get the boost
    qty_lambda: float = 1.5  # extra multiples of the minimum quantity per order line, on average


_STEM_LENGTHS: tuple[Size, ...] = (("50 cm", 1.0, None), ("60 cm", 1.2, None), ("70 cm", 1.45, None))
_POT_SIZES: tuple[Size, ...] = (("12 cm", 1.0, 8), ("17 cm", 2.3, 4), ("21 cm", 4.4, 2), ("27 cm", 8.5, 1))
_VALENTINE = {1: 1.4, 2: 3.2}
_MOTHERS_DAY = {5: 2.0}
_ALL_SAINTS = {10: 2.2, 11: 2.6}

FAMILIES: tuple[Family, ...] = (
    # Cut flowers
    Family(
        "ROS", "large-flowered-roses", "Rose",
        ("Red Naomi!", "Freedom", "Explorer", "Grand Prix", "Avalanche+", "Sweet Avalanche",
         "Peach Avalanche", "Pink Floyd", "Mondial", "Upper Secret", "Country Blues", "Wow",
         "Penny Lane", "Athena"),
        "stem", 0.42, moq=20, sizes=_STEM_LENGTHS, popularity=3.2, boost=_VALENTINE | {5: 1.4},
        boost_varieties=("Red Naomi!", "Freedom", "Explorer", "Grand Prix"), qty_lambda=2.5,
    ),
    Family(
        "SRO", "spray-roses", "Spray rose",
        ("Lydia", "Snowflake", "Mimi Eden", "Babe", "Majolica", "White Majolica", "Bombastic", "Rubicon"),
        "stem", 0.58, moq=20, sizes=(("40 cm", 1.0, None), ("50 cm", 1.15, None)), popularity=1.3,
        boost=_MOTHERS_DAY,
    ),
    Family(
        "GRO", "garden-roses", "Garden rose",
        ("Red Piano", "Pink O'Hara", "Romantic Antike", "Yves Piaget", "Juliet Blush", "Keira Cream"),
        "stem", 1.45, moq=12, sizes=(("50 cm", 1.0, None),), weekdays="tue,fri", lead_time=2,
        popularity=0.8, boost={5: 1.6, 6: 1.8, 9: 1.4},
    ),
    Family(
        "TUL", "tulips", "Tulip",
        ("Strong Gold", "Leen van der Mark", "Purple Prince", "Double Price", "Columbus", "Dow Jones",
         "Flaming Parrot", "White Dream", "Rococo", "Queen of Night", "Ad Rem", "Yokohama"),
        "bunch", 3.10, moq=5, sizes=(("bunch of 10", 1.0, None),), months=(12, 4), popularity=2.6,
        boost={2: 1.6, 3: 1.5}, qty_lambda=2.0,
    ),
    Family(
        "FTU", "tulips", "French tulip", ("Maureen", "Menton", "La Belle Epoque"),
        "bunch", 6.40, moq=5, sizes=(("bunch of 10", 1.0, None),), months=(1, 4), lead_time=1, popularity=0.6,
    ),
    Family(
        "CHR", "chrysanthemums", "Chrysanthemum",
        ("Baltica", "Anastasia Green", "Antonov", "Zembla Lime", "Tom Pearce", "Pina Colada",
         "Feeling Green", "Santini Rossano", "Haydar", "Radost"),
        "stem", 0.48, moq=20, sizes=(("70 cm", 1.0, None),), popularity=2.0, boost=_ALL_SAINTS | {12: 1.2},
        qty_lambda=2.0,
    ),
    Family(
        "GER", "gerberas", "Gerbera",
        ("Kimsey", "Dune", "Banana", "Pasta Rosata", "Intense", "Snowflake", "Sunway", "Bahia"),
        "stem", 0.34, moq=50, popularity=1.5, boost=_MOTHERS_DAY,
    ),
    Family(
        "MGE", "gerberas", "Mini gerbera", ("Rosalin", "Pink Snow", "Lemon Mist", "Fiorella", "Kermit", "Ava"),
        "stem", 0.23, moq=50, popularity=0.8,
    ),
    Family(
        "LIL", "lilies", "Lily",
        ("Oriental Siberia", "Oriental Stargazer", "Oriental Sorbonne", "LA Brindisi", "LA Courier",
         "Longiflorum White Heaven", "Asiatic Tresor"),
        "stem", 1.15, moq=10, sizes=(("3+ buds", 1.0, None), ("5+ buds", 1.35, None)), popularity=1.2,
        boost={3: 1.3, 4: 1.5},
    ),
    Family(
        "ALS", "alstroemeria", "Alstroemeria", ("Virginia", "Whistler", "Himalaya", "Mayfair", "Olga", "Tesla"),
        "stem", 0.36, moq=10, popularity=1.0,
    ),
    Family(
        "CAR", "carnations", "Carnation", ("Moonlight", "Don Pedro", "Hermes Orange", "Prado Mint", "Brut", "Caroline"),
        "stem", 0.29, moq=25, popularity=0.9, boost=_MOTHERS_DAY,
    ),
    Family(
        "SCA", "carnations", "Spray carnation", ("Solomio", "Sofia", "Kino"),
        "stem", 0.31, moq=25, popularity=0.5,
    ),
    Family(
        "PEO", "seasonal-flowers", "Peony",
        ("Sarah Bernhardt", "Coral Charm", "Duchesse de Nemours", "Red Charm", "Karl Rosenfield"),
        "stem", 2.10, moq=10, months=(5, 6), popularity=1.8, boost={5: 1.5},
    ),
    Family(
        "RAN", "seasonal-flowers", "Ranunculus", ("Clooney White", "Elegance Pink", "Hanoi", "Cloni Success Orange"),
        "stem", 0.95, moq=10, months=(1, 4), popularity=1.0,
    ),
    Family(
        "ANE", "seasonal-flowers", "Anemone", ("Mistral Blue", "Galil White", "Meron Bordeaux"),
        "stem", 0.75, moq=10, months=(11, 4), popularity=0.7,
    ),
    Family(
        "HYC", "seasonal-flowers", "Hyacinth (cut)", ("Delft Blue", "Pink Pearl", "White Pearl"),
        "stem", 0.60, moq=20, months=(12, 3), popularity=0.6,
    ),
    Family(
        "LLC", "seasonal-flowers", "Lilac", ("Madame Florent Stepman", "Dark Koster", "Sensation"),
        "stem", 1.80, moq=10, months=(3, 5), lead_time=1, popularity=0.5,
    ),
    Family(
        "SWP", "seasonal-flowers", "Sweet pea", ("Mix", "White", "Pastel Pink"),
        "bunch", 4.20, moq=5, sizes=(("bunch of 10", 1.0, None),), months=(3, 6), popularity=0.5,
    ),
    Family(
        "SUN", "seasonal-flowers", "Sunflower", ("Sunrich Orange", "Sunbright", "Teddy Bear"),
        "stem", 0.65, moq=10, months=(6, 9), popularity=1.1,
    ),
    Family(
        "HYD", "seasonal-flowers", "Hydrangea (cut)",
        ("Magical Revolution Blue", "Verena White", "Rodeo Pink", "Classic Green"),
        "stem", 2.40, moq=10, months=(6, 10), popularity=1.0,
    ),
    Family(
        "DAH", "seasonal-flowers", "Dahlia (cut)", ("Café au Lait", "Karma Choc", "Labyrinth", "Wine Eyed Jill"),
        "stem", 0.95, moq=10, months=(7, 10), popularity=0.8,
    ),
    Family(
        "AMA", "seasonal-flowers", "Amaryllis (cut)", ("Red Lion", "Christmas Gift", "Apple Blossom"),
        "stem", 3.40, moq=5, months=(11, 1), popularity=0.9, boost={12: 1.6},
    ),
    Family(
        "LIS", "seasonal-flowers", "Lisianthus", ("Rosita White", "Corelli Lavender", "Alissa Green", "Piccolo Pink"),
        "stem", 0.85, moq=10, popularity=0.8,
    ),
    Family(
        "XMG", "christmas-greens", "",
        ("Nobilis fir", "Ilex verticillata berries", "Skimmia Rubella (cut)", "Cotinus Christmas",
         "Pine branch", "Viscum (mistletoe)"),
        "bunch", 4.80, moq=5, months=(11, 12), lead_time=1, popularity=1.4, boost={12: 1.5},
    ),
    Family(
        "GRN", "greens-fillers", "",
        ("Eucalyptus cinerea", "Eucalyptus parvifolia", "Eucalyptus populus", "Ruscus", "Pistache",
         "Salal", "Aspidistra", "Monstera leaf", "Gypsophila Xlence", "Solidago", "Limonium", "Asparagus setaceus"),
        "bunch", 2.60, moq=5, popularity=1.6, qty_lambda=2.0,
    ),
    Family(
        "DRY", "dried-flowers", "Dried",
        ("pampas grass natural", "pampas grass white", "pampas grass pink", "Lunaria", "bunny tails",
         "lavender", "statice", "Phalaris"),
        "bunch", 5.50, moq=5, lead_time=3, popularity=0.6,
    ),
    # Pot plants
    Family(
        "IND", "indoor-plants", "",
        ("Monstera deliciosa", "Ficus lyrata", "Ficus elastica 'Robusta'", "Sansevieria trifasciata",
         "Zamioculcas zamiifolia", "Calathea orbifolia", "Calathea 'White Fusion'", "Spathiphyllum 'Sweet Chico'",
         "Strelitzia nicolai", "Pilea peperomioides", "Chlorophytum comosum", "Alocasia 'Zebrina'",
         "Philodendron 'Birkin'", "Epipremnum aureum", "Dracaena 'Janet Craig'", "Aglaonema 'Silver Bay'"),
        "pot", 3.40, sizes=_POT_SIZES, lead_time=1, popularity=2.2,
    ),
    Family(
        "PHA", "orchids", "Phalaenopsis",
        ("1-spike white", "1-spike pink", "2-spike white", "2-spike pink", "2-spike purple", "2-spike yellow",
         "3-spike white", "3-spike pink", "cascade white", "multiflora mix"),
        "pot", 6.90, moq=6, sizes=(("12 cm", 1.0, None),), weekdays="mon,wed,fri", popularity=2.0,
        boost=_MOTHERS_DAY, qty_lambda=1.8,
    ),
    Family(
        "ORC", "orchids", "",
        ("Cymbidium 'Sarah Jean'", "Cymbidium 'Showgirl'", "Dendrobium 'Sa-Nook'", "Oncidium 'Twinkle'",
         "Vanda 'Blue Magic'"),
        "pot", 12.50, moq=4, sizes=(("12 cm", 1.0, None),), weekdays="mon,wed,fri", lead_time=2, popularity=0.6,
    ),
    Family(
        "FPP", "flowering-pot-plants", "",
        ("Anthurium 'Red Champion'", "Anthurium 'Pink Champion'", "Anthurium 'White Champion'",
         "Kalanchoe red", "Kalanchoe yellow", "Kalanchoe orange", "Kalanchoe pink", "Guzmania 'Rana'",
         "Vriesea 'Intro'", "Begonia Elatior", "Spathiphyllum 'Bingo'"),
        "pot", 3.90, moq=8, sizes=(("12 cm", 1.0, None), ("14 cm", 1.4, 6)), popularity=1.5, boost=_MOTHERS_DAY,
    ),
    Family(
        "SFP", "flowering-pot-plants", "",
        ("Hydrangea macrophylla blue (pot)", "Hydrangea macrophylla pink (pot)", "Hydrangea macrophylla white (pot)"),
        "pot", 7.80, moq=6, sizes=(("17 cm", 1.0, None),), months=(3, 7), popularity=1.0, boost=_MOTHERS_DAY,
    ),
    Family(
        "WFP", "flowering-pot-plants", "",
        ("Cyclamen persicum red", "Cyclamen persicum white", "Azalea indica pink", "Helleborus niger",
         "Hyacinth pot 3 bulbs", "Narcissus 'Tête-à-Tête' pot", "Muscari pot", "Tulip pot 'Red Paradise'"),
        "pot", 2.70, moq=8, sizes=(("12 cm", 1.0, None),), months=(10, 4), popularity=1.3, boost={2: 1.2, 3: 1.4},
    ),
    Family(
        "SUC", "succulents-cacti", "",
        ("Echeveria mix", "Aloe vera", "Haworthia mix", "Crassula ovata", "Cactus mix", "Sedum morganianum"),
        "tray", 9.20, sizes=(("tray 12 x 8.5 cm", 1.0, None),), popularity=0.7,
    ),
    Family(
        "POI", "christmas-plants", "Poinsettia",
        ("red", "white", "pink", "marble"), "pot", 3.20, moq=8,
        sizes=(("12 cm", 1.0, None), ("14 cm", 1.45, 6), ("17 cm", 2.6, 4)), months=(11, 12), lead_time=1,
        popularity=2.4, boost={12: 1.4}, qty_lambda=2.2,
    ),
    Family(
        "XMP", "christmas-plants", "",
        ("Christmas cactus (Schlumbergera)", "Picea glauca 'Conica' 60 cm", "Nordmann fir in pot 80-100 cm",
         "Nordmann fir in pot 100-125 cm", "Skimmia japonica 'Rubella'", "Gaultheria procumbens"),
        "pot", 8.50, moq=2, months=(11, 12), lead_time=3, popularity=1.0,
    ),
    Family(
        "OUT", "outdoor-plants", "",
        ("Olea europaea (olive tree)", "Laurus nobilis (bay laurel)", "Bougainvillea", "Lavandula angustifolia",
         "Buxus sempervirens ball 20 cm", "Buxus sempervirens ball 30 cm", "Citrus limon", "Agapanthus 'Blue Storm'",
         "Mandevilla 'Sundaville Red'", "Oleander"),
        "pot", 14.50, moq=2, months=(3, 9), lead_time=2, weekdays="tue,thu", popularity=1.0, boost={4: 1.5, 5: 1.7},
    ),
    # Garden plants
    Family(
        "PER", "perennials", "",
        ("Hosta 'Francee'", "Echinacea purpurea", "Salvia nemorosa 'Caradonna'", "Geranium 'Rozanne'",
         "Heuchera 'Palace Purple'", "Pennisetum 'Hameln'", "Miscanthus 'Gracillimus'", "Nepeta 'Walker's Low'",
         "Astilbe 'Fanal'", "Hemerocallis 'Stella de Oro'"),
        "tray", 17.50, sizes=(("tray 12 x P9", 1.0, None),), months=(3, 10), lead_time=1, popularity=1.0,
        boost={4: 1.6, 5: 1.5},
    ),
    Family(
        "BED", "bedding-plants", "",
        ("Petunia mix", "Pelargonium zonale red", "Pelargonium peltatum (hanging)", "Begonia semperflorens",
         "Impatiens 'SunPatiens'", "Lobelia erinus", "Tagetes patula", "Verbena 'Lanai'"),
        "tray", 13.90, moq=2, sizes=(("tray 10 x P10.5", 1.0, None),), months=(4, 7), popularity=1.3,
        boost={4: 1.3, 5: 2.0},
    ),
    Family(
        "WBD", "bedding-plants", "", ("Viola cornuta mix", "Primula acaulis mix", "Bellis perennis", "Erica gracilis"),
        "tray", 11.50, moq=2, sizes=(("tray 15 x P9", 1.0, None),), months=(9, 4), popularity=1.0,
        boost={3: 1.6, 9: 1.3, 10: 1.3},
    ),
    Family(
        "SHR", "shrubs-hedges", "",
        ("Hydrangea paniculata 'Limelight'", "Buddleja davidii", "Prunus laurocerasus 'Novita'", "Taxus baccata",
         "Thuja 'Smaragd'", "Photinia 'Red Robin'", "Pieris japonica", "Rhododendron 'Cunningham's White'"),
        "pot", 6.80, moq=5, sizes=(("C3", 1.0, None), ("C5", 1.7, None)), lead_time=2, weekdays="tue,thu",
        popularity=0.9, boost={3: 1.5, 4: 1.5, 10: 1.3},
    ),
    # Bulbs
    Family(
        "SBU", "spring-bulbs", "",
        ("Tulip bulbs 'Apeldoorn'", "Tulip bulbs mix", "Narcissus 'Dutch Master' bulbs", "Crocus mix bulbs",
         "Allium 'Purple Sensation' bulbs", "Hyacinth bulbs 'Delft Blue'", "Muscari armeniacum bulbs",
         "Snowdrop bulbs"),
        "box", 22.50, sizes=(("display box 24 bags", 1.0, None),), months=(8, 11), lead_time=3, popularity=0.9,
        boost={9: 1.6, 10: 1.4},
    ),
    Family(
        "UBU", "summer-bulbs", "",
        ("Dahlia tubers mix", "Gladiolus corms mix", "Lily bulbs 'Stargazer'", "Begonia tubers", "Canna 'Tropicanna'",
         "Freesia corms"),
        "box", 24.00, sizes=(("display box 24 bags", 1.0, None),), months=(1, 5), lead_time=3, popularity=0.7,
        boost={3: 1.5},
    ),
    # Supplies
    Family(
        "PKG", "packaging", "",
        ("Flower sleeve clear 35 cm", "Flower sleeve clear 50 cm", "Flower sleeve kraft 50 cm",
         "Flower sleeve kraft 60 cm", "Flower box cardboard small", "Flower box cardboard large",
         "Kraft paper roll 60 cm", "Cellophane roll 80 cm", "Carrier bag kraft"),
        "box", 18.50, popularity=1.3, boost={2: 1.4, 5: 1.2, 12: 1.4},
    ),
    Family(
        "PRT", "packaging", "Printed",
        ("sleeve with your logo", "ribbon with your logo", "card with your logo"),
        "box", 95.00, moq=2, lead_time=10, popularity=0.2,
    ),
    Family(
        "FLS", "floristry-supplies", "",
        ("Floral foam brick (box of 20)", "Floral foam ring 30 cm (box of 2)", "Floral wire 0.7 mm",
         "Florist tape green", "Bouquet binding raffia", "Ribbon satin 25 mm red", "Ribbon satin 25 mm ivory",
         "Ribbon organza 40 mm pink", "Decoration pins (box of 1000)"),
        "box", 11.80, popularity=1.2, boost={10: 1.5, 11: 1.5, 12: 1.2},
    ),
    Family(
        "CFC", "flower-care", "",
        ("Flower food sachets (box of 1000)", "Cut flower conditioner 1 l", "Plant food liquid 1 l",
         "Bucket cleaner 5 l"),
        "box", 27.50, popularity=0.8,
    ),
    Family(
        "POT", "pots-containers", "",
        ("Ceramic pot matt white", "Ceramic pot terracotta", "Ceramic pot sage green", "Zinc bucket",
         "Willow basket with liner", "Glass vase cylinder"),
        "piece", 3.60, moq=6, sizes=(("13 cm", 1.0, None), ("19 cm", 2.1, 4)), popularity=0.9,
    ),
)


@dataclass(frozen=True)
class Catalog:
    """The catalog rows and the per-product arrays the order generator uses (index = product)."""

    categories: list[dict[str, str]]
    products: list[dict[str, object]]
    top: np.ndarray  # index into TOP_CATEGORIES
    in_season: np.ndarray  # bool (n_products, 12): month m (0 = January) is in season
    demand: np.ndarray  # float (n_products, 12): popularity x month boost (0 out of season)
    list_price: np.ndarray  # float
    moq: np.ndarray  # int
    qty_lambda: np.ndarray  # float
    active: np.ndarray  # bool


def _stable_fraction(text: str) -> float:
    """A number in [0, 1) that depends only on `text` (keeps the catalog seed-independent)."""
    return (zlib.crc32(text.encode()) % 10_000) / 10_000


def season_months(months: tuple[int, int] | None) -> list[int]:
    """Months 1..12 of a season given its first and last month (wrapping the year end)."""
    if months is None:
        return list(range(1, 13))
    first, last = months
    if first <= last:
        return list(range(first, last + 1))
    return list(range(first, 13)) + list(range(1, last + 1))


def season_window(months: tuple[int, int] | None, *, today: date) -> tuple[date | None, date | None]:
    """The current or next occurrence of a season as delivery dates (None: all year)."""
    if months is None:
        return None, None
    first, last = months
    for year in (today.year - 1, today.year, today.year + 1):
        start = date(year, first, 1)
        end_year = year if first <= last else year + 1
        end = (date(end_year, last % 12 + 1, 1) if last < 12 else date(end_year + 1, 1, 1))
        end = date.fromordinal(end.toordinal() - 1)
        if end >= today:
            return start, end
    raise AssertionError("unreachable")  # pragma: no cover


def catalog_build(*, today: date) -> Catalog:
    """Categories and products of the demo wholesaler; availability windows relative to `today`."""
    categories = [{"slug": slug, "name": name, "parent_slug": parent} for slug, name, parent in CATEGORIES]
    top_of: dict[str, str] = {}
    parent_of = {slug: parent for slug, _name, parent in CATEGORIES}
    for slug in parent_of:
        node = slug
        while parent_of[node]:
            node = parent_of[node]
        top_of[slug] = node

    products: list[dict[str, object]] = []
    top: list[int] = []
    in_season: list[list[bool]] = []
    demand: list[list[float]] = []
    moqs: list[int] = []
    lambdas: list[float] = []
    for family in FAMILIES:
        months = season_months(family.months)
        available_from, available_until = season_window(family.months, today=today)
        number = 0
        for variety in family.varieties:
            boosted = not family.boost_varieties or variety in family.boost_varieties
            for label, price_factor, size_moq in family.sizes:
                number += 1
                sku = f"{family.code}-{number:03d}"
                name = " ".join(part for part in (family.kind, variety, label) if part)
                variety_factor = 0.9 + 0.3 * _stable_fraction(f"{family.code}/{variety}")
                price = round(family.price * price_factor * variety_factor, 2)
                moq = size_moq or family.moq
                # A few discontinued products: still in the order history, no longer sold.
                active = _stable_fraction(sku) >= 0.02
                products.append(
                    {
                        "sku": sku,
                        "name": name,
                        "category_slug": family.category,
                        "list_price": f"{price:.2f}",
                        "unit": family.unit,
                        "available_from": available_from.isoformat() if available_from else "",
                        "available_until": available_until.isoformat() if available_until else "",
                        "available_weekdays": family.weekdays,
                        "lead_time_days": family.lead_time,
                        "min_order_quantity": moq,
                        "is_active": "true" if active else "false",
                    }
                )
                top.append(TOP_CATEGORIES.index(top_of[family.category]))
                season = [month in months for month in range(1, 13)]
                in_season.append(season)
                popularity = family.popularity * (0.6 + 0.8 * _stable_fraction(f"pop/{sku}"))
                demand.append(
                    [
                        popularity * (family.boost.get(month, 1.0) if boosted else 1.0) if season[month - 1] else 0.0
                        for month in range(1, 13)
                    ]
                )
                moqs.append(moq)
                lambdas.append(family.qty_lambda)
    return Catalog(
        categories=categories,
        products=products,
        top=np.array(top, dtype=np.int64),
        in_season=np.array(in_season, dtype=bool),
        demand=np.array(demand, dtype=np.float64),
        list_price=np.array([float(p["list_price"]) for p in products]),
        moq=np.array(moqs, dtype=np.int64),
        qty_lambda=np.array(lambdas, dtype=np.float64),
        active=np.array([p["is_active"] == "true" for p in products], dtype=bool),
    )
