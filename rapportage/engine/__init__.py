"""The pure computation: aggregation, the two-thirds rule and the budget split.

No Django, no settings, no I/O (style.md): frames and dataclasses in, frames and dicts out.
"""
