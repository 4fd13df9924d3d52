"""The verifier's report: one line per check (id, what, items, pass/fail, seconds) and, on
failure, the entry and the reason (spec §9)."""

from __future__ import annotations

from dataclasses import dataclass, field

CHECKS: dict[str, str] = {
    "V1": "manifest: fields and organizer signature",
    "V2": "key ceremony: commitments, proofs of knowledge, shares, complaints",
    "V3": "joint key and trustees' public shares",
    "V4": "credential list and opening of the vote",
    "V5": "ballot structure and election binding",
    "V6": "ballot signatures by listed credentials",
    "V7": "0/1 proof of every encrypted selection",
    "V8": "proof of every ballot's selection total",
    "V9": "audited (opened) ballots",
    "V10": "eligibility: every ballot's credential is listed",
    "V11": "uniqueness: tracking codes and ciphertexts, audited ballots never cast",
    "V12": "re-vote rule and the tally: sum of the last ballot of each credential",
    "V13": "decryption shares and their proofs",
    "V14": "result: counts, blank and turnout",
    "V15": "board: Merkle tree and signed checkpoints",
    "V16": "order of the record (phases, close)",
    "V-witness": "witness cosignatures of the checkpoints",
}


TIMED_WITH: dict[str, str] = {"V6": "V5", "V7": "V5", "V8": "V5", "V11": "V10"}
"""Checks that run in one step with another: their time is reported on that one's line."""


@dataclass
class CheckResult:
    id: str
    items: int = 0
    seconds: float = 0.0
    ok: bool | None = None  # None: not reached
    detail: str = ""  # what the check found, e.g. V-witness: who cosigned the last checkpoint

    @property
    def title(self) -> str:
        return f"{CHECKS[self.id]}: {self.detail}" if self.detail else CHECKS[self.id]


@dataclass
class Failure:
    check: str
    entry: int | None
    reason: str

    def __str__(self) -> str:
        where = f"entry {self.entry}" if self.entry is not None else "record"
        return f"{self.check} failed at {where}: {self.reason}"


@dataclass
class Report:
    checks: dict[str, CheckResult] = field(
        default_factory=lambda: {k: CheckResult(k) for k in CHECKS})
    failure: Failure | None = None
    entries: int = 0
    seconds: float = 0.0
    workers: int = 1
    election: str = ""
    result: dict | None = None
    backend: str = "1 process"
    resumed_from: int | None = None  # entries taken from a snapshot of an interrupted run

    @property
    def ok(self) -> bool:
        return self.failure is None

    def count(self, check: str, items: int = 1, seconds: float = 0.0) -> None:
        c = self.checks[check]
        c.items += items
        c.seconds += seconds

    def finish(self) -> None:
        for c in self.checks.values():
            if self.failure is None:
                c.ok = True
            elif c.id == self.failure.check:
                c.ok = False
