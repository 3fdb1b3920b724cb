"""The wired core builds each use case when it is first used, once (ADR 0025)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from carepassport.bootstrap import bootstrap


def test_a_use_case_is_built_on_first_use_and_then_the_same_object() -> None:
    services = bootstrap("memory://")
    try:
        assert "matching" not in vars(services)
        first = services.matching
        assert services.matching is first
    finally:
        services.close()


def test_threads_asking_at_once_get_one_use_case() -> None:
    services = bootstrap("memory://")
    try:
        with ThreadPoolExecutor(8) as pool:
            found = list(pool.map(lambda _: services.registrations, range(32)))
        assert all(r is found[0] for r in found)
    finally:
        services.close()
