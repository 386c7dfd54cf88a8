"""The CI-sized fault campaign: a fixed set of seeds, each a generated scenario with faults,
kills and clock steps on one of the three portals, checked after every command (see
campaign.py and invariants.py).

A failing seed is replayed alone with ``python -m tests.reliability.campaign --seed N``.
The soak (1,000 seeds across both skins, the figures for docs/reliability.md) is the same
code: ``python -m benchmarks.soak --cases 1000 --workers 2``.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from mock_site.server import MockPortal
from tests.reliability.campaign import Figures, run_case, start_portal
from tests.reliability.generate import (
    KILL_POINTS,
    REQUIRED_FAULTS,
    coverage_class,
    generate,
)
from tests.reliability.invariants import JournalView
from tests.support.servers import PostgresServer

#: Chosen (greedily, from generation alone) so that between them they plan every fault
#: kind and every kill point on both markup families (accessible; real in en and es):
#: ``test_the_ci_seeds_cover_every_fault_kind_and_kill_point`` holds them to it.
CI_SEEDS = (420, 1106, 883, 640, 151, 2590, 1445, 2119, 124)


@pytest.fixture(scope="module")
def portals() -> Iterator[dict[str, MockPortal]]:
    """One portal per skin the seeds need, started on first use."""
    started: dict[str, MockPortal] = {}
    yield started
    for portal in started.values():
        portal.stop()


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("seed", CI_SEEDS)
def test_campaign_seed_keeps_every_invariant(portals: dict[str, MockPortal], seed: int) -> None:
    """Every invariant after every command, and the seed's plan carried out in full: each
    planned fault fired and each planned kill happened (a CI seed has nothing unreached)."""
    skin = generate(seed).skin
    if skin not in portals:
        portals[skin] = start_portal(skin)
    figures, log = run_case(portals[skin], seed)
    context = "\n".join([*figures.violations, "--- commands", *log])
    assert figures.violations == [], context
    assert_plan_carried_out(figures, seed, context)
    assert figures.commands >= len(generate(seed).steps) + 1


def assert_plan_carried_out(figures: Figures, seed: int, context: str) -> None:
    """Each planned fault fired and each planned kill happened; only a kill at a random
    moment may miss a command that ended sooner (how soon depends on the machine)."""
    unreached = Counter(figures.unreached)
    random_missed = unreached.pop("kill:random", 0)
    assert not unreached, f"planned but not reached: {unreached}\n{context}"
    planned_kills = Counter(s.kill for s in generate(seed).steps if s.kill)
    planned_kills["random"] -= random_missed
    assert figures.kills == +planned_kills, context


#: A seed of the real markup with a kill between each step of the cancel modal (open,
#: reason, report answer; 0 violations in the soak), its commands on a PostgreSQL journal
#: (issue 17): the same invariants, read with psycopg.
POSTGRES_SEEDS = (5135,)


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("seed", POSTGRES_SEEDS)
def test_campaign_seed_on_the_postgres_journal(
    portals: dict[str, MockPortal], postgres_cluster: PostgresServer, seed: int
) -> None:
    skin = generate(seed).skin
    if skin not in portals:
        portals[skin] = start_portal(skin)
    figures, log = run_case(portals[skin], seed, postgres_cluster)
    context = "\n".join([*figures.violations, "--- commands", *log])
    assert figures.violations == [], context
    assert_plan_carried_out(figures, seed, context)


def test_the_ci_seeds_cover_every_fault_kind_and_kill_point() -> None:
    """Between them, the CI seeds plan every fault kind and kill point on both families."""
    covered: set[tuple[str, str]] = set()
    for seed in CI_SEEDS:
        case = generate(seed)
        kinds, kills = case.planned()
        covered |= {(case.family, coverage_class(k)) for k in kinds}
        covered |= {(case.family, f"kill:{k}") for k in kills}
    needed = {(f, k) for f, kinds in REQUIRED_FAULTS.items() for k in kinds}
    needed |= {(f, f"kill:{k}") for f in REQUIRED_FAULTS for k in KILL_POINTS}
    assert needed - covered == set()
    assert {generate(s).skin for s in CI_SEEDS} == {"accessible", "real", "real-es"}


def test_generation_is_deterministic_and_valid() -> None:
    from mock_site.faults import Fault
    from mock_site.scenario import parse_scenario

    assert generate(1234) == generate(1234)
    for seed in range(60):
        case = generate(seed)
        parse_scenario(case.scenario, f"seed {seed}")
        labels = [f["label"] for s in case.steps for f in s.faults]
        assert len(labels) == len(set(labels)), "a fault's label names it in the fired log"
        for step in case.steps:
            assert set(step.aims) == {f["label"] for f in step.faults}
            for fault in step.faults:
                Fault.model_validate(fault)


def test_a_kill_point_the_seller_took_away_is_not_required() -> None:
    """Soak seed 5570: the first command's fault has the seller cancel order …705, which
    the third command was planned to kill at the report question. Once that fault fired
    the point cannot be reached (a violation before); had it not fired, it is still due."""
    case = generate(5570)
    first, _, third = case.steps[:3]
    seller = next(f for f in first.faults if "seller" in f)
    assert seller["seller"] == {"order": "8211279521005705", "do": "cancel"}
    assert third.command[3:] == ("8211279521005705",) and third.kill == "modal_answer"
    assert case.kill_points_left(third, set()) >= {"modal_open", "modal_answer"}
    assert case.kill_points_left(third, {seller["label"]}) == {"random"}
    # A seller act on an order of another command takes nothing from this one.
    assert "post_cancel" in case.kill_points_left(first, {seller["label"]})


def test_a_fault_after_a_request_an_earlier_fault_answered_waits_for_the_next() -> None:
    """Soak seed 5971: a 502 "before" and a seller act "after" both aim at the first cancel
    POST. The 502 answers in the portal's place, so the act waits for a second POST that a
    command never sends (exit 3, one attempt): not reached, not a violation (it was)."""
    first = generate(5971).steps[0]
    error, _, seller = first.faults
    assert (error["status"], error["when"], seller["when"]) == (502, "before", "after")
    assert first.aims[error["label"]] == first.aims[seller["label"]] == "cancel"
    assert first.requests_needed(seller["label"], {error["label"]}) == 2
    assert first.requests_needed(seller["label"], set()) == 1  # the 502 did not fire
    assert first.requests_needed(error["label"], set()) == 1


def test_an_unreadable_journal_is_a_violation_not_an_empty_journal(tmp_path: Path) -> None:
    """Only a missing file or a table-less one after a kill reads as empty."""
    path = tmp_path / "journal.sqlite3"
    assert JournalView.read(path, may_be_empty=True).problems == []
    assert JournalView.read(path).problems  # a command ran and left no journal
    path.write_bytes(b"this is not a database, it was overwritten" * 100)
    assert JournalView.read(path, may_be_empty=True).problems
    path.unlink()
    sqlite3.connect(path).close()  # created, killed before the first migration committed
    assert JournalView.read(path, may_be_empty=True).problems == []
    assert JournalView.read(path).problems
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE cases (id INTEGER PRIMARY KEY)")  # a half-made schema
    db.close()
    assert JournalView.read(path, may_be_empty=True).problems
