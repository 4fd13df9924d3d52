"""Which checkpoint receipts may stand on (spec §8.8.3): with a witness threshold k > 0, the
latest checkpoint that at least k of the manifest's witnesses validly cosigned. Cosignatures
never disappear, so once a checkpoint is witnessed it stays so: only cosignatures of newer
checkpoints are read and checked again, each (size, witness) verified once."""

from __future__ import annotations

from collections.abc import Sequence

from ..board.store import BoardStore
from ..protocol.checkpoint import Checkpoint
from ..protocol.cosignature import Cosignature, WitnessPolicy
from ..protocol.errors import ProtocolError


class Witnessed:
    """The latest witnessed checkpoint of one board and its valid cosignatures."""

    def __init__(self, policy: WitnessPolicy) -> None:
        self.policy = policy
        self.latest: Checkpoint | None = None
        self.cosignatures: list[Cosignature] = []
        self._checked: dict[tuple[int, bytes], Cosignature | None] = {}

    def refresh(self, store: BoardStore, checkpoints: Sequence[Checkpoint]) -> None:
        """Move `latest` to the newest of `checkpoints` (in increasing size, as the server
        knows them) that has ≥ threshold valid cosignatures in `store`."""
        after = self.latest.size if self.latest is not None else -1
        by_size: dict[int, list[bytes]] = {}
        for size, data in store.all_cosignatures(after):
            by_size.setdefault(size, []).append(data)
        if not by_size:
            return
        for cp in reversed(checkpoints):
            if cp.size <= after:
                break
            if cp.size not in by_size:
                continue
            valid = self._valid(cp, by_size[cp.size])
            if len(valid) >= self.policy.threshold:
                self.latest, self.cosignatures = cp, valid
                self._checked = {k: v for k, v in self._checked.items() if k[0] > cp.size}
                return

    def _valid(self, cp: Checkpoint, stored: list[bytes]) -> list[Cosignature]:
        """The valid cosignatures of `cp` by listed witnesses, each checked only once."""
        out: list[Cosignature] = []
        for data in stored:
            try:
                cs = Cosignature.from_bytes(data)
            except ProtocolError:
                continue
            key = (cp.size, cs.witness)
            if key not in self._checked:
                ok = self.policy.valid_cosigners(cp, [cs])
                self._checked[key] = ok[0] if ok else None
            got = self._checked[key]
            if got is not None:
                out.append(got)
        return sorted(out, key=lambda c: c.witness)
