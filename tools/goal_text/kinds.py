"""Kinds of work and business domains the planner knows, with what points to each.

Prototypes and descriptions are embedded and compared with a goal (:mod:`.understand`); cue words add to the
similarity. The SOC prefixes say which domain an O*NET occupation works in (from the 2018 SOC structure).
"""

from __future__ import annotations

from dataclasses import dataclass


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
