"""Understanding a goal: what is built or changed, the kind of work, the domain, constraints, scale, deadline.

Word senses come from the whole goal: the goal (with its abbreviations spelled out, :mod:`.vocabulary`) is
embedded with the offline MiniLM and compared with short descriptions of each kind of work and each business
domain, so "warehouse … pick-and-pack … WMS" reads as a distribution centre and "data warehouse" does not.
Strong cue words (an RFP is a contract negotiation; "migrate … to" is a migration) add to the similarity.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import numpy as np

from agents.planning import vocabulary
from agents.planning.deadlines import Deadline, read_deadline
from agents.planning.errors import PlanningError
from agents.schemas import GoalReading
from tools.embeddings import get_encoder
from tools.taxonomy import load_task_library, tokens
from tools.work_activities import F32, load_activity_space


class GoalNotUnderstood(PlanningError):
    """A goal the planner cannot plan; the message tells the manager what to add."""


@dataclass(frozen=True, kw_only=True)
class KindOfWork:
    """A kind of work the planner has a template for."""

    name: str
    """Key (``migration``)."""
    label: str
    """In words ("migration")."""
    prototypes: tuple[str, ...]
    """Goals of this kind, as managers write them (embedded and compared with the goal)."""
    cues: str
    """Regular expression of words that point to this kind."""


KINDS: tuple[KindOfWork, ...] = (
    KindOfWork(name="migration", label="migration", prototypes=(
        "migrate the system to a new platform", "move our process onto the new software",
        "replace the old system with a new one and move the data", "switch to a new provider",
        "consolidate systems into one platform", "upgrade to the new version of the software"),
        cues=r"\b(migrat\w*|move\w* .*\b(?:to|onto|into)\b|switch\w* (?:to|over)|replac\w*|cut ?over|"
             r"upgrad\w*|transition\w* to|port\w* to|re-?platform\w*|decommission\w*)\b"),
    KindOfWork(name="launch", label="launch or build", prototypes=(
        "launch a new product", "build a new service for customers", "stand up a new capability",
        "roll out a new offering", "open a new branch", "introduce a new app"),
        cues=r"\b(launch\w*|stand up|set up|build|roll ?out|introduc\w*|open\w*|go live|release|create|"
             r"implement\w*|deliver\w*|develop\w*)\b"),
    KindOfWork(name="audit_compliance", label="audit or compliance readiness", prototypes=(
        "get ready for the external audit", "become compliant with the new regulation",
        "prepare for the regulatory inspection", "achieve the certification", "close the audit findings"),
        cues=r"\b(audit\w*|complian\w*|complie?s?|regulat\w*|inspection|certif\w*|accredit\w*|readiness|sox|gdpr|"
             r"hipaa|kyc|aml|pci|iso ?\d+|controls?|findings)\b"),
    KindOfWork(name="process_change", label="process change", prototypes=(
        "redesign the process to cut the cycle time", "reduce errors in the handling",
        "streamline the approval workflow", "standardise how the teams work", "improve the turnaround time"),
        cues=r"\b(reduc\w*|cut|improv\w*|streamlin\w*|redesign\w*|standardi[sz]\w*|automat\w*|speed up|consolidat\w*|"
             r"fix|lower|shorten\w*|halve|eliminat\w*|re-?engineer\w*)\b"),
    KindOfWork(name="analytics", label="analytics or model", prototypes=(
        "build a dashboard of the key figures", "forecast demand with a model",
        "analyse the data to find the drivers", "score customers with a predictive model",
        "report on the monthly numbers"),
        cues=r"\b(dashboards?|analytic\w*|analy[sz]\w*|forecast\w*|models?|reporting|reports?|metrics|kpis?|"
             r"insights?|predict\w*|scor(?:e|ing)|segment\w*|attribution|bi|deep[- ]dive|root[- ]cause|"
             r"recommendations?|drivers|trends?)\b"),
    KindOfWork(name="event", label="event", prototypes=(
        "organise the annual conference", "run the company offsite", "host a customer event",
        "plan the town hall meeting", "exhibit at the trade show"),
        cues=r"\b(conference|offsite|off-site|summit|event|town ?hall|trade ?show|expo|gala|launch party|"
             r"kick-?off|workshop|hackathon|fair|festival|webinar|retreat)\b"),
    KindOfWork(name="programme", label="hiring or training programme", prototypes=(
        "hire new staff for the team", "recruit nurses for the new ward", "train all managers on the new policy",
        "onboard the new joiners", "run a training programme for the staff", "upskill the team"),
        cues=r"\b(hir\w*|recruit\w*|train\w*|onboard\w*|upskill\w*|reskill\w*|coach\w*|mentor\w*|"
             r"graduate|apprentice\w*|intern\w*|staff up|headcount|academy|curriculum|course)\b"),
    KindOfWork(name="construction_maintenance", label="construction or maintenance", prototypes=(
        "renovate the floor of the building", "build an extension to the building", "replace the roof",
        "refurbish the premises", "install new equipment", "repair the heating system"),
        cues=r"\b(renovat\w*|refurbish\w*|construct\w*|fit[- ]?out|retrofit\w*|repair\w*|maint\w*|install\w*|"
             r"roof\w*|hvac|extension|remodel\w*|paint\w*|wiring|plumbing|demolish\w*|build-?out|shutdown|"
             r"turnaround|overhaul)\b"),
    KindOfWork(name="research_validation", label="research or validation", prototypes=(
        "validate the new lab method", "run a clinical study", "test whether the new material works",
        "research the market for the new product", "run a pilot trial to prove the approach"),
        cues=r"\b(validat\w*|research\w*|stud(?:y|ies)|trials?|experiment\w*|pilot\w*|prototyp\w*|"
             r"feasibility|proof of concept|poc|assay\w*|evaluat\w*|benchmark\w*)\b"),
    KindOfWork(name="contract_negotiation", label="contract or negotiation", prototypes=(
        "renegotiate the supplier contracts", "run a tender to select a vendor", "issue an RFP and pick a provider",
        "negotiate the new lease", "sign the partnership agreement"),
        cues=r"\b(renegotiat\w*|negotiat\w*|contracts?|tender\w*|rfp|rfq|rfi|vendors?|suppliers?|sourc\w*|renew\w*|"
             r"procure\w*|lease|agreements?|bids?|pricing|terms)\b"),
)
"""The kinds of work, each with a task template in :mod:`.templates`."""


@dataclass(frozen=True, kw_only=True)
class Domain:
    """A business domain."""

    name: str
    """Key."""
    label: str
    """In words."""
    description: str
    """What work in it looks like (embedded and compared with the goal)."""


DOMAIN_CUES: dict[str, str] = {
    "logistics": r"warehous\w*|pick(?:ing)?[- ]and[- ]pack|fulfil\w*|shipping|freight|carriers?|fleet|inventory|"
                 r"stock|pallets?|forklift|distribution cent\w*|supply chain|3pl|dcs?|skus?|wms|tms|last[- ]mile",
    "manufacturing": r"plant|factory|production line|assembly|machin\w*|scrap|yield|oee|gmp|batch|packaging line|"
                     r"shop floor|mes|iatf|lean|six sigma|tooling",
    "it": r"servers?|network\w*|switch(?:es)?|firewall|cloud|aws|azure|laptops?|m365|office 365|sso|identity|"
          r"infrastructure|data cent\w*|outage|incident|help ?desk|erp|sap|upgrade|software|app|mobile|api|devops|"
          r"soc ?2|iso ?27001|security|cyber\w*|vulnerabilit\w*",
    "data": r"data|dashboards?|analytics|reporting|warehouse (?:tables|loads)|dwh|etl|pipeline|bi|churn|forecast\w*|"
            r"models?|machine learning|ml|ai|snowflake|databricks|tableau|power bi|sql|databases?",
    "finance": r"close|ledger|gl|accounts? payable|accounts? receivable|ap|ar|invoices?|budget\w*|p&l|tax|vat|"
               r"treasury|cash|audit\w*|sox|ifrs|gaap|controllers?|fp&a|month[- ]end|year[- ]end|revenue",
    "payments": r"payments?|cards?|acquir\w*|issuing|merchants?|sepa|instant|transfers?|pci|tokeni[sz]\w*|"
                r"chargebacks?|wallets?",
    "banking": r"bank\w*|branch\w*|account opening|accounts? for|loans?|lending|mortgages?|kyc|aml|cdd|deposits?|"
               r"credit",
    "hr": r"hir\w*|recruit\w*|onboard\w*|employees|staff|headcount|payroll|hris|performance reviews?|"
          r"people managers|attrition|retention|benefits|compensation|training|l&d|engineers? for",
    "sales_service": r"sales|customers?|crm|pipeline|leads?|renewals?|accounts? team|call cent\w*|contact cent\w*|"
                     r"support|tickets?|nps|csat|service desk|churn|quota",
    "marketing": r"marketing|brand\w*|campaigns?|advertis\w*|seo|social media|website|logo|launch event|"
                 r"segments?|loyalty|promotions?|attribution",
    "communications": r"press|media|pr|journalists?|announce\w*|internal comms|comms|newsletter|town ?hall|"
                      r"spokespe\w*|crisis",
    "legal": r"legal|contracts?|litigation|dispute|gdpr|privacy|dpia|counsel|lawyers?|"
             r"compliance|regulat\w*|terms|nda|msa",
    "procurement": r"procure\w*|purchas\w*|suppliers?|vendors?|sourcing|rfp|rfq|tenders?|spend|"
                   r"buyers?|purchase orders?|pos",
    "facilities": r"offices?|buildings?|premises|floors?|facilit\w*|hvac|cooling|heating|lease|desks?|"
                  r"fire|life safety|security guards?|cleaning|move|relocat\w*|fm",
    "construction": r"construct\w*|roof\w*|renovat\w*|fit[- ]?out|contractors?|site|sq ?ft|permits?|build-?out|"
                    r"extension|demolish\w*",
    "healthcare": r"hospitals?|clinics?|patients?|nurs\w*|physicians?|doctors?|ed|er|or|icu|wards?|ehr|emr|"
                  r"triage|beds?|discharge|vaccinat\w*|medical|care",
    "research": r"lab\w*|research|stud(?:y|ies)|trials?|clinical|assays?|validat\w*|protocols?|samples?|"
                r"experiment\w*|scien\w*|r&d",
}
"""Words that point to each domain; a goal's matches add to its embedding similarity (at most two count)."""
DOMAIN_CUE_WEIGHT = 0.06
"""Similarity added to a domain per cue word."""


DOMAINS: tuple[Domain, ...] = (
    Domain(name="logistics", label="logistics and distribution", description=(
        "distribution centre and warehouse operations: picking, packing, shipping, freight, inventory, "
        "transport, supply chain")),
    Domain(name="manufacturing", label="manufacturing", description=(
        "factory production lines, plant operations, assembly, machining, product quality control and quality "
        "management systems")),
    Domain(name="it", label="IT", description=(
        "software applications, IT systems, servers, data centres, network equipment, cloud infrastructure, "
        "cybersecurity, IT support")),
    Domain(name="data", label="data and analytics", description=(
        "data analytics, dashboards, databases and data warehouses, reporting, statistical and machine "
        "learning models")),
    Domain(name="finance", label="finance and accounting", description=(
        "accounting, financial close, budgets, financial reporting, tax, treasury, internal controls")),
    Domain(name="payments", label="payments", description=(
        "card payments, bank transfers, instant payments, payment processing, merchants")),
    Domain(name="banking", label="banking", description=(
        "retail bank branches, account opening, lending, loans, mortgages, customer due diligence")),
    Domain(name="hr", label="people and HR", description=(
        "human resources: hiring, recruiting, onboarding employees, training, pay, performance reviews")),
    Domain(name="sales_service", label="sales and customer service", description=(
        "sales teams, customer accounts, call centre, customer support, service desk")),
    Domain(name="marketing", label="marketing", description=(
        "marketing campaigns, brand, advertising, social media, market research, promotions")),
    Domain(name="communications", label="communications", description=(
        "public relations, press, internal communications, announcements, media, events")),
    Domain(name="legal", label="legal", description=(
        "legal contracts, regulations, privacy law, litigation and disputes, counsel")),
    Domain(name="procurement", label="procurement", description=(
        "purchasing, suppliers, vendor contracts, tenders, sourcing, purchase orders")),
    Domain(name="facilities", label="facilities", description=(
        "office buildings and premises, workplace moves, building maintenance, heating, cooling and electrical "
        "plant, security, cleaning")),
    Domain(name="construction", label="construction", description=(
        "construction of buildings, renovation works, contractors, building sites, civil engineering")),
    Domain(name="healthcare", label="healthcare operations", description=(
        "hospital and clinic operations: patients, nurses, physicians, emergency department, wards, medical care")),
    Domain(name="research", label="research and laboratory", description=(
        "laboratory research, scientific studies, experiments, clinical trials, method validation")),
)
"""Business domains a goal can be in."""

KIND_CUE_WEIGHT = 0.12
"""Similarity added to a kind for each of its cue words the goal uses (at most two count)."""
_GOAL_VERBS = re.compile(
    r"^(?:(?:we|i)\s+(?:need|want|have|must|should)\s+(?:to\s+)?|(?:please|let's|lets)\s+|need to\s+|"
    r"get\s+(?=\w+\s+(?:ready|done|live|compliant|certified))|)"
    r"(stand up|set up|roll out|spin up|wind down|close out|sign off|kick off|go live with|bring|"
    r"[a-z]+(?:e|ise|ize|ate|en|ish|fy)?)\b", re.I)
_MONTH_NAMES = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*"
_OBJECT_STOP = re.compile(
    r"\s+(?:(?:by|before|within|in time for|until|no later than|ahead of|so that|so we|while|without|but|"
    r"because|as|with(?:out)? (?:no|zero)|and (?:make|keep|ensure|get|have)|in (?:the next|under|less than)|"
    r"over the (?:next|summer|winter)|(?:in|over|for) (?:\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|"
    r"twelve) (?:days?|weeks?|months?|quarters?|years?)|(?:in|during|by|for) " + _MONTH_NAMES + r"|in q[1-4]|"
    r"q[1-4]|asap)\b)|\s*[;:!?(,]|\.(?:\s|$)|\s+[-–—]\s", re.I)
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


@lru_cache(maxsize=1)
def _reference_vectors() -> tuple[F32, list[int], F32]:
    """Vectors of every kind prototype (with the kind each belongs to) and of every domain description (centred)."""
    encoder = get_encoder()
    texts = [p for k in KINDS for p in k.prototypes]
    owner = [i for i, k in enumerate(KINDS) for _ in k.prototypes]
    domains = encoder.encode([d.description for d in DOMAINS])
    # centred: what is common to every domain description ("teams", "operations") favours none of them
    centred: F32 = (domains - domains.mean(axis=0)).astype(np.float32)
    return encoder.encode(texts), owner, centred


@dataclass(frozen=True, kw_only=True)
class Understanding:
    """Everything the planner read from a goal."""

    text: str
    """The goal as written (whitespace normalised)."""
    expanded: str
    """The goal with its abbreviations spelled out (what the embeddings read)."""
    reading: GoalReading
    """Object, kind, domain, constraints, scale and expansions."""
    kind: KindOfWork
    """The kind of work."""
    kind_scores: dict[str, float]
    """Similarity of each kind (cue words included)."""
    domain: Domain
    """The business domain."""
    domain_scores: dict[str, float]
    """Similarity of each domain."""
    target: str | None
    """Where a migration moves to ("the new WMS"), when the goal says."""
    technologies: dict[str, list[str]]
    """Technologies the goal names → occupations that list them."""
    deadline: Deadline
    """When it is due and how that was read."""
    vector: F32
    """Unit vector of the expanded goal."""


def warm_up() -> None:
    """Load the encoder, the activity space and the reference vectors (about 2 s) before the first goal."""
    _reference_vectors()
    _statement_words()
    _technology_words()


def understand(text: str, today: date) -> Understanding:
    """Read a goal.

    Raises:
        GoalNotUnderstood: No recognisable work in it; the message says what to add.
        agents.planning.deadlines.DeadlineError: The deadline is in the past or too far away.
    """
    cleaned = " ".join(text.split())
    abbreviations = vocabulary.find_abbreviations(cleaned)
    expanded = vocabulary.expand(cleaned)
    require_work(cleaned, expanded)
    deadline = read_deadline(cleaned, today)
    prototypes, owner, domain_vectors = _reference_vectors()
    vector = get_encoder().encode_one(expanded)
    technologies = find_technologies(cleaned)
    # the main clause says what the work is; what follows often adds a condition ("…, agents trained by April")
    main_clause = re.split(r"[,;:]|\.\s|\s[-–—]\s", expanded, maxsplit=1)[0]
    head_vector = get_encoder().encode_one(main_clause) if main_clause != expanded else vector
    object_text, target = _object(cleaned)
    kind_scores = _kind_scores(cleaned, (0.5 * vector + 0.5 * head_vector) @ prototypes.T, owner)
    if target:  # something moves somewhere: "… into the new Seaport floors", "… to the new WMS"
        kind_scores["migration"] = round(kind_scores["migration"] + 2 * KIND_CUE_WEIGHT, 4)
    kind = max(KINDS, key=lambda k: (kind_scores[k.name], -KINDS.index(k)))
    domain_sims = domain_vectors @ vector
    for abbreviation in abbreviations:  # an abbreviation may name its domain outright ("WMS", "EHR")
        if abbreviation.domain:
            domain_sims[[d.name for d in DOMAINS].index(abbreviation.domain)] += 0.08
    if technologies:  # so does a named technology, through the occupations that use it
        space = load_activity_space()
        rows = [space.occupation_codes.index(c) for codes in technologies.values() for c in codes]
        users = space.occupation_vectors[rows].mean(axis=0)
        domain_sims += 0.5 * (domain_vectors @ (users / max(float(np.linalg.norm(users)), 1e-12)))
    domain_sims += 0.5 * _occupation_votes(vector)  # the domains of the occupations whose work reads like it
    lowered = cleaned.lower()
    for i, domain in enumerate(DOMAINS):
        cues = len(re.findall(rf"\b(?:{DOMAIN_CUES[domain.name]})\b", lowered))
        domain_sims[i] += DOMAIN_CUE_WEIGHT * min(cues, 2)
    domain_scores = {d.name: round(float(s), 4) for d, s in zip(DOMAINS, domain_sims, strict=True)}
    domain = DOMAINS[int(np.argmax(domain_sims))]
    reading = GoalReading(
        object=object_text, kind=kind.label, domain=domain.label, constraints=_constraints(cleaned),
        scale=_scale(cleaned), expansions={a.short: a.expansion for a in abbreviations},
        technologies=sorted(technologies))
    return Understanding(text=cleaned, expanded=expanded, reading=reading, kind=kind, kind_scores=kind_scores,
                         domain=domain, domain_scores=domain_scores, target=target, technologies=technologies,
                         deadline=deadline, vector=vector)


_NOT_BRANDS = frozenset({
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november",
    "december", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "q1", "q2", "q3",
    "q4", "eu", "us", "uk", "the", "our", "we", "new"})


def find_technologies(text: str) -> dict[str, list[str]]:
    """Technologies a goal names by brand ("managed Postgres" → PostgreSQL), with the occupations listing them.

    A capitalised word that does not start a sentence, is not a word O*NET's task statements use, and starts a
    word of an O*NET technology name (covering at least 60% of it) names that technology; names listed by more
    than 8 technologies are too common to say.
    """
    space = load_activity_space()
    found: dict[str, list[str]] = {}
    words = _statement_words()
    for match in re.finditer(r"(?<![.!?:]\s)(?<=\s)([A-Z][A-Za-z0-9+#]{2,})", text):
        word = match.group(1)
        lowered = word.lower()
        if lowered in _NOT_BRANDS or lowered in words or (word.isupper() and len(word) <= 4):
            continue
        names = _technology_words().get(lowered[:4], [])
        hits = sorted({name for name, tech_word in names if tech_word.startswith(lowered)
                       and len(lowered) >= 0.6 * len(tech_word) and len(name.split()) <= 4}, key=len)
        if 0 < len(hits) <= 8:
            owners = sorted({o.code for o in space.library.occupations.values()
                             for name in hits if name in o.technologies})
            if owners:
                found[hits[0]] = owners
    return found


@lru_cache(maxsize=1)
def _statement_words() -> frozenset[str]:
    """Words O*NET's task statements use: ordinary English, not brand names."""
    return frozenset(w for t in load_task_library().tasks for w in re.findall(r"[a-z]+", t.text.lower()))


@lru_cache(maxsize=1)
def _technology_words() -> dict[str, list[tuple[str, str]]]:
    """Technology names by the first four letters of each of their words."""
    index: dict[str, list[tuple[str, str]]] = {}
    for name in load_activity_space().tech_names:
        for word in re.findall(r"[A-Za-z][A-Za-z0-9+#]*", name):
            if len(word) >= 3:
                index.setdefault(word.lower()[:4], []).append((name, word.lower()))
    return index


SOC_DOMAINS: tuple[tuple[str, str], ...] = (
    # most specific prefix first; from the 2018 SOC structure O*NET codes follow
    ("11-2", "marketing"), ("11-3012", "facilities"), ("11-3013", "facilities"), ("11-3021", "it"),
    ("11-3031", "finance"), ("11-3051", "manufacturing"), ("11-3061", "procurement"), ("11-3071", "logistics"),
    ("11-3111", "hr"), ("11-3121", "hr"), ("11-3131", "hr"), ("11-9021", "construction"), ("11-9041", "manufacturing"),
    ("11-9111", "healthcare"), ("11-9121", "research"), ("11-9199.02", "legal"), ("13-1020", "procurement"),
    ("13-1021", "procurement"), ("13-1022", "procurement"), ("13-1023", "procurement"), ("13-1041", "legal"),
    ("13-1071", "hr"), ("13-1075", "hr"), ("13-1081", "logistics"), ("13-1121", "communications"),
    ("13-1141", "hr"), ("13-1151", "hr"), ("13-1161", "marketing"), ("13-2", "finance"), ("13-2051", "finance"),
    ("13-2061", "banking"), ("13-2071", "banking"), ("13-2072", "banking"), ("15-12", "it"), ("15-1243", "data"),
    ("15-1242", "data"), ("15-2", "data"), ("17-", "manufacturing"), ("19-", "research"), ("23-", "legal"),
    ("25-", "hr"), ("27-1", "marketing"), ("27-3", "communications"), ("29-", "healthcare"), ("31-", "healthcare"),
    ("33-", "facilities"), ("37-", "facilities"), ("41-3031", "banking"), ("41-", "sales_service"),
    ("43-3011", "finance"), ("43-3021", "finance"), ("43-3031", "finance"), ("43-3051", "finance"),
    ("43-3071", "banking"), ("43-4051", "sales_service"), ("43-4141", "banking"), ("43-5", "logistics"),
    ("47-", "construction"), ("49-", "facilities"), ("51-", "manufacturing"), ("53-", "logistics"),
)
"""Business domain of O*NET occupations by code prefix (occupations not listed vote for none)."""


def soc_domain(code: str) -> str | None:
    """The business domain of an O*NET-SOC code, by its longest listed prefix."""
    best = max((prefix for prefix, _ in SOC_DOMAINS if code.startswith(prefix)), key=len, default=None)
    return dict(SOC_DOMAINS)[best] if best else None


def _occupation_votes(vector: F32, top: int = 8) -> np.ndarray:
    """Share of the occupations whose task statements come closest to the goal that fall in each domain."""
    space = load_activity_space()
    similarities = space.statement_vectors @ vector
    owners: list[int] = []
    for i in np.argsort(-similarities)[:300]:
        owner = int(space.statement_owner[i])
        if owner not in owners:
            owners.append(owner)
        if len(owners) == top:
            break
    names = [d.name for d in DOMAINS]
    votes = np.zeros(len(DOMAINS), dtype=np.float32)
    for owner in owners:
        domain = soc_domain(space.occupation_codes[owner])
        if domain is not None:
            votes[names.index(domain)] += 1.0 / top
    return votes


_DATE_WORDS = frozenset(tokens(" ".join([*calendar.month_name[1:], *calendar.month_abbr[1:], *calendar.day_name,
                                         "asap today tomorrow yesterday eoy eom eow fy mid sprint season peak"])))
"""Tokens a deadline is written in: they say when, not what."""


@lru_cache(maxsize=1)
def _known_words() -> frozenset[str]:
    """Tokens of O*NET's task statements and ESCO's skill labels: the words the planner can relate to work."""
    from tools.skill_names import known_skill_names

    esco = {t for name in known_skill_names() for t in tokens(name)}
    return frozenset(load_task_library().task_index.idf) | esco


def require_work(cleaned: str, expanded: str) -> None:
    """Refuse a goal with no recognisable work in it (raises :class:`GoalNotUnderstood`)."""
    words = re.findall(r"[A-Za-z][A-Za-z&/-]+", cleaned)
    if len(words) < 3:
        raise GoalNotUnderstood("the goal needs a few more words: say what has to be built, changed or delivered, "
                                "and by when")
    content = [t for t in tokens(expanded) if t not in _DATE_WORDS]
    known = [t for t in content if t in _known_words()]
    if len(known) < 2 or len(known) < 0.34 * len(content):
        raise GoalNotUnderstood("most words of this goal are not ones the planner knows; describe the work in "
                                "plain words (what is built or changed, for whom, by when)")
    vague = {"stuff", "thing", "things", "something", "anything", "everything", "work", "do", "make", "get", "sort",
             "improve", "better", "more", "help", "fix", "handle", "deal", "all", "it", "that", "this", "out", "now",
             "please", "asap", "soon", "some", "etc", "just", "really", "quickly", "and", "the", "our", "we", "us",
             "need", "needs", "want", "done", "good", "great", "nice", "new", "ok", "okay", "lots", "whatever"}
    if all(w.lower() in vague or len(w) < 3 for w in words):
        raise GoalNotUnderstood("the goal does not say what the work is about; name what has to be built or "
                                "changed (for example “move the payroll to the new HRIS by March”)")


def _kind_scores(text: str, similarities: F32, owner: list[int]) -> dict[str, float]:
    best = [-1.0] * len(KINDS)
    for sim, k in zip(similarities, owner, strict=True):
        best[k] = max(best[k], float(sim))
    lowered = text.lower()
    lead = _GOAL_VERBS.match(lowered)
    leading = lead.group(0) if lead and looks_like_verb(lead.group(1)) else ""
    scores: dict[str, float] = {}
    for i, kind in enumerate(KINDS):
        cues = len(re.findall(kind.cues, lowered))
        first = KIND_CUE_WEIGHT if leading and re.search(kind.cues, leading + " ") else 0.0  # the goal's own verb
        scores[kind.name] = round(best[i] + KIND_CUE_WEIGHT * min(cues, 2) + first, 4)
    return scores


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


def _object(text: str) -> tuple[str, str | None]:
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
    verb = _GOAL_VERBS.match(head)
    rest = head[verb.end():].strip() if verb and looks_like_verb(verb.group(1)) else head
    target = None
    if _REPLACING.match(head):
        found = re.search(r"\s+with\s+(.+)$", rest, re.I)
    elif _MOVING.match(head) or (verb is None or not looks_like_verb(verb.group(1))):
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
        "stand up", "set up", "roll out", "spin up", "wind down", "close out", "kick off", "get", "run", "hold",
        "organise", "organize", "plan", "prepare", "move", "hire", "bring", "make", "put", "establish",
        "deploy", "ship", "onboard", "start", "finish", "complete", "automate", "expand", "grow", "increase",
        "double", "triple", "consolidate", "relocate", "merge", "integrate", "centralise", "centralize", "outsource",
        "insource", "digitise", "digitize", "modernise", "modernize", "overhaul", "revamp", "refresh", "update",
        "assess", "review", "map", "design", "define", "select", "choose", "pick", "prove", "test", "trial",
        "switch", "issue", "pass", "close", "renew", "cut", "reduce", "shorten", "install", "upgrade", "retire",
        "decommission", "replace", "transfer", "convert", "achieve", "deliver", "create", "introduce"}


def _tidy(phrase: str) -> str:
    phrase = re.sub(r"\s+", " ", phrase).strip(" ,.-")
    phrase = re.sub(r"^(?:our|my|their)\s+", "the ", phrase, flags=re.I)
    return phrase


def _constraints(text: str) -> list[str]:
    found = []
    for match in _CONSTRAINT.finditer(text):
        phrase = match.group(1).strip(" ,.")
        if len(phrase.split()) >= 2 and not re.match(r"(?:only|must|no)\s+(?:by|before|within)\b", phrase, re.I):
            found.append(phrase)
    return list(dict.fromkeys(found))[:5]


def _scale(text: str) -> str | None:
    found = _SCALE.search(text)
    return found.group(1) if found else None
