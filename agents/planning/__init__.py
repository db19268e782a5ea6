"""The planning graph: a goal in plain language becomes a checked, grounded plan.

understand → draft → ground → check → (critique → revise)* → plan; see :mod:`agents.planning.graph`.
"""
