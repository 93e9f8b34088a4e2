"""SOP and training documents in the store (SQLite and PostgreSQL): versions and their
differences, acknowledgement of version n not counting for n+1, the exact pending list (also
as a property over random rosters and acknowledgements), search, safe rendering, review
dates, and the roster import refusing bad rows by row and column."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pasar.audit.service import audit
from pasar.kit.db import Database
from pasar.kit.errors import ConflictError, InputError, NotFoundError, ValidationError
from pasar.readiness import agents, documents
from pasar.readiness import repository as repo
from pasar.readiness.models import Agent, Document

DAY = dt.date(2026, 11, 2)
V1 = "# Chat SOP\n\nGreet the seller.\nRefunds go to buyer support.\nClose politely.\n"
V2 = "# Chat SOP\n\nGreet the seller by shop name.\nRefunds go to buyer support.\nClose politely.\nAsk for a rating.\n"  # noqa: E501
_names = itertools.count()


def roster(store: Database, prefix: str, centers: dict[str, int]) -> dict[str, str]:
    """``n`` agents per center, references ``<prefix>-<center number>-<i>``; ref → center."""
    made = {}
    with store.unit_of_work() as s:
        for number, (center, n) in enumerate(centers.items()):
            for i in range(n):
                ref = f"{prefix}-{number}-{i}"
                agents.add_agent(s, ref, f"Agent {i}", center, actor="t")
                made[ref] = center
    return made


def test_version_n_does_not_count_for_n_plus_1(store: Database) -> None:
    # centers of its own: the store holds other tests' agents too
    makassar, jakarta, medan = "ack-Makassar", "ack-Jakarta", "ack-Medan"
    refs = list(roster(store, "ack", {makassar: 4, jakarta: 2, medan: 1}))
    mks, jkt, mdn = refs[:4], refs[4:6], refs[6]
    with store.unit_of_work() as s:
        agents.set_active(s, mks[3], False, actor="t")  # left: no longer asked
        sop = documents.create_document(
            s, "Ack SOP", "dewi", V1, centers=[makassar, jakarta], on=DAY, actor="user:dewi"
        )
        doc_id = sop.id
        assert [a.ref for a in documents.pending(s, sop)] == sorted(jkt) + mks[:3]
        for ref in (mks[0], mks[1], jkt[0]):
            made, new = documents.acknowledge(s, doc_id, ref, actor="t")
            assert new and made.version == 1
        assert documents.acknowledge(s, doc_id, mks[0], actor="t")[1] is False  # kept once
        documents.acknowledge(s, doc_id, mdn, actor="t")  # not required: does not matter
        assert [a.ref for a in documents.pending(s, sop)] == [jkt[1], mks[2]]
        rows = {r.center: (r.required, r.acknowledged, r.rate) for r in documents.by_center(s, sop)}
        assert rows == {makassar: (3, 2, 2 / 3), jakarta: (2, 1, 0.5)}
    with store.unit_of_work() as s:
        v2 = documents.publish_version(
            s, doc_id, V2, note="greeting", on=DAY, actor="t", seen_version=1
        )
        assert v2.number == 2
        sop = repo.get(s, Document, doc_id)
        assert sop.current_version == 2
        # every required agent is pending again, whoever acknowledged version 1
        assert [a.ref for a in documents.pending(s, sop)] == sorted(jkt) + mks[:3]
        with pytest.raises(ConflictError, match="version 1 of 'Ack SOP' is not the current one"):
            documents.acknowledge(s, doc_id, mks[2], version=1, actor="t")
        documents.acknowledge(s, doc_id, mks[2], version=2, actor="t")
        assert [a.ref for a in documents.pending(s, sop)] == sorted(jkt) + mks[:2]
        with pytest.raises(ValidationError, match="no longer active"):
            documents.acknowledge(s, doc_id, mks[3], actor="t")
        with pytest.raises(ConflictError, match="changed by someone else"):
            documents.publish_version(s, doc_id, V1, note="", on=DAY, actor="t", seen_version=1)
        events = audit.history(s, "readiness_document", str(doc_id))
        assert [e.action for e in events] == [
            "readiness.document.created",
            "readiness.document.updated",
        ]


def test_differences_between_versions(store: Database) -> None:
    with store.unit_of_work() as s:
        sop = documents.create_document(s, "Diff SOP", "dewi", V1, centers=[], on=DAY, actor="t")
        documents.publish_version(s, sop.id, V2, note="", on=DAY, actor="t")
        lines = documents.diff(s, sop.id, 1, 2)
        changed = [(x.kind, x.text, x.old, x.new) for x in lines if x.kind in ("add", "remove")]
        assert changed == [
            ("remove", "Greet the seller.", 3, None),
            ("add", "Greet the seller by shop name.", None, 3),
            ("add", "Ask for a rating.", None, 6),
        ]
        assert lines[0].kind == "hunk" and lines[0].text == "@@ -1,5 +1,6 @@"
        back = [(x.kind, x.text) for x in documents.diff(s, sop.id, 2, 1) if x.kind != "same"]
        assert ("add", "Greet the seller.") in back and ("remove", "Ask for a rating.") in back
        text = documents.unified(s, sop.id, 1, 2)
        assert "-Greet the seller.\n" in text and "+Ask for a rating.\n" in text
        assert text.startswith("--- Diff SOP v1\n+++ Diff SOP v2\n")
        assert documents.diff(s, sop.id, 2, 2) == []
        with pytest.raises(ValidationError, match="the same as version 2"):
            documents.publish_version(s, sop.id, V2 + "\n\n", note="", on=DAY, actor="t")
        with pytest.raises(NotFoundError, match="no version 9"):
            documents.diff(s, sop.id, 1, 9)


def test_search_review_dates_and_safe_rendering(store: Database) -> None:
    with store.unit_of_work() as s:
        a = documents.create_document(
            s,
            "Search Refund escalation",
            "dewi",
            "Escalate REFUNDS to L2.\n",
            centers=[],
            on=DAY,
            actor="t",
            review_every_days=30,
        )
        b = documents.create_document(
            s,
            "Search tone guide",
            "lina",
            "Be kind about refunds.\n",
            centers=[],
            on=DAY,
            actor="t",
            kind="training",
        )
        hits = documents.search(s, "search refund")
        assert [h.document.title for h in hits] == [a.title, b.title]  # a matches more often
        assert hits[1].snippet == "Be kind about refunds."
        assert [h.document.id for h in documents.search(s, "search ESCALATION l2")] == [a.id]
        assert documents.search(s, "search nothing-here") == []
        with pytest.raises(ValidationError, match="at least one word"):
            documents.search(s, "  ?! ")
        assert (a.next_review_on, b.next_review_on) == (
            DAY + dt.timedelta(days=30),
            DAY + dt.timedelta(days=180),
        )
        assert documents.due_for_review([a, b], DAY + dt.timedelta(days=30)) == [a]
        documents.update_document(s, a.id, actor="t", reviewed_on=DAY + dt.timedelta(days=31))
        assert a.next_review_on == DAY + dt.timedelta(days=61)
        with pytest.raises(ValidationError, match="review_every_days"):
            documents.update_document(s, a.id, actor="t", review_every_days=1)
    html = str(documents.render("# T\n<script>alert(1)</script>\n[x](javascript:alert(2)) **b**\n"))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "href" not in html and "<strong>b</strong>" in html and "<h1>T</h1>" in html
    assert 'href="https://x.example/' in str(documents.render("[x](https://x.example/)"))


def test_the_roster_import_names_the_bad_row(store: Database, tmp_path: Path) -> None:
    good = tmp_path / "roster.csv"
    good.write_text("ref,name,center,role\nRST-1,Andi,Makassar,lead\nRST-2,Nurul,Makassar,\n")
    with store.unit_of_work() as s:
        assert agents.import_roster(s, good, actor="t") == agents.RosterImport(2, 0, 0)
    good.write_text(
        "ref,name,center,role\nRST-1,Andi P.,Makassar,lead\nRST-2,Nurul,Makassar,agent\n"
    )
    with store.unit_of_work() as s:
        assert agents.import_roster(s, good, actor="t") == agents.RosterImport(0, 1, 1)
    cases = [
        ("ref,name\nX,Y\n", "row 1 column center: the roster needs the columns"),
        ("ref,name,center,role\nRST-3,Sari,Makassar,boss\n", "row 2 column role: role 'boss'"),
        (
            "ref,name,center\nRST-3,Sari,Makassar\nRST-4,,Makassar\n",
            "row 3 column name: name: write",
        ),
        (
            "ref,name,center\nRST-3,Sari,Makassar\nRST-3,Sari,Makassar\n",
            "row 3 column ref: agent 'RST-3' appears twice",
        ),
    ]
    for text, message in cases:
        bad = tmp_path / "bad.csv"
        bad.write_text(text)
        with pytest.raises(InputError, match=message), store.unit_of_work() as s:
            agents.import_roster(s, bad, actor="t")
    with store.unit_of_work() as s:  # a refused file kept nothing
        assert s.query(Agent).filter(Agent.ref == "RST-3").count() == 0


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_the_pending_list_is_exact(store: Database, data: st.DataObject) -> None:
    tag = f"p{next(_names)}"
    # centers of its own: the store holds other tests' agents too
    names = (f"{tag}-Makassar", f"{tag}-Jakarta", f"{tag}-Medan")
    sizes = data.draw(st.fixed_dictionaries({c: st.integers(0, 4) for c in names}))
    center_of = roster(store, tag, sizes)
    refs = list(center_of)
    required = data.draw(st.sets(st.sampled_from(sorted(sizes)), min_size=1))
    versions = data.draw(st.integers(1, 3))
    acks = data.draw(
        st.lists(
            st.tuples(st.integers(1, versions), st.sampled_from(refs or ["none"])), max_size=12
        )
    )
    acked: set[tuple[int, str]] = set()
    with store.unit_of_work() as s:
        doc = documents.create_document(
            s, f"Prop {tag}", "t", "v1", centers=sorted(required), on=DAY, actor="t"
        )
        for version in range(1, versions + 1):
            if version > 1:
                documents.publish_version(s, doc.id, f"v{version}", note="", on=DAY, actor="t")
            for at, ref in acks:
                if at == version and ref != "none":
                    documents.acknowledge(s, doc.id, ref, actor="t")
                    acked.add((version, ref))
        expected = sorted(
            (center_of[r], r)
            for r in refs
            if center_of[r] in required and (versions, r) not in acked
        )
        got = [(a.center, a.ref) for a in documents.pending(s, doc)]
        assert got == expected
        for row in documents.by_center(s, doc):
            mine = [r for r in refs if center_of[r] == row.center]
            assert row.required == len(mine)
            assert row.acknowledged == sum(1 for r in mine if (versions, r) in acked)
