"""Synthetic full names of many naming cultures for the redaction property test.

Every pool is invented from common given and family names of its culture; none is a real
patient. ``CULTURES`` maps a category to a builder that turns draws from its pools into one
full name in the order and with the particles that culture writes it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hypothesis import strategies as st

#: connecting words of names; they are not identifying alone and are common words in
#: several languages ("de", "van", "bin"), so the property checks the name's other tokens
PARTICLES = frozenset({
    "de", "del", "la", "las", "los", "y", "van", "der", "den", "von", "zu", "ter", "ten", "al", "el",
    "bin", "ibn", "bint", "abu", "da", "dos", "di", "le", "ní", "nic", "mac",
})


@dataclass(frozen=True)
class DrawnName:
    culture: str
    full: str

    def tokens(self) -> list[str]:
        """The identifying tokens: split on spaces, hyphens and apostrophes (O'Connor ->
        O, Connor; al-Rashid -> al, Rashid), particles and one-letter pieces left out."""
        parts = re.split(r"[\s\-'’]+", self.full)
        return [p for p in parts if len(p) > 1 and p.lower() not in PARTICLES]


HISPANIC_GIVEN = ["María José", "Juan Carlos", "Guadalupe", "Alejandro", "Ximena", "Rodrigo", "Itzel",
                  "Fernando", "Marisol", "Joaquín", "Esperanza", "Tomás", "Araceli", "Ignacio"]
HISPANIC_FAMILY = ["García", "Márquez", "Hernández", "Quintanilla", "Villaseñor", "Ortega", "Echeverría",
                   "Zúñiga", "Barrientos", "Cifuentes", "Montoya", "Saldívar", "Arriaga", "Peñaloza"]
VIET_FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ"]
VIET_MIDDLE = ["Văn", "Thị", "Minh", "Ngọc", "Đức", "Thanh"]
VIET_GIVEN = ["Anh", "Hùng", "Lan", "Phương", "Tuấn", "Dũng", "Hạnh", "Quang", "Thảo", "Khoa"]
CHINESE_FAMILY = ["Wang", "Zhang", "Liu", "Chen", "Zhao", "Huang", "Zhou", "Xu", "Guo", "Lin"]
CHINESE_GIVEN = ["Xiuying", "Jianguo", "Meiling", "Zihan", "Haoran", "Yuxuan", "Xiaoming", "Jiahui", "Weiming"]
KOREAN_FAMILY = ["Kim", "Park", "Choi", "Jeong", "Kang", "Yoon", "Jang", "Lim", "Han", "Shin"]
KOREAN_GIVEN = ["Min-jun", "Seo-yeon", "Ji-hoon", "Ha-eun", "Do-yun", "Soo-ah", "Hyun-woo", "Ye-jin", "Jae-sung"]
ARABIC_GIVEN = ["Ahmed", "Fatima", "Khalid", "Yousef", "Aisha", "Omar", "Layla", "Tariq", "Noor", "Hamza"]
ARABIC_FATHER = ["Abdullah", "Saeed", "Mansour", "Rashid", "Ibrahim", "Nasser", "Faisal", "Hassan"]
ARABIC_FAMILY = ["al-Rashid", "al-Hashimi", "al-Masri", "al-Qahtani", "el-Sayed", "al-Farsi", "al-Khatib",
                 "Haddad", "Khoury", "Nasrallah"]
DUTCH_GIVEN = ["Anneke", "Joost", "Maarten", "Femke", "Sander", "Wouter", "Lieke", "Jeroen"]
DUTCH_FAMILY = ["van der Berg", "van den Heuvel", "de Vries", "van Dijk", "ter Horst", "van der Meer",
                "de Groot", "van Leeuwen"]
GERMAN_GIVEN = ["Klaus", "Friederike", "Wolfgang", "Anneliese", "Jürgen", "Gudrun", "Dietrich", "Ottilie"]
GERMAN_FAMILY = ["von Richthofen", "von Bülow", "zu Guttenberg", "Schwarzkopf", "Müller-Lüdenscheidt",
                 "Oberhauser", "Kessler", "Brandstätter"]
IRISH_GIVEN = ["Siobhan", "Padraig", "Aoife", "Cathal", "Niamh", "Eoin", "Grainne", "Ciaran", "Saoirse"]
IRISH_FAMILY = ["O'Connor", "McCarthy", "O'Sullivan", "MacNamara", "O'Donoghue", "McGillicuddy", "Fitzgerald",
                "O'Flaherty", "McLoughlin"]
YORUBA_GIVEN = ["Adebayo", "Oluwaseun", "Chiamaka", "Folasade", "Olumide", "Ngozi", "Temitope", "Chukwuemeka",
                "Yetunde", "Babatunde"]
YORUBA_FAMILY = ["Ogunlesi", "Adeyemi", "Okonkwo", "Balogun", "Oyelaran", "Nwachukwu", "Adebisi", "Eze",
                 "Olawale", "Okafor"]
INDIAN_GIVEN = ["Priya", "Venkata", "Gurpreet", "Lakshmi", "Arjun", "Deepika", "Sanjay", "Ananya", "Harpreet",
                "Srinivas"]
INDIAN_FAMILY = ["Raghunathan", "Subramanian", "Singh Dhillon", "Chatterjee", "Venkataraman", "Iyer",
                 "Deshpande", "Bhattacharya", "Kaur Sandhu", "Reddy"]
SLAVIC_GIVEN = ["Wojciech", "Svetlana", "Dragan", "Zdeněk", "Agnieszka", "Miroslav", "Yevgeniya", "Bogdan",
                "Ludmila"]
SLAVIC_FAMILY = ["Przybylski", "Kuznetsova", "Petrović", "Dvořák", "Wiśniewska", "Novaković", "Szczepański",
                 "Volkov", "Hrabovský"]
HAWAIIAN_GIVEN = ["Keoni", "Leilani", "Kaimana", "Noelani", "Makoa", "Kalani", "Pualani", "Ikaika"]
HAWAIIAN_FAMILY = ["Kahananui", "Kaʻahumanu", "Akana", "Kealoha", "Kamakau", "Nakamoto-Kealoha", "Kahale",
                   "Palakiko"]
ANGLO_GIVEN = ["Emily", "Brandon", "Tasha", "Courtney", "Dwayne", "Heather", "Garrett", "Megan"]
ANGLO_FAMILY = ["Smith", "Whitfield", "Pemberton", "Ashworth", "Greene", "Holloway", "Thornbury", "Caldwell"]


#: every pool above, for the check that no template already holds a name token
POOLS: list[list[str]] = [v for k, v in dict(globals()).items() if k.endswith(("_GIVEN", "_FAMILY", "_MIDDLE", "_FATHER"))]


def _pick(pool: list[str]) -> st.SearchStrategy[str]:
    return st.sampled_from(pool)


def _joined(*parts: st.SearchStrategy[str], sep: str = " ") -> st.SearchStrategy[str]:
    return st.tuples(*parts).map(lambda t: sep.join(t))


#: category -> strategy of full names written the way that culture writes them
CULTURES: dict[str, st.SearchStrategy[str]] = {
    # given name(s), paternal and maternal surname, sometimes joined by "y"
    "hispanic_double_surname": st.one_of(
        _joined(_pick(HISPANIC_GIVEN), _pick(HISPANIC_FAMILY), _pick(HISPANIC_FAMILY)),
        _joined(_pick(HISPANIC_GIVEN), _pick(HISPANIC_FAMILY), st.just("y"), _pick(HISPANIC_FAMILY)),
        _joined(_pick(HISPANIC_GIVEN), _joined(_pick(HISPANIC_FAMILY), _pick(HISPANIC_FAMILY), sep="-")),
    ),
    "vietnamese_family_first": _joined(_pick(VIET_FAMILY), _pick(VIET_MIDDLE), _pick(VIET_GIVEN)),
    "chinese_family_first": _joined(_pick(CHINESE_FAMILY), _pick(CHINESE_GIVEN)),
    "korean_family_first": _joined(_pick(KOREAN_FAMILY), _pick(KOREAN_GIVEN)),
    "arabic_particles": st.one_of(
        _joined(_pick(ARABIC_GIVEN), st.sampled_from(["bin", "ibn"]), _pick(ARABIC_FATHER), _pick(ARABIC_FAMILY)),
        _joined(_pick(ARABIC_GIVEN), _pick(ARABIC_FAMILY)),
    ),
    "dutch_particles": _joined(_pick(DUTCH_GIVEN), _pick(DUTCH_FAMILY)),
    "german_particles": _joined(_pick(GERMAN_GIVEN), _pick(GERMAN_FAMILY)),
    "irish_o_mc": _joined(_pick(IRISH_GIVEN), _pick(IRISH_FAMILY)),
    "nigerian_yoruba_igbo": _joined(_pick(YORUBA_GIVEN), _pick(YORUBA_FAMILY)),
    "indian": _joined(_pick(INDIAN_GIVEN), _pick(INDIAN_FAMILY)),
    "slavic": _joined(_pick(SLAVIC_GIVEN), _pick(SLAVIC_FAMILY)),
    "hawaiian": _joined(_pick(HAWAIIAN_GIVEN), _pick(HAWAIIAN_FAMILY)),
    "hyphenated": _joined(_pick(ANGLO_GIVEN), _joined(_pick(ANGLO_FAMILY), _pick(ANGLO_FAMILY), sep="-")),
}

#: message contexts: a patient-portal message, an SMS and a voicemail transcript
TEMPLATES: dict[str, str] = {
    "portal": "Hello, this is {name}. I need to reschedule my appointment next Tuesday, please let me know "
              "what times are open. Thank you.",
    "portal_signed": "Can someone refill my blood pressure medication? I am almost out.\n\nThanks,\n{name}",
    "sms": "hi its {name} can u call me back about my bill",
    "sms_for_someone": "my dad {name} has had a fever since yesterday, should we come in??",
    "voicemail": "Voicemail transcript: Hi, um, this is {name} calling about my lab results from last week, "
                 "please call me back when you get a chance, thanks bye.",
}


def named_message() -> st.SearchStrategy[tuple[DrawnName, str]]:
    """(name, context) pairs: a culture, one of its names and one of the templates."""
    def build(culture: str) -> st.SearchStrategy[tuple[DrawnName, str]]:
        return st.tuples(CULTURES[culture].map(lambda full: DrawnName(culture, full)), st.sampled_from(sorted(TEMPLATES)))

    return st.sampled_from(sorted(CULTURES)).flatmap(build)


def surviving_tokens(name: DrawnName, redacted: str) -> list[str]:
    """The name's tokens still in ``redacted`` as whole words (case-insensitive)."""
    return [t for t in name.tokens() if re.search(rf"(?<!\w){re.escape(t)}(?!\w)", redacted, re.IGNORECASE)]


