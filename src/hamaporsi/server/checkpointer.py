"""The board's checkpoint cadence (spec §5.7, §8.5.7): every `every` seconds a round asks the
`Cadence` whether to sign one checkpoint of the whole log — once `min_entries` entries wait, or
the oldest has waited `max_delay`. Never one per ballot, so that a checkpoint's time next to a
single new entry does not publish when that voter voted (docs/security.md W3). Pending receipts
become `included` with the next checkpoint; only then does the board publish the entries."""

from __future__ import annotations

import asyncio
import logging

from ..board.errors import StoreUnavailable
from .cast import Caster
from .service import BoardService

log = logging.getLogger("hamaporsi.server")


async def tick(service: BoardService, caster: Caster, *, force: bool = False) -> None:
    """One round: catch up, checkpoint if due (`force`: if the log grew at all, as at
    shutdown), start the verifier once voting opens."""
    cp = await service.call(service.checkpoint_if_due, force)
    if cp is not None:
        log.info("signed checkpoint at size %d", cp.size)
    await caster.start_verifier()


async def run(service: BoardService, caster: Caster, every: float) -> None:
    """Tick forever (until cancelled); a failed round is logged and the next one runs."""
    while True:
        await asyncio.sleep(every)
        try:
            await tick(service, caster)
        except asyncio.CancelledError:
            raise
        except StoreUnavailable as e:  # no traceback for an outage: one line per round
            log.warning("checkpoint round skipped: the board's database is unavailable (%s)",
                        type(e).__name__)
        except Exception:
            log.exception("checkpoint round failed")
