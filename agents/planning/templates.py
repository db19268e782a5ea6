"""Task templates per kind of work: what the offline planner drafts, filled with the goal's object and domain.

Each template is a phase of the work with its dependencies (design before build, test before cutover, training
before go-live), a title that names the goal's object, the work activity that grounds it in O*NET, and an effort
at medium scale in person-hours. The hours are planning defaults for a team of this company's size, stated on
every task ("effort_basis") so a reviewer sees what they rest on and can change them.
"""

from __future__ import annotations

from dataclasses import dataclass

PHASE_WINDOWS: dict[str, tuple[float, float]] = {
    "discover": (0.0, 0.25),
    "design": (0.15, 0.45),
    "build": (0.3, 0.8),
    "test": (0.6, 0.9),
    "prepare": (0.65, 0.95),
    "go live": (0.85, 1.0),
    "follow up": (0.9, 1.0),
}
"""Window of each phase as shares of the time to the deadline (start, end)."""


@dataclass(frozen=True, kw_only=True)
class TaskTemplate:
    """One task a kind of work needs."""

    key: str
    """Name within the kind (dependencies refer to it)."""
    phase: str
    """Phase, a key of :data:`PHASE_WINDOWS`."""
    title: str
    """Title with ``{object}`` / ``{target}`` / ``{domain}`` placeholders."""
    description: str
    """What is done, with the same placeholders."""
    activity: str
    """The work activity in O*NET's words, for grounding (``{domain}`` allowed)."""
    hours: int
    """Effort at medium scale, person-hours."""
    who: str
    """Who usually does this kind of task, in O*NET's words (grounding weighs occupations by it)."""
    domain_share: float = 0.5
    """How much the goal's domain, rather than ``who``, decides who does it (0: only ``who``, 1: only domain)."""
    zone: int = 3
    """O*NET job zone (preparation level 1-5) the task needs at least."""
    after: tuple[str, ...] = ()
    """Keys of the tasks that come first."""


PLAN = "project management specialists and operations managers who plan and coordinate projects"
ANALYSE = "management analysts and business analysts who study operations and requirements"
BUILD_IT = "software developers and computer systems analysts who build and configure information systems"
DATA_ENG = "database administrators, database architects and data warehousing specialists"
DATA_SCI = "data scientists, statisticians and business intelligence analysts"
TEST = "software quality assurance analysts and testers"
TRAIN = "training and development specialists who teach staff"
COMPLY = "compliance officers and compliance managers, accountants and auditors"
LEGAL = "lawyers, paralegals and contract administrators"
BUY = "purchasing agents, buyers and purchasing managers"
RECRUIT = "human resources specialists and recruiters"
EVENTS = "meeting, convention and event planners"
PROMOTE = "public relations specialists and marketing specialists"
BUILD_WORKS = "construction managers, architects and building contractors"
INSPECT = "construction and building inspectors"
LAB = "chemists, biological scientists and clinical research coordinators"
T = TaskTemplate
TEMPLATES: dict[str, tuple[TaskTemplate, ...]] = {
    "migration": (
        T(key="inventory", phase="discover", title="Map the current {object} and everything that depends on it",
          description="List the data, integrations, reports and ways of working of the current {object}, who uses "
                      "them, and what has to move to {target}.",
          activity="analyze current {domain} operations and system requirements", hours=80,
          who=ANALYSE, domain_share=0.7, zone=4),
        T(key="design", phase="design", title="Plan the move of the {object} to {target}",
          description="Decide what moves, in what order and how; design the mapping to {target}, the cutover "
                      "window and the way back if it fails.",
          activity="plan the conversion of {domain} systems and data", hours=80,
          who=PLAN, domain_share=0.7, zone=4, after=("inventory",)),
        T(key="build", phase="build", title="Set up {target} for the {object}",
          description="Configure {target} to do what the {object} does today, with its integrations.",
          activity="configure and install {domain} systems and software", hours=200,
          who=BUILD_IT, domain_share=0.4, zone=4, after=("design",)),
        T(key="data", phase="build", title="Migrate the data of the {object} to {target}",
          description="Extract, clean, convert and load the data of the {object}; reconcile counts and totals so "
                      "nothing is lost.",
          activity="convert data between systems and verify records for {domain}", hours=120,
          who=DATA_ENG, domain_share=0.3, zone=4, after=("design",)),
        T(key="test", phase="test", title="Test the {object} on {target} end to end",
          description="Run the real {domain} work through {target} with its users (acceptance tests), including "
                      "peak volumes and the way back.",
          activity="test {domain} systems and operational procedures", hours=120,
          who=TEST, domain_share=0.7, zone=3, after=("build", "data")),
        T(key="train", phase="prepare", title="Train the people who use the {object} on {target}",
          description="Prepare guides and train every team that works with the {object} before go-live.",
          activity="train workers in {domain} procedures and new systems", hours=60,
          who=TRAIN, domain_share=0.7, zone=3, after=("test",)),
        T(key="cutover", phase="go live", title="Cut over the {object} to {target} and support the first weeks",
          description="Run the cutover, check the data after it, switch off the old way of working and support "
                      "users through the first weeks.",
          activity="coordinate the implementation and monitor {domain} operations", hours=80,
          who=PLAN, domain_share=0.6, zone=3,
          after=("test", "train")),
    ),
    "launch": (
        T(key="define", phase="discover", title="Define what the {object} must do and for whom",
          description="Gather the requirements of the {object} from its users and owners; agree scope, success "
                      "measures and constraints.",
          activity="gather requirements and analyze {domain} needs", hours=60, who=ANALYSE, domain_share=0.7, zone=4),
        T(key="design", phase="design", title="Design the {object}",
          description="Design how the {object} works: processes, systems, roles, controls and costs.",
          activity="design {domain} processes and services", hours=100,
          who=PLAN, domain_share=0.7, zone=4, after=("define",)),
        T(key="build", phase="build", title="Build the {object}",
          description="Build or configure what the {object} needs and integrate it with what exists.",
          activity="develop and implement {domain} systems and services", hours=240,
          who=BUILD_IT, domain_share=0.4, zone=4, after=("design",)),
        T(key="controls", phase="build", title="Check the {object} against rules, risks and controls",
          description="Review the {object} for regulatory, security and operational risk and set up its controls.",
          activity="evaluate {domain} compliance with regulations and risk", hours=60,
          who=COMPLY, domain_share=0.4, zone=4, after=("design",)),
        T(key="test", phase="test", title="Test the {object} before launch",
          description="Test the {object} end to end with real users and fix what fails.",
          activity="test {domain} systems and services for quality", hours=100,
          who=TEST, domain_share=0.7, zone=3, after=("build",)),
        T(key="prepare", phase="prepare", title="Prepare the teams and customers for the {object}",
          description="Train the teams who run the {object}, and tell customers and staff what changes.",
          activity="train staff and inform customers about {domain} services", hours=60,
          who=TRAIN, domain_share=0.7, zone=3, after=("test",)),
        T(key="launch", phase="go live", title="Launch the {object} and watch the first weeks",
          description="Go live, watch volumes, incidents and feedback, and fix what the first weeks show.",
          activity="coordinate the launch and monitor {domain} operations", hours=60,
          who=PLAN, domain_share=0.7, zone=3,
          after=("test", "controls", "prepare")),
    ),
    "audit_compliance": (
        T(key="scope", phase="discover", title="Scope the requirements for {object}",
          description="Set out which rules, controls and evidence {object} needs, and who owns each.",
          activity="interpret regulations and compliance requirements for {domain}", hours=60,
          who=COMPLY, domain_share=0.5, zone=4),
        T(key="gaps", phase="discover", title="Assess the gaps for {object}",
          description="Test the current controls, documents and records against the requirements and list the "
                      "gaps by risk.",
          activity="audit {domain} controls, records and procedures", hours=120,
          who=COMPLY, domain_share=0.4, zone=4, after=("scope",)),
        T(key="remediate", phase="build", title="Close the gaps found for {object}",
          description="Fix the controls, procedures and systems that fall short; write down how each now works.",
          activity="develop {domain} policies, procedures and internal controls", hours=200,
          who=COMPLY, domain_share=0.6, zone=4, after=("gaps",)),
        T(key="evidence", phase="test", title="Collect and review the evidence for {object}",
          description="Gather the evidence an auditor will ask for and test a sample of controls before they do.",
          activity="prepare documentation and test internal controls for {domain} audits", hours=100,
          who=COMPLY, domain_share=0.4, zone=4,
          after=("remediate",)),
        T(key="train", phase="prepare", title="Train the control owners for {object}",
          description="Train the people who run the controls and answer the auditors.",
          activity="train staff in {domain} compliance procedures", hours=40,
          who=TRAIN, domain_share=0.7, zone=3, after=("remediate",)),
        T(key="audit", phase="go live", title="Support the audit or review for {object}",
          description="Answer the auditor's or regulator's requests and track any findings to closure.",
          activity="coordinate {domain} audits and respond to findings", hours=60,
          who=COMPLY, domain_share=0.5, zone=4, after=("evidence", "train")),
    ),
    "process_change": (
        T(key="measure", phase="discover", title="Map and measure the current {object}",
          description="Map the current process behind {object}, measure volumes, times and errors, and find "
                      "where time and errors come from.",
          activity="analyze {domain} operations data and work processes", hours=80,
          who=ANALYSE, domain_share=0.6, zone=4),
        T(key="design", phase="design", title="Design the new way of working for {object}",
          description="Design the changed process, roles and measures, with the people who do the work.",
          activity="develop improved {domain} procedures and workflows", hours=80,
          who=ANALYSE, domain_share=0.6, zone=4, after=("measure",)),
        T(key="tools", phase="build", title="Change the tools and rules behind {object}",
          description="Change the systems, forms, schedules and rules the new process needs.",
          activity="implement changes to {domain} systems and procedures", hours=120,
          who=BUILD_IT, domain_share=0.6, zone=3, after=("design",)),
        T(key="pilot", phase="test", title="Pilot the new way of working for {object}",
          description="Run the new process with one team or site, measure it against the baseline and adjust.",
          activity="evaluate the effectiveness of {domain} procedures", hours=80,
          who=PLAN, domain_share=0.7, zone=3, after=("tools",)),
        T(key="train", phase="prepare", title="Train the teams on the new way of working for {object}",
          description="Train everyone who works in the process and update the written procedures.",
          activity="train workers in new {domain} procedures", hours=60,
          who=TRAIN, domain_share=0.7, zone=3, after=("pilot",)),
        T(key="rollout", phase="go live", title="Roll out the change to {object} and track the results",
          description="Roll out everywhere, track the measures weekly and fix what slips.",
          activity="monitor {domain} performance and direct operations", hours=60,
          who=PLAN, domain_share=0.7, zone=3, after=("train",)),
    ),
    "analytics": (
        T(key="questions", phase="discover", title="Agree the questions the {object} must answer",
          description="Work out with its users which decisions the {object} supports, the measures and their "
                      "definitions.",
          activity="identify business information needs and {domain} performance measures", hours=40,
          who=DATA_SCI, domain_share=0.6, zone=4),
        T(key="data", phase="design", title="Find and assess the data for the {object}",
          description="Find the sources, check their quality and coverage, and agree how often they refresh.",
          activity="collect and evaluate {domain} data sources for quality", hours=80,
          who=DATA_ENG, domain_share=0.4, zone=4, after=("questions",)),
        T(key="pipeline", phase="build", title="Build the data pipeline for the {object}",
          description="Load, clean and join the data into a model the {object} can use, with tests.",
          activity="develop databases and data pipelines for {domain} data", hours=120,
          who=DATA_ENG, domain_share=0.2, zone=4, after=("data",)),
        T(key="analysis", phase="build", title="Build the analysis behind the {object}",
          description="Compute the measures, models and thresholds the {object} shows; document the method.",
          activity="analyze {domain} data using statistical methods and models", hours=120,
          who=DATA_SCI, domain_share=0.4, zone=4, after=("data",)),
        T(key="build", phase="build", title="Build the {object} and its views",
          description="Build the views, filters and alerts users need, readable by people outside the team.",
          activity="prepare reports and data visualizations of {domain} information", hours=80,
          who=DATA_SCI, domain_share=0.3, zone=4,
          after=("pipeline", "analysis")),
        T(key="validate", phase="test", title="Check the {object}'s figures with its users",
          description="Reconcile the figures with known numbers and let users test that it answers their "
                      "questions.",
          activity="verify the accuracy of {domain} data and reports", hours=60,
          who=DATA_SCI, domain_share=0.6, zone=3, after=("build",)),
        T(key="launch", phase="go live", title="Hand over the {object} and train its users",
          description="Train users, hand over to whoever maintains it and agree how changes are asked for.",
          activity="train users and present {domain} findings", hours=40,
          who=TRAIN, domain_share=0.7, zone=3, after=("validate",)),
    ),
    "event": (
        T(key="brief", phase="discover", title="Set the goals, audience and budget of the {object}",
          description="Agree who the {object} is for, what it should achieve, the budget and the measures.",
          activity="plan {domain} events and set objectives and budgets", hours=30,
          who=EVENTS, domain_share=0.5, zone=3),
        T(key="venue", phase="design", title="Book the venue, travel and suppliers for the {object}",
          description="Select and contract the venue, catering, AV and travel within the budget.",
          activity="negotiate contracts with venues and event suppliers", hours=60,
          who=EVENTS, domain_share=0.2, zone=3, after=("brief",)),
        T(key="programme", phase="design", title="Put together the programme of the {object}",
          description="Build the agenda, invite speakers and prepare their content.",
          activity="develop {domain} event programs and presentations", hours=60,
          who=EVENTS, domain_share=0.6, zone=3, after=("brief",)),
        T(key="promote", phase="build", title="Invite and register the people for the {object}",
          description="Send invitations, run registration and keep attendees informed.",
          activity="promote events and communicate with attendees", hours=50,
          who=PROMOTE, domain_share=0.4, zone=3, after=("programme",)),
        T(key="logistics", phase="prepare", title="Run the logistics of the {object}",
          description="Rooming, schedules, badges, accessibility, safety and the run sheet for the day.",
          activity="coordinate event logistics, services and schedules", hours=60,
          who=EVENTS, domain_share=0.3, zone=2, after=("venue", "promote")),
        T(key="deliver", phase="go live", title="Run the {object} on the day and follow up",
          description="Run the event on the day, collect feedback and report results against the goals.",
          activity="direct event activities and evaluate results", hours=40,
          who=EVENTS, domain_share=0.5, zone=3, after=("logistics",)),
    ),
    "programme": (
        T(key="needs", phase="discover", title="Define the roles and skills needed for {object}",
          description="Set out how many people, which roles and skills, and the standards they must meet.",
          activity="analyze {domain} staffing needs and job requirements", hours=40,
          who=RECRUIT, domain_share=0.6, zone=4),
        T(key="design", phase="design", title="Design the hiring and training plan for {object}",
          description="Plan sourcing channels, selection steps, onboarding and training, with the budget.",
          activity="develop recruitment and training programs for {domain} workers", hours=60,
          who=RECRUIT, domain_share=0.5, zone=4, after=("needs",)),
        T(key="source", phase="build", title="Find and select the people for {object}",
          description="Advertise, screen, interview and select candidates; check references and credentials.",
          activity="recruit, interview and select {domain} workers", hours=160,
          who=RECRUIT, domain_share=0.4, zone=3, after=("design",)),
        T(key="content", phase="build", title="Prepare the onboarding and training for {object}",
          description="Prepare the onboarding programme, training material, mentors and schedules.",
          activity="develop training materials for {domain} workers", hours=80,
          who=TRAIN, domain_share=0.7, zone=3, after=("design",)),
        T(key="deliver", phase="prepare", title="Onboard and train the people for {object}",
          description="Run onboarding and training, and check that each person reaches the standard.",
          activity="train and orient new {domain} workers", hours=120,
          who=TRAIN, domain_share=0.7, zone=3, after=("source", "content")),
        T(key="review", phase="follow up", title="Review how {object} went and who needs more support",
          description="Check retention, competence and feedback; agree follow-up for those who need it.",
          activity="evaluate training programs and {domain} worker performance", hours=30,
          who=RECRUIT, domain_share=0.6, zone=3, after=("deliver",)),
    ),
    "construction_maintenance": (
        T(key="survey", phase="discover", title="Survey the site and requirements for {object}",
          description="Survey the site, the condition of what is there, the needs of its users and the permits "
                      "needed.",
          activity="inspect facilities and buildings to determine requirements", hours=40,
          who=BUILD_WORKS, domain_share=0.5, zone=3),
        T(key="design", phase="design", title="Design and cost the works for {object}",
          description="Draw up the design, specifications, schedule and cost estimate; apply for permits.",
          activity="prepare building plans, specifications and cost estimates", hours=80,
          who=BUILD_WORKS, domain_share=0.4, zone=4, after=("survey",)),
        T(key="procure", phase="design", title="Select contractors and order materials for {object}",
          description="Tender the works, select contractors and order long-lead materials.",
          activity="purchase materials and negotiate contracts with contractors", hours=40,
          who=BUY, domain_share=0.4, zone=3, after=("design",)),
        T(key="works", phase="build", title="Carry out the works for {object}",
          description="Carry out and supervise the works safely, keeping users informed about disruption.",
          activity="direct construction, installation or maintenance work on facilities", hours=240,
          who=BUILD_WORKS, domain_share=0.5, zone=2,
          after=("procure",)),
        T(key="inspect", phase="test", title="Inspect and sign off the works for {object}",
          description="Inspect the works against the specification and safety rules; list and close snags.",
          activity="inspect completed construction work for compliance with codes", hours=40,
          who=INSPECT, domain_share=0.4, zone=3, after=("works",)),
        T(key="handover", phase="go live", title="Hand over {object} to its users",
          description="Move people and equipment in, hand over documents and maintenance schedules.",
          activity="coordinate facility moves and building maintenance", hours=40,
          who=PLAN, domain_share=0.7, zone=3, after=("inspect",)),
    ),
    "research_validation": (
        T(key="protocol", phase="discover", title="Write the protocol for {object}",
          description="Set the question, acceptance criteria, method, samples and the standard it must meet.",
          activity="design research studies and validation protocols in {domain}", hours=60,
          who=LAB, domain_share=0.6, zone=4),
        T(key="prepare", phase="design", title="Prepare the materials, equipment and approvals for {object}",
          description="Qualify the equipment, prepare materials and samples, and get the approvals needed.",
          activity="prepare laboratory equipment, materials and samples", hours=60,
          who=LAB, domain_share=0.6, zone=3, after=("protocol",)),
        T(key="run", phase="build", title="Run the experiments or trials for {object}",
          description="Run the planned experiments or trials and record the data as the protocol requires.",
          activity="conduct laboratory experiments or trials and record data", hours=200,
          who=LAB, domain_share=0.6, zone=3, after=("prepare",)),
        T(key="analyse", phase="test", title="Analyse the results of {object}",
          description="Analyse the data statistically against the acceptance criteria; investigate deviations.",
          activity="analyze experimental data using statistical methods", hours=80,
          who=DATA_SCI, domain_share=0.6, zone=4, after=("run",)),
        T(key="report", phase="go live", title="Report on {object} and get it approved",
          description="Write the report, review it with quality and stakeholders and get it approved.",
          activity="prepare scientific or technical reports of research results", hours=50,
          who=LAB, domain_share=0.6, zone=4, after=("analyse",)),
    ),
    "contract_negotiation": (
        T(key="needs", phase="discover", title="Set the requirements and targets for {object}",
          description="Agree what the business needs, the budget, the walk-away points and the evaluation "
                      "criteria.",
          activity="analyze {domain} requirements, costs and supplier performance", hours=40,
          who=BUY, domain_share=0.6, zone=4),
        T(key="market", phase="design", title="Prepare the request and the shortlist for {object}",
          description="Write the request for proposal or negotiation brief and shortlist the parties.",
          activity="prepare requests for proposals and identify potential suppliers", hours=60,
          who=BUY, domain_share=0.4, zone=3, after=("needs",)),
        T(key="evaluate", phase="build", title="Evaluate the offers for {object}",
          description="Score the offers against the criteria, check references and risks.",
          activity="evaluate supplier proposals, prices and terms", hours=60,
          who=BUY, domain_share=0.5, zone=4, after=("market",)),
        T(key="negotiate", phase="build", title="Negotiate the terms for {object}",
          description="Negotiate price, service levels and terms with the preferred parties.",
          activity="negotiate contracts and agreements with suppliers or partners", hours=60,
          who=BUY, domain_share=0.4, zone=4, after=("evaluate",)),
        T(key="legal", phase="test", title="Review the contract for {object}",
          description="Review the contract's legal, data-protection and financial terms before signature.",
          activity="review legal contracts and agreements for compliance", hours=40,
          who=LEGAL, domain_share=0.2, zone=4, after=("negotiate",)),
        T(key="transition", phase="go live", title="Sign the contract for {object} and hand it over",
          description="Sign, set up contract management and, when the party changes, plan the transition.",
          activity="administer contracts and coordinate supplier transitions", hours=40,
          who=BUY, domain_share=0.6, zone=3, after=("legal",)),
    ),
}
"""The templates, by kind of work (see :data:`tools.goal_text.kinds.KINDS`)."""
