"""Everyday abbreviations of business functions, and what the planner takes them to mean.

Managers write "move the DC to a 3PL" or "SOX readiness"; O*NET and ESCO spell these out. Each entry says where
its expansion comes from: an O*NET 29.3 technology name or ESCO v1.2 skill label that spells it out (tested
against the shipped data in ``tests/unit/test_planning_vocabulary.py``), or the law, standard or reference that
defines it. Only written-in-capitals forms are read ("OR" is an operating room, "or" is not).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class Abbreviation:
    """An abbreviation and its meaning."""

    short: str
    """As written ("WMS")."""
    expansion: str
    """Spelled out, in the taxonomy's words ("warehouse management system")."""
    domain: str
    """Business domain it points to (see :data:`tools.goal_text.kinds.DOMAINS`); empty when it is used in
    every function (SLA, KPI)."""
    source: str
    """Where the expansion comes from."""


_ISO_24765 = "ISO/IEC/IEEE 24765:2017 (systems and software engineering vocabulary): application programming interface"


def _onet(name: str) -> str:
    return f"O*NET 29.3 Technology Skills: “{name}”"


def _esco(label: str) -> str:
    return f"ESCO v1.2 skill: “{label}”"


ABBREVIATIONS: tuple[Abbreviation, ...] = (
    # logistics and operations
    Abbreviation(short="WMS", expansion="warehouse management system", domain="logistics",
                 source=_onet("Warehouse management system WMS")),
    Abbreviation(short="TMS", expansion="transportation management system", domain="logistics",
                 source=_onet("Transportation management system TMS software")),
    Abbreviation(short="3PL", expansion="third-party logistics provider", domain="logistics",
                 source="Council of Supply Chain Management Professionals (CSCMP), Supply Chain Management Terms"
                        " and Glossary: “third-party logistics (3PL)”"),
    Abbreviation(short="DC", expansion="distribution center warehouse", domain="logistics",
                 source="CSCMP glossary: “distribution center (DC)”"),
    Abbreviation(short="SKU", expansion="stock keeping unit inventory items", domain="logistics",
                 source="CSCMP glossary: “stock keeping unit (SKU)”"),
    Abbreviation(short="SKUs", expansion="stock keeping unit inventory items", domain="logistics",
                 source="CSCMP glossary: “stock keeping unit (SKU)”"),
    Abbreviation(short="MES", expansion="manufacturing execution system", domain="manufacturing",
                 source=_onet("Manufacturing execution system MES software")),
    Abbreviation(short="MRP", expansion="material requirements planning", domain="manufacturing",
                 source=_onet("InteProc Material Requirements Planning")),
    Abbreviation(short="OEE", expansion="overall equipment effectiveness of production lines",
                 domain="manufacturing", source="ISO 22400-2:2014, key performance indicators for manufacturing"),
    Abbreviation(short="BOM", expansion="bill of materials", domain="manufacturing",
                 source=_onet("Bill of materials software")),
    Abbreviation(short="CMMS", expansion="computerized maintenance management system", domain="facilities",
                 source=_onet("Computerized maintenance management system CMMS")),
    Abbreviation(short="HVAC", expansion="heating, ventilation and air conditioning", domain="facilities",
                 source="O*NET 29.3 occupation 49-9021.00: “Heating, Air Conditioning, and Refrigeration"
                        " Mechanics and Installers”"),
    Abbreviation(short="EHS", expansion="environment, health and safety", domain="facilities",
                 source="ISO 45001:2018 / ISO 14001:2015 (occupational health and safety, environmental management)"),
    Abbreviation(short="GMP", expansion="good manufacturing practice", domain="manufacturing",
                 source="21 CFR Parts 210-211 (US FDA current good manufacturing practice)"),
    Abbreviation(short="SOP", expansion="standard operating procedure", domain="manufacturing",
                 source="21 CFR 211.100 (written procedures)"),
    Abbreviation(short="SOPs", expansion="standard operating procedures", domain="manufacturing",
                 source="21 CFR 211.100 (written procedures)"),
    Abbreviation(short="CAPA", expansion="corrective and preventive action quality", domain="manufacturing",
                 source="21 CFR 820.100 (corrective and preventive action)"),
    # finance, payments, banking, compliance
    Abbreviation(short="ERP", expansion="enterprise resource planning system", domain="it",
                 source=_onet("Enterprise resource planning ERP software")),
    Abbreviation(short="P&L", expansion="profit and loss financial statement", domain="finance",
                 source="IAS 1 Presentation of Financial Statements (statement of profit or loss)"),
    Abbreviation(short="GL", expansion="general ledger accounting", domain="finance",
                 source=_onet("General ledger software")),
    Abbreviation(short="AP", expansion="accounts payable", domain="finance", source=_onet("Accounts payable software")),
    Abbreviation(short="AR", expansion="accounts receivable", domain="finance",
                 source=_onet("Accounts receivable software")),
    Abbreviation(short="FP&A", expansion="financial planning and analysis", domain="finance",
                 source="Association for Financial Professionals, FP&A certification body of knowledge"),
    Abbreviation(short="IFRS", expansion="international financial reporting standards", domain="finance",
                 source="IFRS Foundation, IFRS Accounting Standards"),
    Abbreviation(short="GAAP", expansion="generally accepted accounting principles", domain="finance",
                 source="FASB Accounting Standards Codification"),
    Abbreviation(short="VAT", expansion="value added tax", domain="finance", source="Council Directive 2006/112/EC"),
    Abbreviation(short="SOX", expansion="Sarbanes-Oxley internal controls over financial reporting audit",
                 domain="finance", source="Sarbanes-Oxley Act of 2002 (US Public Law 107-204), sections 302 and 404"),
    Abbreviation(short="KYC", expansion="know your customer identity verification checks", domain="banking",
                 source="FATF Recommendations (2012, updated), Recommendation 10: customer due diligence"),
    Abbreviation(short="CDD", expansion="customer due diligence", domain="banking",
                 source="FATF Recommendations, Recommendation 10"),
    Abbreviation(short="AML", expansion="anti-money laundering compliance", domain="banking",
                 source="Directive (EU) 2015/849 (anti-money laundering)"),
    Abbreviation(short="PCI", expansion="payment card industry data security standard", domain="payments",
                 source="PCI Security Standards Council, PCI DSS v4.0"),
    Abbreviation(short="SEPA", expansion="single euro payments area bank transfers", domain="payments",
                 source="Regulation (EU) No 260/2012 (SEPA)"),
    Abbreviation(short="ACH", expansion="automated clearing house electronic payments", domain="payments",
                 source="Nacha Operating Rules"),
    Abbreviation(short="POS", expansion="point of sale", domain="sales_service",
                 source=_onet("Point of sale POS software")),
    Abbreviation(short="FX", expansion="foreign exchange currency", domain="finance",
                 source="BIS Triennial Central Bank Survey glossary: foreign exchange"),
    Abbreviation(short="M&A", expansion="mergers and acquisitions", domain="finance",
                 source="IFRS 3 Business Combinations"),
    Abbreviation(short="ESG", expansion="environmental, social and governance reporting", domain="finance",
                 source="Directive (EU) 2022/2464 (Corporate Sustainability Reporting Directive)"),
    Abbreviation(short="CAPEX", expansion="capital expenditure budget", domain="finance",
                 source="IAS 16 Property, Plant and Equipment"),
    Abbreviation(short="OPEX", expansion="operating expenses budget", domain="finance", source="IAS 1"),
    Abbreviation(short="ROI", expansion="return on investment", domain="finance",
                 source="CFA Institute, Glossary: return on investment"),
    Abbreviation(short="TCO", expansion="total cost of ownership", domain="procurement",
                 source="ISO 15686-5:2017 (life-cycle costing)"),
    # legal and procurement
    Abbreviation(short="GDPR", expansion="general data protection regulation privacy compliance", domain="legal",
                 source="Regulation (EU) 2016/679 (General Data Protection Regulation)"),
    Abbreviation(short="DPIA", expansion="data protection impact assessment", domain="legal",
                 source="Regulation (EU) 2016/679, Article 35"),
    Abbreviation(short="HIPAA", expansion="health information privacy compliance", domain="healthcare",
                 source="Health Insurance Portability and Accountability Act of 1996 (US Public Law 104-191)"),
    Abbreviation(short="NDA", expansion="non-disclosure agreement contract", domain="legal",
                 source="American Bar Association, Model Confidentiality Agreement"),
    Abbreviation(short="MSA", expansion="master services agreement contract", domain="legal",
                 source=_esco("negotiate service with providers")),
    Abbreviation(short="SLA", expansion="service level agreement", domain="",
                 source="ITIL 4 (AXELOS, 2019): service level management"),
    Abbreviation(short="SLAs", expansion="service level agreements", domain="",
                 source="ITIL 4 (AXELOS, 2019): service level management"),
    Abbreviation(short="RFP", expansion="request for proposal tender to vendors", domain="procurement",
                 source="Chartered Institute of Procurement & Supply (CIPS), procurement glossary"),
    Abbreviation(short="RFQ", expansion="request for quotation from suppliers", domain="procurement",
                 source="CIPS procurement glossary"),
    Abbreviation(short="RFI", expansion="request for information from vendors", domain="procurement",
                 source="CIPS procurement glossary"),
    Abbreviation(short="PO", expansion="purchase order", domain="procurement", source=_esco("issue purchase orders")),
    Abbreviation(short="POs", expansion="purchase orders", domain="procurement", source=_esco("issue purchase orders")),
    # people
    Abbreviation(short="HR", expansion="human resources", domain="hr", source=_esco("human resource management")),
    Abbreviation(short="HRIS", expansion="human resources information system", domain="hr",
                 source=_onet("Human resource management software HRMS")),
    Abbreviation(short="ATS", expansion="applicant tracking system recruiting", domain="hr",
                 source=_onet("Applicant tracking software")),
    Abbreviation(short="LMS", expansion="learning management system training", domain="hr",
                 source=_onet("Learning management system LMS")),
    Abbreviation(short="L&D", expansion="learning and development training", domain="hr",
                 source="CIPD Profession Map: learning and development"),
    Abbreviation(short="DEI", expansion="diversity, equity and inclusion", domain="hr",
                 source="CIPD Profession Map: equality, diversity and inclusion"),
    Abbreviation(short="FTE", expansion="full-time employees", domain="",
                 source="OECD Glossary of Statistical Terms"),
    Abbreviation(short="FTEs", expansion="full-time employees", domain="",
                 source="OECD Glossary of Statistical Terms"),
    Abbreviation(short="OKR", expansion="objectives and key results", domain="",
                 source="J. Doerr, Measure What Matters (2018)"),
    Abbreviation(short="OKRs", expansion="objectives and key results", domain="",
                 source="J. Doerr, Measure What Matters (2018)"),
    Abbreviation(short="KPI", expansion="key performance indicator metrics", domain="",
                 source="ISO 22400-1:2014 (key performance indicators)"),
    Abbreviation(short="KPIs", expansion="key performance indicator metrics", domain="",
                 source="ISO 22400-1:2014 (key performance indicators)"),
    # sales, service, marketing, communications
    Abbreviation(short="CRM", expansion="customer relationship management system", domain="sales_service",
                 source=_onet("Customer relationship management CRM software")),
    Abbreviation(short="NPS", expansion="net promoter score customer satisfaction survey", domain="sales_service",
                 source="F. Reichheld, “The One Number You Need to Grow”, Harvard Business Review (2003)"),
    Abbreviation(short="CSAT", expansion="customer satisfaction score survey", domain="sales_service",
                 source="ISO 10004:2018 (customer satisfaction monitoring)"),
    Abbreviation(short="CX", expansion="customer experience", domain="sales_service",
                 source="ISO 10004:2018 (customer satisfaction monitoring)"),
    Abbreviation(short="IVR", expansion="interactive voice response phone system", domain="sales_service",
                 source=_onet("Interactive voice response software")),
    Abbreviation(short="SEO", expansion="search engine optimization marketing", domain="marketing",
                 source=_onet("Search engine optimization SEO software")),
    Abbreviation(short="PR", expansion="public relations", domain="communications",
                 source=_esco("perform public relations")),
    Abbreviation(short="B2B", expansion="business-to-business sales", domain="sales_service",
                 source="OECD Glossary of Statistical Terms: business-to-business"),
    Abbreviation(short="B2C", expansion="business-to-consumer sales", domain="sales_service",
                 source="OECD Glossary of Statistical Terms: business-to-consumer"),
    # IT and data
    Abbreviation(short="IT", expansion="information technology", domain="it", source=_esco("computer technology")),
    Abbreviation(short="API", expansion="application programming interface software", domain="it",
                 source=_ISO_24765),
    Abbreviation(short="APIs", expansion="application programming interfaces software", domain="it",
                 source=_ISO_24765),
    Abbreviation(short="SaaS", expansion="software as a service cloud application", domain="it",
                 source="NIST SP 800-145 (The NIST Definition of Cloud Computing)"),
    Abbreviation(short="SSO", expansion="single sign-on authentication", domain="it",
                 source="NIST SP 800-63C (federation and assertions)"),
    Abbreviation(short="IAM", expansion="identity and access management security", domain="it",
                 source="ISO/IEC 24760-1:2019 (identity management)"),
    Abbreviation(short="CI/CD", expansion="continuous integration and delivery pipeline", domain="it",
                 source=_onet("Continuous integration software")),
    Abbreviation(short="DR", expansion="disaster recovery", domain="it",
                 source="ISO/IEC 27031:2011 (ICT readiness for business continuity)"),
    Abbreviation(short="BCP", expansion="business continuity plan", domain="it", source="ISO 22301:2019"),
    Abbreviation(short="BI", expansion="business intelligence reporting", domain="data",
                 source=_onet("Business intelligence and data analysis software")),
    Abbreviation(short="ETL", expansion="extract, transform and load data pipeline", domain="data",
                 source=_esco("data extraction, transformation and loading tools")),
    Abbreviation(short="DWH", expansion="data warehouse", domain="data", source=_onet("Data warehousing software")),
    Abbreviation(short="ML", expansion="machine learning models", domain="data", source=_esco("machine learning")),
    Abbreviation(short="AI", expansion="artificial intelligence machine learning", domain="data",
                 source=_esco("principles of artificial intelligence")),
    Abbreviation(short="RPA", expansion="robotic process automation software", domain="it",
                 source="IEEE 2755-2017 (intelligent process automation)"),
    Abbreviation(short="UAT", expansion="user acceptance testing", domain="it",
                 source="ISO/IEC/IEEE 29119-1:2022 (software testing concepts)"),
    Abbreviation(short="QA", expansion="quality assurance testing", domain="it", source="ISO 9000:2015, 3.3.6"),
    Abbreviation(short="QC", expansion="quality control inspection", domain="manufacturing",
                 source="ISO 9000:2015, 3.3.7"),
    Abbreviation(short="MVP", expansion="minimum viable product first release", domain="it",
                 source="E. Ries, The Lean Startup (2011)"),
    # healthcare
    Abbreviation(short="EHR", expansion="electronic health record system", domain="healthcare",
                 source=_onet("Electronic health record EHR software")),
    Abbreviation(short="EMR", expansion="electronic medical record system", domain="healthcare",
                 source=_onet("Electronic medical record EMR software")),
    Abbreviation(short="ED", expansion="hospital emergency department", domain="healthcare",
                 source="O*NET 29.3 occupation 29-1214.00: “Emergency Medicine Physicians”"),
    Abbreviation(short="ER", expansion="hospital emergency room", domain="healthcare",
                 source="O*NET 29.3 occupation 29-1214.00: “Emergency Medicine Physicians”"),
    Abbreviation(short="OR", expansion="hospital operating room surgery", domain="healthcare",
                 source="O*NET 29.3 occupation 29-2055.00: “Surgical Technologists”"),
    Abbreviation(short="ICU", expansion="hospital intensive care unit", domain="healthcare",
                 source="O*NET 29.3 occupation 29-1141.03: “Critical Care Nurses”"),
    Abbreviation(short="PACS", expansion="picture archiving and communication system radiology", domain="healthcare",
                 source="DICOM standard (NEMA PS3), picture archiving and communication system"),
    Abbreviation(short="FDA", expansion="US Food and Drug Administration regulatory", domain="research",
                 source="21 CFR (Food and Drugs)"),
    Abbreviation(short="GLP", expansion="good laboratory practice", domain="research", source="21 CFR Part 58"),
    Abbreviation(short="R&D", expansion="research and development", domain="research",
                 source="OECD Frascati Manual (2015)"),
)
"""The vocabulary, by domain."""

_BY_SHORT = {a.short: a for a in ABBREVIATIONS}
_PATTERN = re.compile(r"(?<![\w&/])(" + "|".join(sorted((re.escape(a.short) for a in ABBREVIATIONS),
                                                         key=len, reverse=True)) + r")(?![\w&/])")


def find_abbreviations(text: str) -> list[Abbreviation]:
    """The known abbreviations a text uses, in order, each once (only as written, in capitals)."""
    if text.isupper():  # A GOAL WRITTEN IN CAPITALS: every word would look like an abbreviation
        return []
    seen: dict[str, Abbreviation] = {}
    for found in _PATTERN.finditer(text):
        seen.setdefault(found.group(1), _BY_SHORT[found.group(1)])
    return list(seen.values())


def expand(text: str) -> str:
    """The text with each known abbreviation followed by its meaning: "the new WMS (warehouse management system)"."""
    if text.isupper():
        return text
    return _PATTERN.sub(lambda m: f"{m.group(1)} ({_BY_SHORT[m.group(1)].expansion})", text)
