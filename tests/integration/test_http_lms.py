"""LMS results over HTTP: a JSON batch or the canonical CSV, all or nothing; the sync run now;
results held for unknown student numbers; LMS failures as problems."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from carepassport.adapters.lms.memory import InMemoryLms
from carepassport.application.services import Services
from carepassport.application.training.ports import LmsRequestRefused, LmsUnavailable
from tests.integration.helpers import footprint
from tests.integration.http_helpers import Headers, assert_problem

HEADER = "record_id,student_number,credential_code,attempt,score,passed,attempted_at\n"


def result(record_id: str = "r1", **changes: Any) -> dict[str, Any]:
    base = {
        "record_id": record_id,
        "student_number": "C0912345",
        "credential_code": "IPAC",
        "attempt": 1,
        "score": 85.5,
        "passed": True,
        "attempted_at": "2020-04-07T11:00:00-04:00",
    }
    return {**base, **changes}


class TestDeliverAJsonBatch:
    def test_a_valid_batch_is_staged(
        self, api: TestClient, tokens: dict[str, Headers], lms: InMemoryLms
    ) -> None:
        response = api.post(
            "/lms/results",
            json={"results": [result("r1"), result("r2", attempt="2", passed="false")]},
            headers=tokens["lms"],
        )

        assert response.status_code == 200, response.text
        assert response.json() == {"staged": 2, "already_staged": 0, "skipped": 0}
        assert set(lms.find(["r1", "r2"])) == {"r1", "r2"}

    def test_results_already_staged_are_counted_not_staged_again(
        self, api: TestClient, tokens: dict[str, Headers]
    ) -> None:
        api.post("/lms/results", json={"results": [result("r1")]}, headers=tokens["lms"])

        again = api.post(
            "/lms/results", json={"results": [result("r1"), result("r2")]}, headers=tokens["lms"]
        )

        assert again.json() == {"staged": 1, "already_staged": 1, "skipped": 0}

    def test_a_batch_with_bad_results_lists_each_by_index_and_stages_nothing(
        self, api: TestClient, services: Services, tokens: dict[str, Headers]
    ) -> None:
        before = footprint(services)
        batch = [
            result("ok"),
            result("bad-attempt", attempt=3),
            {"record_id": "missing"},
            result("bad-code", credential_code="NOPE"),
        ]

        response = api.post("/lms/results", json={"results": batch}, headers=tokens["lms"])

        body = assert_problem(response, 422, "invalid_results")
        assert [e["item"] for e in body["errors"]] == [1, 2, 3]  # type: ignore[attr-defined]
        assert "attempt must be 1 or 2" in body["errors"][0]["reason"]  # type: ignore[index]
        assert footprint(services) == before
        assert services.lms_import.import_records([result("ok")]).staged == 1

    def test_an_unknown_field_is_a_validation_error_naming_it(
        self, api: TestClient, tokens: dict[str, Headers]
    ) -> None:
        response = api.post(
            "/lms/results", json={"results": [result(grade="A")]}, headers=tokens["lms"]
        )

        body = assert_problem(response, 422, "validation_error")
        assert body["errors"][0]["field"] == "results.0.grade"  # type: ignore[index]


class TestDeliverTheCsv:
    def test_the_canonical_csv_is_staged(self, api: TestClient, tokens: dict[str, Headers]) -> None:
        csv = HEADER + "r1,C0912345,IPAC,1,85,true,2020-04-07T11:00\n"

        response = api.post(
            "/lms/results/csv",
            content=csv,
            headers={**tokens["college"], "Content-Type": "text/csv"},
        )

        assert response.status_code == 200, response.text
        assert response.json()["staged"] == 1

    def test_a_csv_with_a_bad_line_is_rejected_whole(
        self, api: TestClient, services: Services, tokens: dict[str, Headers]
    ) -> None:
        csv = HEADER + "r1,C0912345,IPAC,1,85,true,2020-04-07T11:00\nr2,C0912345,IPAC,9,1,x,y\n"
        before = footprint(services)

        response = api.post(
            "/lms/results/csv", content=csv, headers={**tokens["lms"], "Content-Type": "text/csv"}
        )

        body = assert_problem(response, 422, "invalid_csv")
        assert [e["line"] for e in body["errors"]] == [3]  # type: ignore[attr-defined]
        assert footprint(services) == before

    def test_an_unknown_format_is_refused(
        self, api: TestClient, tokens: dict[str, Headers]
    ) -> None:
        response = api.post(
            "/lms/results/csv?format=moodle",
            content=HEADER,
            headers={**tokens["lms"], "Content-Type": "text/csv"},
        )

        assert_problem(response, 422, "invalid_value")


class TestSyncAndUnmatched:
    def test_a_result_for_an_unknown_student_number_is_held_and_listed(
        self, api: TestClient, tokens: dict[str, Headers]
    ) -> None:
        college = tokens["college"]
        api.post(
            "/lms/results",
            json={"results": [result("stray", student_number="C0000000")]},
            headers=college,
        )

        synced = api.post("/lms/sync", headers=college)
        held = api.get("/lms/results/unmatched", headers=college)

        assert synced.json()["held"] == 1
        assert [(r["record_id"], r["student_number"]) for r in held.json()] == [
            ("stray", "C0000000")
        ]

    @pytest.mark.parametrize(
        ("error", "status", "code"),
        [
            (LmsUnavailable("timed out"), 503, "lms_unavailable"),
            (LmsRequestRefused("401 from the LMS", status=401), 502, "lms_refused"),
        ],
    )
    def test_an_lms_failure_is_a_problem_not_a_500(
        self,
        api: TestClient,
        tokens: dict[str, Headers],
        lms: InMemoryLms,
        monkeypatch: pytest.MonkeyPatch,
        error: Exception,
        status: int,
        code: str,
    ) -> None:
        def fail(*_: object) -> None:
            raise error

        monkeypatch.setattr(lms, "results_since", fail)

        response = api.post("/lms/sync", headers=tokens["college"])

        assert_problem(response, status, code)


@pytest.fixture
def services(api_services: Services) -> Services:
    return api_services
