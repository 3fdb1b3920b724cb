"""Measurement 10: what sealing personal data costs (ADR 0023).

The whole workflow of measurement 1 on a fresh SQLite store, with personal data sealed per
person (the product as shipped) and, as the baseline, with the same key store told not to
seal (values stored as they are; blind indexes still computed). The runs alternate, so both
see the same machine; the best of each is compared: throughput with sealing over without.
"""

from __future__ import annotations

from typing import Any

from bench import workflow
from bench.common import fresh_store, sized
from carepassport.adapters.personal.keys import AesGcmPersonalData, MemoryKeyTable

FLOWS = 200
ROUNDS = 3


def _run(kind: str, flows: int, sealing: bool) -> float:
    with fresh_store(kind) as store:
        keys = AesGcmPersonalData(MemoryKeyTable(), sealing=sealing)
        seconds: float = workflow.run_flows(store.url, flows, personal=lambda _: keys)["seconds"]
    return seconds


def measure(kind: str = "sqlite") -> dict[str, Any]:
    flows = sized(FLOWS)
    _run(kind, 2, True)  # warm-up
    sealed, plain = [], []
    for _ in range(ROUNDS):
        plain.append(_run(kind, flows, False))
        sealed.append(_run(kind, flows, True))
    return {
        "store": kind,
        "flows": flows,
        "sealed_s": min(sealed),
        "plain_s": min(plain),
        "ratio_a": min(plain) / min(sealed),
    }
