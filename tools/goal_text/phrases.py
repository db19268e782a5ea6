"""Reading the phrases of a goal: its leading action, what it builds or changes, where that moves to, the
constraints and the scale it states. Regular expressions over the goal's words; no model."""

from __future__ import annotations

import re

from tools.goal_text.kinds import KINDS

GOAL_VERBS = re.compile(  # the action a goal starts with, after "we need to", "please" …
    r"^(?:(?:we\s+|i\s+)?need\s+(?:someone|somebody|a person|people|a team)\s+to\s+|"
    r"(?:we|i)\s+(?:need|want|have|must|should)\s+(?:to\s+)?|(?:please|let's|lets)\s+|need to\s+|"
    r"get\s+(?=\w+\s+(?:ready|done|live|compliant|certified))|)"
    r"(stand up|set up|roll out|spin up|wind down|close out|sign off|kick off|go live with|sort out|clean up|bring|"
    r"[a-z]+(?:e|ise|ize|ate|en|ish|fy)?)\b", re.I)
_MONTH_NAMES = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*"
_OBJECT_STOP = re.compile(
    r"\s+(?:(?:by|before|within|in time for|until|no later than|ahead of|so that|so we|while|without|but|"
    r"because|as|with(?:out)? (?:no|zero)|and (?:make|keep|ensure|get|have)|in (?:the next|under|less than)|"
    r"over the (?:next|summer|winter)|(?:in|over|for) (?:\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|"
    r"twelve) (?:days?|weeks?|months?|quarters?|years?)|(?:in|during|by|for) " + _MONTH_NAMES + r"|in q[1-4]|"
    r"q[1-4]|asap|is|are|isn't|aren't|was|were|keeps)\b)|\s*[;:!?(,]|\.(?:\s|$)|\s+[-–—]\s", re.I)
_TARGET = re.compile(r"\s+(?:to|onto|into|over to)\s+(.+)$", re.I)
_CONSTRAINT = re.compile(
    r"((?:can'?t|cannot|must not|mustn'?t|may not|should not|shouldn'?t|don'?t|do not|no more than|not more than|"
    r"at most|without|with no|with zero|zero|no|only|within (?:the )?(?:current |existing )?budget|under budget|"
    r"keep(?:ing)?|must|need to keep|while (?:keeping|staying|maintaining))\b[^,.;]*)", re.I)
_SCALE = re.compile(
    r"(?<![\w.,/])(?<![A-Z]{2} )(?<![A-Z]{3} )(?<![A-Z]{4} )"  # not a standard's number ("ISO 9001", "IATF 16949")
    r"((?!(?:19|20)\d\d\b)\d[\d,.]*\s*[kKmM]?\+?\s+(?!(?i:weeks?|days?|months?|years?|quarters?|sprints?|h|hours?|"
    r"minutes?|mins?|seconds?|percent|%|jan\w*|feb\w*|mar\w*|apr\w*|may|jun\w*|jul\w*|aug\w*|sep\w*|oct\w*|"
    r"nov\w*|dec\w*|working|business|calendar|pts?|points?)\b)[a-zA-Z][\w-]*)")


_SUBJECT_NEEDS = re.compile(
    r"^(?:our|the|my)?\s*(?P<subject>[^,.;:]{3,60}?)\s+(?:needs?|has|have|must|should)\s+(?:to\s+)?(?:be\s+|get\s+)?"
    r"(?P<rest>.+)$", re.I)
_STATES = {"certified": "certification", "compliant": "compliance", "ready": "readiness", "live": "launch",
           "audited": "audit", "migrated": "migration", "replaced": "replacement", "renovated": "renovation",
           "done": "completion"}
_REPLACING = re.compile(r"^(?:replace|swap|exchange|substitute)", re.I)
_MOVING = re.compile(r"^(?:migrat|move|switch|transfer|port|shift|transition|consolidat|convert|upgrad|relocat|"
                     r"bring|roll|lift|rehost|re-?platform|outsourc|hand over|get)", re.I)
_GET_STATE = re.compile(r"^(?:get|become|be)\s+(ready|compliant|certified)\s+(?:for|with|to|against)?\s*(.+)$", re.I)
MAX_OBJECT_WORDS = 8
"""Longer objects are cut at a preposition (the rest stays in the goal's text)."""


def object_and_target(text: str) -> tuple[str, str | None]:
    """What the goal builds or changes, and where it moves to (for a move or a replacement)."""
    head = _OBJECT_STOP.split(text, maxsplit=1)[0].strip(" ,")
    subject = None
    needs = _SUBJECT_NEEDS.match(head)
    if needs and not looks_like_verb(head.split()[0]):  # "Our Lyon plant needs to get IATF 16949 certified"
        subject, head = _tidy(needs.group("subject")), needs.group("rest")
        state = re.search(r"\s+(" + "|".join(_STATES) + r")$", head, re.I)
        if state:
            head = f"{head[: state.start()]} {_STATES[state.group(1).lower()]}"
    state = _GET_STATE.match(head)
    if state:  # "Get ready for the SOX audit": the audit is the object (the kind of work says it is readiness)
        head = f"prepare {state.group(2)}"
    verb = GOAL_VERBS.match(head)
    acts = verb is not None and looks_like_verb(verb.group(1))
    rest = head[verb.end():].strip() if verb and acts else head
    action = verb.group(1) if verb and acts else head  # "we need to migrate …": the action is "migrate"
    target = None
    if _REPLACING.match(action):
        found = re.search(r"\s+with\s+(.+)$", rest, re.I)
    elif _MOVING.match(action) or not acts:
        found = _TARGET.search(rest)
    else:  # "cut the time … to 3 days", "reduce waiting times to under 4 hours": a number, not a destination
        found = None
    measure = re.search(r"\s+(?:from\s+.+?\s+)?to\s+(?:under|below|less than|\d).*$", rest, re.I)
    if measure:  # "… to under 4 hours", "… from 9 days to 5": a target figure, not a destination
        rest, found = rest[: measure.start()], None
    if found and len(rest[: found.start()].split()) >= 1:
        target = _tidy(found.group(1))
        rest = rest[: found.start()]
    rest = re.sub(r"^(?:(?:an?\s+)?(?:rfp|rfq|rfi|tender|bid|request for (?:proposals?|quotes?))\s+"
                  r"(?:for|to (?:select|choose|find|pick))\s+)", "", rest.strip(), flags=re.I)
    rest = re.sub(r"^(?:a|an|our|my|their)\s+(?=new\b)", "the ", rest, flags=re.I)
    rest = re.sub(r"^(?:a|an|the|our|my|all|all of our|all our|some|get)\s+(?!new\b)", "", rest, flags=re.I)
    second = re.search(r"\s+and\s+(\w+)\b", rest)
    if second and looks_like_verb(second.group(1)):  # "… warehouses and cut shipping costs": a second action
        rest = rest[: second.start()]
    object_text = _shorten(_tidy(rest) or _tidy(head))
    if subject:
        object_text = f"{object_text} for the {subject}"
    return object_text, target


def _shorten(phrase: str) -> str:
    """At most :data:`MAX_OBJECT_WORDS` words, cut before a preposition where there is one."""
    words = phrase.split()
    if len(words) <= MAX_OBJECT_WORDS:
        return phrase
    cut = max((i for i, w in enumerate(words[:MAX_OBJECT_WORDS + 1])
               if i >= 2 and w.lower() in {"in", "for", "with", "at", "across", "from", "of", "on", "and"}),
              default=MAX_OBJECT_WORDS)
    return " ".join(words[:cut])


_NOT_VERBS = frozenset({"new", "all", "our", "the", "eu", "us", "uk", "q1", "q2", "q3", "q4", "company", "team"})


def looks_like_verb(word: str) -> bool:
    """Whether a goal's word reads as the action it starts with (\"migrate\", \"stand up\", \"hire\")."""
    lowered = word.lower()
    if lowered in _NOT_VERBS or word.isupper():
        return False
    verbs = {k.cues for k in KINDS}
    return any(re.match(pattern, lowered) for pattern in verbs) or lowered in {
        "stand up", "set up", "roll out", "spin up", "wind down", "close out", "kick off", "sort out", "clean up",
        "get", "run", "hold",
        "organise", "organize", "plan", "prepare", "move", "hire", "bring", "make", "put", "establish",
        "deploy", "ship", "onboard", "start", "finish", "complete", "automate", "expand", "grow", "increase",
        "double", "triple", "consolidate", "relocate", "merge", "integrate", "centralise", "centralize", "outsource",
        "insource", "digitise", "digitize", "modernise", "modernize", "overhaul", "revamp", "refresh", "update",
        "assess", "review", "map", "design", "define", "select", "choose", "pick", "prove", "test", "trial",
        "switch", "issue", "pass", "close", "renew", "cut", "reduce", "shorten", "install", "upgrade", "retire",
        "decommission", "replace", "transfer", "convert", "achieve", "deliver", "create", "introduce"}


def _tidy(phrase: str) -> str:
    """Spaces collapsed, stray punctuation trimmed, "our X" read as "the X"."""
    phrase = re.sub(r"\s+", " ", phrase).strip(" ,.-")
    phrase = re.sub(r"^(?:our|my|their)\s+", "the ", phrase, flags=re.I)
    return phrase


def constraints(text: str) -> list[str]:
    """Phrases that limit how the work may be done ("can't lose a record", "no downtime for prod")."""
    found = []
    for match in _CONSTRAINT.finditer(text):
        phrase = match.group(1).strip(" ,.")
        if len(phrase.split()) >= 2 and not re.match(r"(?:only|must|no)\s+(?:by|before|within)\b", phrase, re.I):
            found.append(phrase)
    return list(dict.fromkeys(found))[:5]


def scale(text: str) -> str | None:
    """The first quantity the goal states ("40k SKUs", "12 branches"), if any."""
    found = _SCALE.search(text)
    return found.group(1) if found else None
