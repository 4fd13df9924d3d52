"""A small election driven through a real `ElectionBoard` over SQLite, for the board and ledger
tests: manifest, ceremony and credentials on the board, then helpers for each later phase."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from hamaporsi.board.election_board import ElectionBoard
from hamaporsi.board.open import open_store
from hamaporsi.board.store import BoardStore
from hamaporsi.crypto import bip340
from hamaporsi.protocol.ballot import EncryptedBallot, encrypt_ballot
from hamaporsi.protocol.ceremony import TrusteeKeys, run_ceremony
from hamaporsi.protocol.cosignature import WitnessPolicy
from hamaporsi.protocol.credentials import Credential, credential_entries
from hamaporsi.protocol.manifest import Text, build_manifest, parse_manifest
from hamaporsi.protocol.signing import sign_entry
from hamaporsi.protocol.tally import combine, decryption_entry, result_entry, tally_entry
from hamaporsi.verify.report import Report
from hamaporsi.verify.runner import verify_record


NOW = int(time.time())  # voting is open now: the board checks the period by its clock


class Election:
    """Manifest, ceremony and credentials on a board; voting not yet open."""

    def __init__(self, path: Path, *, options: int = 3, lo: int = 1, hi: int = 1,
                 voters: int = 4, trustees: int = 3, threshold: int = 2,
                 question: Text | None = None, option_texts: list[Text] | None = None,
                 booth: bytes | None = None, witnesses: WitnessPolicy | None = None) -> None:
        self.path = path
        self.organizer, self.registrar, self.board_secret = (bip340.generate_secret()
                                                             for _ in range(3))
        self.tkeys = [TrusteeKeys.generate() for _ in range(trustees)]
        unsigned = build_manifest(
            election_id="test-election", question=question or Text(fa="پرسش؟", en="Question?"),
            options=option_texts or [Text(fa=f"گزینه {i}", en=f"Option {i}")
                                     for i in range(options)],
            min_selections=lo, max_selections=hi, opens=NOW - 3600, closes=NOW + 86400,
            organizer_key=bip340.public_key(self.organizer),
            registrar_key=bip340.public_key(self.registrar),
            board_key=bip340.public_key(self.board_secret),
            trustees=[k.public_info(f"T{i}") for i, k in enumerate(self.tkeys, 1)],
            threshold=threshold, booth=booth, witnesses=witnesses)
        self.manifest = m = parse_manifest(sign_entry(unsigned, self.organizer))
        self.store = open_store(path)
        self.eb = ElectionBoard(self.store, self.board_secret, m.hash.hex())
        self.eb.submit(m.entry)
        entries, self.shares = run_ceremony(m, self.tkeys, self.organizer)
        for e in entries:
            self.eb.submit(e)
        self.creds = [Credential.generate() for _ in range(voters)]
        for e in credential_entries(m.hash, [c.public for c in self.creds], self.registrar):
            self.eb.submit(e)
        self.ctx = self.eb.ledger.opening_context()

    @property
    def size(self) -> int:
        return self.eb.board.size

    def open(self) -> None:
        self.eb.submit(self.ctx.open_entry(self.organizer))

    def ballot(self, voter: int, selected: list[int]) -> EncryptedBallot:
        c = self.creds[voter]
        return encrypt_ballot(self.ctx, c.secret, c.public, selected)

    def cast(self, voter: int, selected: list[int]) -> EncryptedBallot:
        b = self.ballot(voter, selected)
        self.eb.submit_bytes(b.bytes)
        return b

    def close_entry(self, ballots: int | None = None) -> dict[str, Any]:
        n = self.eb.ledger.ballots if ballots is None else ballots
        return sign_entry({"type": "close", "election": self.ctx.hash.hex(), "ballots": n},
                          self.organizer)

    def close(self) -> None:
        self.eb.submit(self.close_entry())

    def tally(self) -> None:
        led = self.eb.ledger
        self.eb.submit(tally_entry(self.ctx, led.counted_totals(), led.index.voters(),
                                   self.organizer))

    def decrypt(self, trustees: list[int]) -> None:
        led = self.eb.ledger
        assert led.tally is not None
        for j in trustees:
            self.eb.submit(decryption_entry(self.ctx, led.tally, j, self.shares[j],
                                            self.tkeys[j - 1].signing_secret))

    def result(self, trustees: list[int]) -> list[int]:
        led = self.eb.ledger
        assert led.tally is not None
        counts = combine(self.ctx, led.tally, led.shares)
        self.eb.submit(result_entry(self.ctx, counts, led.index.voters(), trustees,
                                    self.organizer))
        return counts

    def finish(self, trustees: list[int] | None = None) -> list[int]:
        trustees = trustees or sorted(self.shares)[: self.manifest.threshold]
        self.close()
        self.tally()
        self.decrypt(trustees)
        return self.result(trustees)

    def write_board_key(self, path: Path | None = None) -> Path:
        """The board key file (as `organizer create` writes one, mode 0600) at `path`, by
        default beside the board file (board.sqlite → board.key.json); its path."""
        path = path or Path(self.path).with_suffix(".key.json")
        path.write_text(json.dumps({"role": "board", "board_secret": self.board_secret.hex(),
                                    "election": self.manifest.hash.hex()}))
        path.chmod(0o600)
        return path

    def finish_on(self, store: BoardStore, out: Path) -> Path:
        """Take up the board in `store` (opened afresh after others wrote to it), finish the
        election, sign a checkpoint and export the record to `out`; the record's path."""
        self.store = store
        self.eb = ElectionBoard(store, self.board_secret, self.manifest.hash.hex())
        self.finish()
        self.eb.checkpoint()
        return self.eb.export(out)

    def export_and_verify(self, out: Path) -> Report:
        """Checkpoint, export the record to `out`, close the store, verify the record."""
        try:
            self.eb.checkpoint()
            rec = self.eb.export(out)
        finally:
            self.store.close()
        return verify_record(rec, workers=1)
