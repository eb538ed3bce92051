"""Value pools the ``surrogate`` operator draws fakes from (common US names and places)."""

from __future__ import annotations

FIRST_NAMES: tuple[str, ...] = (
    "Aaron", "Abigail", "Adrian", "Alice", "Amara", "Andre", "Angela", "Anita", "Arjun", "Beatriz",
    "Benjamin", "Bianca", "Bruno", "Caleb", "Camila", "Carmen", "Chloe", "Curtis", "Dalia", "Damon",
    "Darius", "Delia", "Dmitri", "Edgar", "Elena", "Elise", "Emeka", "Esther", "Felix", "Fiona",
    "Gareth", "Gloria", "Hana", "Harold", "Hector", "Imani", "Ingrid", "Isaac", "Ivy", "Jasper",
    "Javier", "Joanna", "Jonah", "Julia", "Kai", "Keisha", "Kenneth", "Lara", "Leon", "Lillian",
    "Lorenzo", "Lucia", "Malik", "Marcus", "Margot", "Mateo", "Maya", "Miriam", "Nadia", "Nathan",
    "Nina", "Noah", "Olga", "Omar", "Opal", "Pablo", "Paula", "Priya", "Quentin", "Rafael",
    "Rebecca", "Rhea", "Rosa", "Ruben", "Sabrina", "Samuel", "Selma", "Simone", "Tamsin", "Teresa",
    "Theo", "Tobias", "Ursula", "Valerie", "Victor", "Wanda", "Wesley", "Xavier", "Yara", "Yusuf",
    "Zane", "Zelda",
)  # fmt: skip

LAST_NAMES: tuple[str, ...] = (
    "Abbott", "Alvarez", "Archer", "Baptiste", "Barlow", "Bishop", "Brennan", "Calloway", "Castillo",
    "Chandra", "Coleman", "Dalton", "Delgado", "Donovan", "Ellison", "Espinoza", "Farrell", "Fischer",
    "Fleming", "Gallagher", "Garrison", "Greer", "Hale", "Harmon", "Hayward", "Ibarra", "Ingram",
    "Jennings", "Kaplan", "Keller", "Kowalski", "Lambert", "Lindqvist", "Lowell", "Maddox", "Mendez",
    "Mercer", "Monroe", "Nakamura", "Navarro", "Nolan", "Oduya", "Ortega", "Osei", "Pacheco",
    "Palmer", "Quinlan", "Ramsey", "Reyes", "Rhodes", "Salazar", "Sawyer", "Serrano", "Sinclair",
    "Sokolov", "Sterling", "Tanaka", "Thornton", "Torres", "Underwood", "Valdez", "Vance", "Wagner",
    "Whitaker", "Winslow", "Yamada", "York", "Zamora", "Zimmerman",
)  # fmt: skip

STREET_NAMES: tuple[str, ...] = (
    "Maple", "Oak", "Cedar", "Elm", "Willow", "Birch", "Chestnut", "Hickory", "Juniper", "Laurel",
    "Magnolia", "Spruce", "Sycamore", "Aspen", "Linden", "Orchard", "Meadow", "Brookside",
    "Hillcrest", "Lakeview", "Ridge", "Sunset", "Park", "Mill", "Church", "Highland", "Prospect",
    "Union", "Walnut", "Poplar",
)  # fmt: skip

STREET_SUFFIXES: tuple[str, ...] = ("St", "Ave", "Rd", "Ln", "Dr", "Ct", "Way", "Pl", "Blvd")

#: suffix words kept from the original address (type of street is not identifying)
KNOWN_SUFFIXES: frozenset[str] = frozenset(
    {
        "st", "street", "ave", "avenue", "rd", "road", "ln", "lane", "dr", "drive", "ct", "court",
        "way", "pl", "place", "blvd", "boulevard", "cir", "circle", "ter", "terrace", "pkwy",
        "parkway", "hwy", "highway", "trl", "trail",
    }
)  # fmt: skip

CITIES: tuple[str, ...] = (
    "Ashford", "Brookfield", "Cedar Falls", "Clearwater", "Dunmore", "Eastbrook", "Fairview",
    "Glenwood", "Greenfield", "Harborview", "Hollister", "Kingsport", "Lakemont", "Maplewood",
    "Millbrook", "Northfield", "Oakridge", "Pinecrest", "Riverton", "Rockport", "Shelbyville",
    "Southgate", "Springdale", "Stonebridge", "Westbury", "Willow Creek", "Woodhaven",
)  # fmt: skip

EMAIL_DOMAINS: tuple[str, ...] = ("example.com", "example.org", "example.net")

#: US state codes and names: states are not PHI and stay in an address surrogate
STATE_CODES: frozenset[str] = frozenset(
    """AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ
    NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC PR""".split()
)
