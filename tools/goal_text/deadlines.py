"""Reading a goal's deadline: dates, quarters, durations, relative and vague phrases.

Every reading says what it rests on; a vague or missing deadline becomes a stated assumption on the plan
("assumed 12 weeks: 'peak season' is not a date") rather than a silent default.
"""

from __future__ import annotations

import calendar
import math
import re
from dataclasses import dataclass
from datetime import date, timedelta

from tools.goal_text.errors import PlanningError

DEFAULT_WEEKS = 12
"""Weeks assumed when a goal gives no date, or only a vague one."""
ASAP_WEEKS = 6
"""Weeks assumed for "ASAP" / "urgently" (a short horizon, to be confirmed)."""
SPRINT_WEEKS = 2
"""Length assumed for a sprint."""
MAX_WEEKS = 156
"""Longest horizon a single goal may have."""


class DeadlineError(PlanningError):
    """A deadline that cannot be planned for (in the past, too far away); the message says why."""


@dataclass(frozen=True, kw_only=True)
class Deadline:
    """When a goal must be done, and how that was read."""

    weeks: int
    """Whole weeks from the submission date (at least 1)."""
    due: date
    """The date the plan works to."""
    phrase: str | None
    """The words it was read from (None when the goal gives none)."""
    assumption: str | None
    """What was assumed, when the goal was vague or silent; None for an explicit deadline."""


_MONTHS = {name.lower(): n for n, name in enumerate(calendar.month_name) if name}
_MONTHS |= {name.lower(): n for n, name in enumerate(calendar.month_abbr) if name}
_MONTHS["sept"] = 9
_MONTH = r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?" \
         r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b\.?"
_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
            "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "couple of": 2, "few": 3}
_UNIT_WEEKS = {"day": 1 / 7, "week": 1.0, "wk": 1.0, "fortnight": 2.0, "month": 52 / 12, "quarter": 13.0,
               "year": 52.0, "sprint": float(SPRINT_WEEKS)}
_AMOUNT = r"(\d+(?:\.\d+)?|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|couple of|few)"
_UNIT = r"(day|week|wk|fortnight|month|quarter|year|sprint)s?"
_LEAD = r"(?:by|before|until|till|no later than|due|for|in|at|on|ahead of|prior to)?\s*(?:the\s+)?"
_VAGUE = (
    (r"\b(asap|as soon as possible|urgent(?:ly)?|immediately|right away)\b", ASAP_WEEKS),
    (r"\b(?:before|by|ahead of)\s+(?:the\s+)?((?:peak|busy|holiday|high|summer|winter|christmas|festive)"
     r"(?:\s+(?:season|period|rush))?|(?:the\s+)?season)\b", DEFAULT_WEEKS),
    (r"\b(soon|shortly|this season|in due course|when possible|eventually)\b", DEFAULT_WEEKS),
)
_FISCAL_YEAR_END = re.compile(r"\b(?:by|before|until|for)?\s*(?:the\s+)?end\s+of\s+(?:the\s+)?"
                              r"(?:financial|fiscal)\s+year\b|\b(?:by|before)\s+(?:the\s+)?(?:fy|fiscal)[- ]?end\b")


def read_deadline(text: str, today: date) -> Deadline:
    """The goal's deadline; the earliest when it gives several.

    Raises:
        DeadlineError: The deadline is in the past or more than :data:`MAX_WEEKS` away.
    """
    normalised = " ".join(text.split())
    lowered = normalised.lower()
    found = [(due, _as_written(normalised, phrase), note) for due, phrase, note in
             _durations(lowered, today) + _quarters(lowered, today) + _dates(lowered, today) + _relative(lowered, today)
             + _seasons(lowered, today)]
    if found:
        earliest = min(found, key=lambda d: d[0])
        due, phrase, note = earliest
        if note:
            note = note.replace(phrase.lower(), phrase)
        if due <= today:
            raise DeadlineError(f"the deadline “{phrase}” is not in the future; give a date after {today:%d %B %Y}")
        weeks = math.ceil((due - today).days / 7)
        if weeks > MAX_WEEKS:
            raise DeadlineError(f"the deadline “{phrase}” is more than {MAX_WEEKS} weeks away; split the goal into "
                                "stages with nearer deadlines")
        others = sorted({p for d, p, _ in found if d != due})
        assumption = note
        if others:
            extra = f"the goal also says “{'”, “'.join(others)}”; the earliest deadline (“{phrase}”) is planned for"
            assumption = f"{note}; {extra}" if note else extra
        return Deadline(weeks=max(1, weeks), due=due, phrase=phrase, assumption=assumption)
    for pattern, weeks in _VAGUE:
        vague = re.search(pattern, lowered)
        if vague:
            phrase = _as_written(normalised, vague.group(0))
            return Deadline(weeks=weeks, due=today + timedelta(weeks=weeks), phrase=phrase,
                            assumption=f"assumed {weeks} weeks: “{phrase}” is not a date")
    if re.search(r"\b(yesterday|last (?:week|month|year)|already overdue)\b", lowered):
        raise DeadlineError("the deadline is in the past; give a date in the future")
    return Deadline(weeks=DEFAULT_WEEKS, due=today + timedelta(weeks=DEFAULT_WEEKS), phrase=None,
                    assumption=f"no deadline given: assumed {DEFAULT_WEEKS} weeks")


def _as_written(text: str, phrase: str) -> str:
    """``phrase`` (found in the lower-cased text) as the goal writes it."""
    at = text.lower().find(phrase)
    return text[at:at + len(phrase)] if at >= 0 else phrase


Reading = tuple[date, str, str | None]
"""A deadline found: the date, the words, and what was assumed to read them."""


def _durations(text: str, today: date) -> list[Reading]:
    found: list[Reading] = []
    pattern = rf"\b(?:within|in|over|inside|next|for|in the next|within the next|over the next)\s+(?:the\s+)?" \
              rf"{_AMOUNT}\s+{_UNIT}\b"
    for match in re.finditer(pattern, text):
        amount_text, unit = match.group(1), match.group(2)
        amount = float(amount_text) if amount_text[0].isdigit() else float(_NUMBERS[amount_text])
        note = f"a sprint taken as {SPRINT_WEEKS} weeks" if unit == "sprint" else None
        found.append((today + timedelta(days=round(amount * _UNIT_WEEKS[unit] * 7)), match.group(0), note))
    # a bare duration closing a clause, as managers tack it on: "rebuild it so we can trust it, 8 weeks"
    for match in re.finditer(rf"[,;:–—-]\s*{_AMOUNT}\s+{_UNIT}\b(?=\s*(?:$|[.,;!)]))", text):
        amount_text, unit = match.group(1), match.group(2)
        amount = float(amount_text) if amount_text[0].isdigit() else float(_NUMBERS[amount_text])
        found.append((today + timedelta(days=round(amount * _UNIT_WEEKS[unit] * 7)),
                      match.group(0).lstrip(",;:–—- "), None))
    sprint = re.search(r"\b(?:in|by|within|during)\s+(?:the\s+)?(next|this|current)\s+sprint\b", text)
    if sprint:
        weeks = SPRINT_WEEKS * (2 if sprint.group(1) == "next" else 1)
        found.append((today + timedelta(weeks=weeks), sprint.group(0),
                      f"a sprint taken as {SPRINT_WEEKS} weeks; “{sprint.group(1)} sprint” ends in {weeks} weeks"))
    for match in re.finditer(r"\b(?:by|before|until|in|within|for)?\s*(?:the\s+)?(?:end\s+of\s+)?"
                             r"(next|this)\s+(week|month|quarter|year)\b", text):
        which, unit = match.group(1), match.group(2)
        found.append((_period_end(today, unit, 1 if which == "next" else 0), match.group(0).strip(), None))
    for unit in ("year", "month", "week"):
        short = {"year": "eoy", "month": "eom", "week": "eow"}[unit]
        lead = r"(?:by\s+|before\s+|until\s+)?"
        not_a_task = r"(?!\s+(?:close|report))"  # "month-end close" is work, not a date
        pattern = (rf"\b{lead}(?:the\s+)?end\s+of\s+(?:the\s+)?{unit}\b{not_a_task}"
                   rf"|\b(?:by|before|until|at)\s+(?:the\s+)?{unit}[- ]end\b{not_a_task}|\b{lead}{short}\b")
        for match in re.finditer(pattern, text):
            found.append((_period_end(today, unit, 0), match.group(0).strip(), None))
    year_only = r"\b(?:by|before|until|in)\s+(?:the\s+)?(?:end\s+of\s+)?(mid[- ])?(20\d\d)\b(?![-/])"
    for match in re.finditer(year_only, text):
        year = int(match.group(2))
        due = date(year, 6, 30) if match.group(1) else date(year, 12, 31)
        note = None if "end" in match.group(0) else f"“{match.group(0)}” read as {due:%d %B %Y}"
        found.append((due, match.group(0), note))
    fiscal = _FISCAL_YEAR_END.search(text)
    if fiscal:
        found.append((_period_end(today, "year", 0), fiscal.group(0).strip(),
                      "the financial year taken to end on 31 December; say the date if it does not"))
    return found


def _period_end(today: date, unit: str, ahead: int) -> date:
    if unit == "week":  # weeks end on Sunday; said on a Sunday, "end of week" is the coming one
        return today + timedelta(days=(6 - today.weekday()) + 7 * ahead or 7)
    if unit == "year":
        return date(today.year + ahead, 12, 31)
    if unit == "month":
        month = today.month - 1 + ahead
        year, month = today.year + month // 12, month % 12 + 1
        return date(year, month, calendar.monthrange(year, month)[1])
    quarter = (today.month - 1) // 3 + ahead
    year, quarter = today.year + quarter // 4, quarter % 4 + 1
    return date(year, quarter * 3, calendar.monthrange(year, quarter * 3)[1])


def _quarters(text: str, today: date) -> list[Reading]:
    found: list[Reading] = []
    for match in re.finditer(rf"\b{_LEAD}(?:end\s+of\s+)?(?:q([1-4])|h([12]))(?:\s*(?:fy)?'?(\d{{4}}|\d{{2}}))?\b",
                             text):
        quarter = int(match.group(1)) if match.group(1) else int(match.group(2)) * 2
        year_text = match.group(3)
        year = (2000 + int(year_text) if len(year_text) == 2 else int(year_text)) if year_text else today.year
        end = date(year, quarter * 3, calendar.monthrange(year, quarter * 3)[1])
        note = None
        if end < today and not year_text:
            end = date(year + 1, end.month, end.day)
            note = f"“{match.group(0).strip()}” read as {end.year}'s (this year's has passed)"
        elif not year_text and (end - today).days < 7 * 6:  # the quarter now ending: "by Q4" in December
            end = date(year + 1, end.month, end.day)
            note = f"“{match.group(0).strip()}” read as {end.year}'s (this year's ends within six weeks)"
        found.append((end, match.group(0).strip(), note))
    return found


def _dates(text: str, today: date) -> list[Reading]:
    found: list[Reading] = []
    for match in re.finditer(r"\b(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})\b", text):
        first, second, year_text = int(match.group(1)), int(match.group(2)), match.group(3)
        year = int(year_text) + (2000 if len(year_text) == 2 else 0)
        day, month, note = first, second, None
        if second > 12 >= first:
            day, month = second, first
        elif first <= 12 and second <= 12 and first != second:
            note = f"“{match.group(0)}” read as day/month ({first} {calendar.month_name[second]})"
        try:
            found.append((date(year, month, day), match.group(0), note))
        except ValueError:
            continue
    for match in re.finditer(r"\b(\d{4})-(\d{2})-(\d{2})\b", text):
        try:
            found.append((date(int(match.group(1)), int(match.group(2)), int(match.group(3))), match.group(0), None))
        except ValueError:
            continue
    day_month = rf"(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}(?:,?\s+(\d{{4}}))?"
    # "Feb 12", not "Feb. 12-month curriculum": a number joined to a word by a hyphen is no day
    month_day = rf"{_MONTH}\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?!-)(?:,?\s+(\d{{4}}))?"
    taken: list[tuple[int, int]] = []
    for match in re.finditer(rf"\b{day_month}", text):
        found += _day(today, int(match.group(1)), match.group(2), match.group(3), match.group(0))
        taken.append(match.span())
    for match in re.finditer(rf"\b{month_day}", text):
        found += _day(today, int(match.group(2)), match.group(1), match.group(3), match.group(0))
        taken.append(match.span())
    # a month alone: "by end of March", "before June", "by August", "in March 2027"
    for match in re.finditer(rf"\b(by|before|until|till|in|during|for|end of|by the end of|by end of|ahead of|"
                             rf"no later than)\s+(?:the\s+)?(?:end\s+of\s+)?(?:early\s+|mid[- ]|late\s+)?{_MONTH}"
                             rf"(?:\s+(\d{{4}}))?", text):
        if any(s <= match.start() < e or s < match.end() <= e for s, e in taken):
            continue
        lead, month, year_text = match.group(1), _MONTHS[match.group(2).rstrip(".")], match.group(3)
        phrase = match.group(0)
        year = int(year_text) if year_text else today.year
        if not year_text and (year, month) < (today.year, today.month):
            year += 1
        if lead == "before":
            due = date(year, month, 1) - timedelta(days=1)
            note = None
        elif lead in ("by", "until", "till", "no later than", "ahead of") and "end" not in phrase \
                and not re.search(r"early|mid|late", phrase):
            due = date(year, month, 1) - timedelta(days=1)
            month_start = date(year, month, 1)
            note = (f"“{phrase}” read as before {month_start:%d %B %Y} (say “end of {month_start:%B}” for the "
                    "month's end)")
        elif "early" in phrase:
            due, note = date(year, month, 10), f"“{phrase}” read as {date(year, month, 10):%d %B %Y}"
        elif "mid" in phrase:
            due, note = date(year, month, 15), f"“{phrase}” read as {date(year, month, 15):%d %B %Y}"
        else:
            due = date(year, month, calendar.monthrange(year, month)[1])
            note = None if "end" in lead or "end of" in phrase else f"“{phrase}” read as the end of {due:%B %Y}"
        if due < today and not year_text:
            continue
        found.append((due, phrase, note))
    return found


_SEASON_ENDS = {"spring": (5, 31), "summer": (8, 31), "autumn": (11, 30), "fall": (11, 30), "winter": (2, 28)}


def _seasons(text: str, today: date) -> list[Reading]:
    """ "over the summer", "before summer", "by autumn 2027" (northern-hemisphere seasons, stated as assumed)."""
    found: list[Reading] = []
    for match in re.finditer(r"\b(over|during|by|before|in|until)\s+(?:the\s+)?(?:next\s+)?(?:end\s+of\s+(?:the\s+)?)?"
                             r"(spring|summer|autumn|fall|winter)(?:\s+(\d{4}))?\b(?!\s+(?:range|collection|line))",
                             text):
        lead, season, year_text = match.group(1), match.group(2), match.group(3)
        month, day = _SEASON_ENDS[season]
        year = int(year_text) if year_text else today.year
        end = date(year, month, day)
        start_month = {5: 3, 8: 6, 11: 9, 2: 12}[month]
        if lead == "before":
            start_year = year - 1 if start_month == 12 else year
            end = date(start_year, start_month, 1) - timedelta(days=1)
        while end < today and not year_text:
            end = date(end.year + 1, end.month, 28 if end.month == 2 else end.day)
        found.append((end, match.group(0), f"“{match.group(0)}” read as {end:%d %B %Y} (northern-hemisphere seasons)"))
    return found


def _day(today: date, day: int, month_name: str, year_text: str | None, phrase: str) -> list[Reading]:
    month = _MONTHS[month_name.rstrip(".")]
    year = int(year_text) if year_text else today.year
    try:
        due = date(year, month, day)
        if not year_text and due < today:
            due = date(year + 1, month, day)
    except ValueError:
        return []
    return [(due, phrase, None)]


def _relative(text: str, today: date) -> list[Reading]:
    found: list[Reading] = []
    for match in re.finditer(r"\b(?:by|before|until)\s+(?:(?:the\s+)?christmas|xmas|new year)\b", text):
        before = match.group(0).startswith("before")
        day = date(today.year, 12, 24 if before or "new year" not in match.group(0) else 31)
        if day < today:
            day = date(day.year + 1, day.month, day.day)
        found.append((day, match.group(0), None))
    for match in re.finditer(r"\b(?:by|before|until)\s+(?:next\s+|this\s+)?(tomorrow|yesterday|today|monday|tuesday|"
                             r"wednesday|thursday|friday|saturday|sunday)\b", text):
        word = match.group(1)
        if word in ("yesterday", "today"):
            found.append((today - timedelta(days=1 if word == "yesterday" else 0), match.group(0), None))
        elif word == "tomorrow":
            found.append((today + timedelta(days=1), match.group(0), None))
        else:
            days = (list(calendar.day_name).index(word.capitalize()) - today.weekday()) % 7 or 7
            if " next " in f" {match.group(0)} " and days < 7:  # "next Friday": the one in next week
                days += 7 if today.weekday() < list(calendar.day_name).index(word.capitalize()) else 0
            found.append((today + timedelta(days=days), match.group(0), None))
    return found
