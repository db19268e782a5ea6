"""The demo catalogue of certification types: the 32 certifications the demo organisation's people hold, plus the
regulated ones a bank of its kind tracks (PCI DSS, information security awareness, first aid, forklift, fire warden).

This is our own data, written for the demo (nothing here is derived from ``../shared/data``). Names and issuers
are the real schemes'; ``validity_months`` follows each scheme's published renewal cycle as we understand it
(None where a pass never expires, e.g. CFA Level I, ACCA), and the grace and lead days are plausible values an
admin is expected to check and edit (each edit adds a version). The two awareness courses are an internal,
annual training of the fictional Northwind Bank. Skills are names of the product's taxonomy (ESCO labels and
O*NET names); keywords are lower-case words or phrases in a task's text that call for the certification, given only
to the types work may not go ahead without (card data, first aid, forklifts, fire safety, health and safety, the
bank's awareness trainings): a professional certification is a strength the matcher sees as skill evidence, not a
requirement of every task that mentions its field (a reviewer adds it to a task where it is one).
"""

from __future__ import annotations

import calendar
from datetime import date
from types import MappingProxyType

from infra.store.certifications import CertificationTypeBase

EDITED_BY = "demo"
"""Who the demo types' first version names as its editor."""
INTERNAL_ISSUER = "Northwind Bank Information Security (internal training)"
"""Issuer of the demo bank's own annual trainings."""


def _t(name: str, issuer: str, months: int | None, *, grace: int = 0, lead: int = 60, skills: tuple[str, ...],
       keywords: tuple[str, ...]) -> CertificationTypeBase:
    return CertificationTypeBase(name=name, issuer=issuer, validity_months=months, grace_days=grace,
                                 renewal_lead_days=lead, skills=list(skills), keywords=list(keywords))


DEMO_TYPES: MappingProxyType[str, CertificationTypeBase] = MappingProxyType({
    "csm": _t("Certified ScrumMaster (CSM)", "Scrum Alliance", 24, grace=90, lead=30,
              skills=("Agile", "agile project management"), keywords=()),
    "cfa-level-1": _t("CFA Level I", "CFA Institute", None, lead=180,
                      skills=("financial analysis", "investment analysis"),
                      keywords=()),
    "nebosh-general": _t("NEBOSH General Certificate", "NEBOSH", None, lead=90,
                         skills=("health and safety", "health and safety regulations"),
                         keywords=("nebosh",)),
    "itil-4-foundation": _t("ITIL 4 Foundation", "PeopleCert (AXELOS)", 36, lead=30,
                            skills=("apply operations for an ITIL-based environment",),
                            keywords=()),
    "cips-level-4": _t("CIPS Level 4 Diploma in Procurement and Supply", "CIPS", None, lead=180,
                       skills=("procurement planning", "supply chain management"),
                       keywords=()),
    "acca": _t("ACCA Qualification", "ACCA", None, lead=365, skills=("accounting", "financial statements"),
               keywords=()),
    "cim-diploma": _t("CIM Diploma in Professional Marketing", "The Chartered Institute of Marketing", None, lead=180,
                      skills=("marketing management", "marketing"),
                      keywords=()),
    "gcp-data-engineer": _t("Google Cloud Professional Data Engineer", "Google Cloud", 24, lead=60,
                            skills=("data engineering", "Google Cloud software"),
                            keywords=()),
    "istqb-foundation": _t("ISTQB Certified Tester Foundation Level", "ISTQB", None, lead=60,
                           skills=("execute software tests", "levels of software testing"),
                           keywords=()),
    "cpp-payments": _t("Certified Payments Professional (CPP)", "Electronic Transactions Association", 36, lead=60,
                       skills=("process payments", "Payment processing software"),
                       keywords=()),
    "aws-data-analytics": _t("AWS Certified Data Analytics - Specialty", "Amazon Web Services", 36, lead=60,
                             skills=("Amazon Web Services AWS software", "Amazon Redshift", "data analysis"),
                             keywords=()),
    "frm": _t("Financial Risk Manager (FRM)", "GARP", None, lead=365,
              skills=("financial risk management", "risk management"),
              keywords=()),
    # the CIA itself does not lapse on a date, but holders report CPE every year or turn inactive
    "cia": _t("Certified Internal Auditor (CIA)", "The Institute of Internal Auditors", 12, lead=30,
              skills=("internal auditing",), keywords=()),
    "pl-300-power-bi": _t("Microsoft Certified: Power BI Data Analyst Associate", "Microsoft", 12, lead=30,
                          skills=("Microsoft Power BI", "perform data analysis"), keywords=()),
    "aws-solutions-architect": _t("AWS Certified Solutions Architect - Associate", "Amazon Web Services", 36, lead=60,
                                  skills=("Amazon Web Services AWS software", "design cloud architecture"),
                                  keywords=()),
    "shrm-cp": _t("SHRM Certified Professional (SHRM-CP)", "SHRM", 36, lead=60,
                  skills=("human resources management", "employment law"),
                  keywords=()),
    "google-analytics": _t("Google Analytics Certification", "Google", 12, lead=14,
                           skills=("Google Analytics", "Web analytics"),
                           keywords=()),
    "databricks-data-engineer": _t("Databricks Certified Data Engineer Associate", "Databricks", 24, lead=45,
                                   skills=("data engineering", "Apache Spark"),
                                   keywords=()),
    "cka": _t("Certified Kubernetes Administrator (CKA)", "The Linux Foundation (CNCF)", 24, lead=60,
              skills=("Kubernetes", "Docker"), keywords=()),
    # ACFE membership and 20 hours of CPE are due every year
    "cfe": _t("Certified Fraud Examiner (CFE)", "ACFE", 12, lead=30,
              skills=("prevent fraudulent activities", "forensic accounting"),
              keywords=()),
    "ascm-cscp": _t("ASCM Certified Supply Chain Professional (CSCP)", "ASCM (APICS)", 60, lead=90,
                    skills=("supply chain management",),
                    keywords=()),
    "cima": _t("CIMA Professional Qualification", "CIMA", None, lead=365,
               skills=("perform cost accounting activities", "manage budgets"),
               keywords=()),
    "cipd-level-7": _t("CIPD Level 7 Advanced Diploma in Strategic People Management", "CIPD", None, lead=365,
                       skills=("human resources management", "change management"),
                       keywords=()),
    "cissp": _t("CISSP", "ISC2", 36, grace=90, lead=90, skills=("information security", "cyber security"),
                keywords=()),
    "lean-six-sigma-green-belt": _t("Lean Six Sigma Green Belt", "IASSC", None, lead=90,
                                    skills=("six sigma methods", "lean project management"),
                                    keywords=()),
    "cams": _t("Certified Anti-Money Laundering Specialist (CAMS)", "ACAMS", 36, lead=60,
               skills=("detect financial crime", "ensure compliance with legal requirements"),
               keywords=()),
    "hubspot-inbound": _t("HubSpot Inbound Certification", "HubSpot Academy", 25, lead=14,
                          skills=("HubSpot software", "digital marketing techniques"),
                          keywords=()),
    # PMI suspends an unrenewed credential for a year before it expires for good
    "pmp": _t("Project Management Professional (PMP)", "Project Management Institute", 36, grace=365, lead=60,
              skills=("project management",), keywords=()),
    "cisa": _t("Certified Information Systems Auditor (CISA)", "ISACA", 36, lead=60,
               skills=("execute ICT audits", "manage IT security compliances"),
               keywords=()),
    "ica-diploma-compliance": _t("ICA International Diploma in Compliance", "International Compliance Association",
                                 None, lead=365, skills=("ensure compliance with legal requirements",),
                                 keywords=()),
    "cipd-level-5": _t("CIPD Level 5 Associate Diploma in People Management", "CIPD", None, lead=365,
                       skills=("human resources management", "employment law"),
                       keywords=()),
    "prosci-change": _t("Prosci Certified Change Practitioner", "Prosci", None, lead=30,
                        skills=("change management",), keywords=()),
    # regulated: the demo organisation's records lack them, the demo gives them to plausible roles
    "pci-dss-awareness": _t("PCI DSS Security Awareness", INTERNAL_ISSUER, 12, grace=30, lead=14,
                            skills=("data protection", "data security principles"),
                            keywords=("cardholder data", "card data", "pci dss", "pci", "primary account number")),
    "pcip": _t("Payment Card Industry Professional (PCIP)", "PCI Security Standards Council", 36, lead=60,
               skills=("manage IT security compliances", "ICT security standards"),
               keywords=("pci dss compliance", "pci dss assessment", "pci audit", "pci scope")),
    "infosec-awareness": _t("Information Security Awareness", INTERNAL_ISSUER, 12, grace=30, lead=14,
                            skills=("data security principles", "cyber security"),
                            keywords=("production access", "customer data", "personal data")),
    "first-aid-at-work": _t("First Aid at Work", "St John Ambulance", 36, grace=28, lead=30,
                            skills=("administer first aid", "first aid"),
                            keywords=("first aid", "first aider")),
    "forklift-licence": _t("Counterbalance Forklift Operator Licence", "RTITB (accredited instructor)", 36, lead=30,
                           skills=("operate forklift", "forklift driving"),
                           keywords=("forklift", "reach truck")),
    "fire-warden": _t("Fire Warden", "Fire Protection Association", 36, lead=30,
                      skills=("fire safety procedures", "evacuate people from buildings"),
                      keywords=("fire warden", "fire marshal", "evacuation drill", "fire safety")),
})
"""The demo's certification types by ``type_id``."""

DEMO_ORG_NAMES: MappingProxyType[str, str] = MappingProxyType({
    "Scrum Master": "csm", "CFA Level I": "cfa-level-1", "NEBOSH General Certificate": "nebosh-general",
    "ITIL 4 Foundation": "itil-4-foundation", "CIPS Level 4": "cips-level-4", "ACCA": "acca",
    "CIM Diploma": "cim-diploma", "Google Professional Data Engineer": "gcp-data-engineer",
    "ISTQB Foundation": "istqb-foundation", "Certified Payments Professional": "cpp-payments",
    "AWS Certified Data Analytics": "aws-data-analytics", "FRM": "frm", "Certified Internal Auditor": "cia",
    "Microsoft Power BI Data Analyst": "pl-300-power-bi",
    "AWS Solutions Architect Associate": "aws-solutions-architect", "SHRM-CP": "shrm-cp",
    "Google Analytics Certification": "google-analytics", "Databricks Data Engineer": "databricks-data-engineer",
    "Certified Kubernetes Administrator": "cka", "Certified Fraud Examiner": "cfe", "APICS CSCP": "ascm-cscp",
    "CIMA": "cima", "CIPD Level 7": "cipd-level-7", "CISSP": "cissp",
    "Lean Six Sigma Green Belt": "lean-six-sigma-green-belt", "CAMS": "cams", "HubSpot Inbound": "hubspot-inbound",
    "PMP": "pmp", "CISA": "cisa", "ICA Diploma in Compliance": "ica-diploma-compliance",
    "CIPD Level 5": "cipd-level-5", "Prosci Change Practitioner": "prosci-change",
})
"""The certification names of the demo organisation's records → the type each is."""

INTERNAL_TYPES = frozenset({"pci-dss-awareness", "infosec-awareness"})
"""Types the bank runs itself (no issuer credential id)."""


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months (the 31st becomes the month's last day where it has none)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def valid_until(issued_on: date, validity_months: int | None) -> date | None:
    """When a period issued on ``issued_on`` expires (None: the type never expires)."""
    return add_months(issued_on, validity_months) if validity_months is not None else None
