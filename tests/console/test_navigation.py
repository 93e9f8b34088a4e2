"""The console menu: sections a role may open, and the pages of the section a path is in."""

from __future__ import annotations

from pasar.auth.roles import ROLES
from pasar.console.shell import NAVIGATION, menu


def test_staff_see_sections_and_the_pages_of_the_current_one() -> None:
    sections, pages = menu(ROLES["analyst"], "analyst", "/creators/funnel")
    assert [s.label for s in sections] == [
        "Governance", "Creators", "Incentives", "Readiness", "Platform",
    ]  # fmt: skip
    assert [s.label for s in sections if s.here] == ["Creators"]
    assert [p.label for p in pages if p.here] == ["Funnel and agents"]  # not "Creators" too
    assert "/creators/analytics" in [p.path for p in pages]
    assert "/creators/allocation" not in [p.path for p in pages]  # an analyst cannot manage


def test_confined_roles_see_only_their_pages() -> None:
    sections, pages = menu(ROLES["creator"], "creator", "/my-collaborations")
    assert [s.label for s in sections] == ["Creators"]
    assert {p.path for p in pages} == {"/creators", "/creators/match", "/my-collaborations"}
    sections, _ = menu(ROLES["seller"], "seller", "/appeals")
    assert "Platform" not in [s.label for s in sections]
    agent_sections, agent_pages = menu(ROLES["agent"], "agent", "/outreach")
    assert [s.label for s in agent_sections] == ["Creators"]
    assert "/creators/targets" not in [p.path for p in agent_pages]


def test_a_page_outside_the_menu_highlights_nothing() -> None:
    sections, pages = menu(ROLES["admin"], "admin", "/sellers/S1")
    assert [s.label for s in sections if s.here] == ["Governance"]  # /sellers covers it
    sections, pages = menu(ROLES["admin"], "admin", "/login")
    assert not any(s.here for s in sections) and pages == []


def test_every_entry_names_a_known_scope() -> None:
    scopes = set().union(*ROLES.values())
    assert all(entry.scope in scopes for entry in NAVIGATION if entry.scope)
