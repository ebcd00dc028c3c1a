"""The agent's one-sentence replies: templates from titles, labels and descriptions (no LLM)."""

from __future__ import annotations

from voicetour.intent.naming import ACTION_VERBS, Target


def reply_for(target: Target) -> str:
    if target.selector is None:
        desc = f" {target.description}" if target.description else ""
        return f"Here is {target.title}.{desc}"
    if target.label.split()[0].lower() in ACTION_VERBS:
        return f"To {target.label[0].lower()}{target.label[1:]}, use the highlighted button on {target.title}."
    return f"Here is {target.label}, on the {target.title} page."


def out_of_domain(site_name: str) -> str:
    return f"Sorry, I can only help you find your way around {site_name}."


def suggestion(target: Target) -> str:
    return f"Did you mean {_name(target)}?"


def question(first: Target, second: Target) -> str:
    return f"Which one: {_name(first)}, or {_name(second)}?"


def _name(target: Target) -> str:
    return target.label if target.selector else target.title

