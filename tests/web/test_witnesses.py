"""A booth in an election with two witnesses, both required (spec §5.2, §5.7, §8.8): the
receipt waits for witnesses until both cosign the checkpoint covering the ballot, the browser
checks their cosignatures itself (a forged one served to it does not count), and the receipt it
saves holds them and passes `hamaporsi voter check`. Cosignatures are made with test witness
keys and posted as a witness would (POST /api/board/cosignatures)."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable, Iterator
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import pytest

from hamaporsi.cli.main import main
from hamaporsi.protocol.checkpoint import Checkpoint
from hamaporsi.protocol.cosignature import Cosignature, cosign

from verify.witnessed import KEYS, NAMES, WITNESSES, policy
from web.booth import Booth
from web.browse import Browse, wait_until
from web.live import HttpError, Live, start_live

RECEIPT_KEYS = {"tracking_code", "index", "leaf_hash", "path", "checkpoint", "cosignatures"}


@pytest.fixture
def live(tmp_path: Path, dist: Path, request: pytest.FixtureRequest) -> Iterator[Live]:
    """An open election whose manifest lists test witnesses 0 and 1, both required; named
    (spec §5.2 "names") when a test parametrizes it indirectly with True."""
    named = bool(getattr(request, "param", False))
    lv = start_live(tmp_path, witnesses=policy(2, 2, named=named))
    try:
        yield lv
    finally:
        lv.stop()


def pump_until(page: Any, check: Callable[[], bool], what: str = "condition",
               timeout: float = 20.0) -> None:
    """Wait for `check()` while letting Playwright dispatch the page's events (a route handler
    runs only while Playwright is called; time.sleep would starve it)."""
    end = time.monotonic() + timeout
    while not check():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        page.wait_for_timeout(100)


def covering_checkpoint(live: Live, tc: str, wait: Callable[..., None]) -> Checkpoint:
    """The latest signed checkpoint once one covers ballot `tc` (the board holds it); `wait`
    is pump_until bound to a page, or wait_until without one."""
    found: list[Checkpoint] = []

    def covered() -> bool:
        try:
            index = live.get(f"/api/ballots/{tc}")["index"]
        except HttpError:
            return False  # not received yet
        cps = live.get("/api/board/checkpoints?limit=1")["checkpoints"]
        if cps and cps[0]["size"] > index:
            found.append(Checkpoint.from_json(cps[0]))
        return bool(found)

    wait(covered, what="a signed checkpoint covering the ballot")
    return found[0]


def post_cosignature(live: Live, witness: int, cp: Checkpoint) -> Cosignature:
    cs = cosign(WITNESSES[witness], cp, int(time.time()))
    assert live.post("/api/board/cosignatures", cs.to_bytes()) == {"stored": True}
    return cs


def start_casting(booth: Booth, code: str) -> str:
    booth.enter_code(code)
    booth.choose(0)
    tc = booth.encrypt()
    booth.page.click("#cast-button")
    return tc


def waiting_for(page: Any, j: int) -> None:
    page.wait_for_selector(f'#cast-status[data-witnesses="{j}/2"]', timeout=20_000)


def save(page: Any) -> dict[str, Any]:
    with page.expect_download() as dl:
        page.click("#save-button")
    return json.loads(Path(dl.value.path()).read_text())  # type: ignore[no-any-return]


def voter_check(live: Live, receipt: dict[str, Any], tmp: Path) -> str:
    """`hamaporsi voter check` on the receipt the browser saved, against the board file."""
    path = tmp / "saved-receipt.json"
    path.write_text(json.dumps(receipt))
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        rc = main(["voter", "check", "--board", str(live.el.path), "--receipt", str(path)])
    assert rc == 0, err.getvalue()
    return out.getvalue()


def test_receipt_waits_for_both_witnesses(browse: Callable[..., Browse], live: Live,
                                          tmp_path: Path) -> None:
    b = browse()
    booth = Booth(b).open("?lang=en")
    page = b.page
    tc = start_casting(booth, live.codes[0])
    cp = covering_checkpoint(live, tc, lambda c, what: pump_until(page, c, what))
    waiting_for(page, 0)
    assert "Waiting for witnesses to cosign it (0 of 2)" in page.inner_text("#cast-status")
    assert live.get(f"/api/ballots/{tc}")["status"] == "pending"  # the server's rule too
    b.shot("1-waiting-0")

    look = browse()
    look.open(f"/lookup.html?lang=en&tc={tc}")
    look.page.wait_for_selector('#lookup-status[data-status="witnessing"][data-witnesses="0/2"]')

    post_cosignature(live, 0, cp)
    waiting_for(page, 1)
    assert "(1 of 2)" in page.inner_text("#cast-status")
    assert page.is_hidden("#step-receipt")
    b.shot("2-waiting-1")

    post_cosignature(live, 1, cp)
    booth.visible("receipt")
    page.wait_for_selector("#receipt-verified")
    wit = page.wait_for_selector('#receipt-witnesses[data-witnessed="2/2/2"]')
    assert wit is not None and wit.inner_text().startswith(
        "Witnessed by 2 of 2 (2 required); their cosignatures verified in your browser")
    # the manifest names no one: each cosigner is shown by a short fingerprint of its key
    assert page.get_attribute("#receipt-witnesses-names", "data-named") == "false"
    assert [x.replace(" ", "") for x in listed(page, "#receipt-witnesses-names")] == \
        [k.hex()[:16] + "…" for k in KEYS[:2]]  # shown in groups of four hex digits
    b.shot("3-receipt")
    page.click("#lang-toggle")  # the same line in Persian
    assert "گواهی‌شده به دست ۲ از ۲ گواه" in page.inner_text("#receipt-witnesses")
    b.shot("4-receipt-fa")

    saved = save(page)
    assert set(saved) == RECEIPT_KEYS and saved["tracking_code"] == tc
    assert saved["checkpoint"] == cp.to_json()
    held = [Cosignature.from_json(c) for c in saved["cosignatures"]]
    assert live.check_receipt(saved) == cp
    assert len(live.el.manifest.witnesses.require(cp, held)) == 2
    out = voter_check(live, saved, tmp_path)
    assert "receipt OK" in out and "cosigned by 2 of its 2 witnesses (2 required)" in out

    look.page.reload()
    look.page.wait_for_selector('#lookup-status[data-status="included"]')
    look.page.wait_for_selector('#lookup-witnesses[data-witnessed="2/2/2"]')
    look.shot("lookup")

    board = browse()
    board.open("/board.html?lang=en")
    mark = board.page.wait_for_selector('#cp-list li:first-child [data-check="witnesses"]')
    assert mark is not None and mark.get_attribute("data-witnessed") == "2/2/2"
    assert mark.inner_text() == "cosigned by 2 of 2 witnesses (2 required)"
    board.shot("board")


def listed(page: Any, ul: str) -> list[str]:
    """The witnesses a receipt or lookup page lists, as shown, in order."""
    return [x.strip() for x in page.locator(f"{ul} li").all_inner_texts()]


@pytest.mark.parametrize("live", [True], indirect=True, ids=["named"])
def test_receipt_names_the_witnesses(browse: Callable[..., Browse], live: Live,
                                     tmp_path: Path) -> None:
    """With names in the manifest the receipt and the lookup page list who cosigned, in the
    page's language: Persian names in Persian, English names in English."""
    assert live.el.manifest.witnesses.names == tuple(NAMES[:2])
    b = browse()
    booth = Booth(b).open("?lang=fa")
    page = b.page
    tc = start_casting(booth, live.codes[0])
    cp = covering_checkpoint(live, tc, lambda c, what: pump_until(page, c, what))
    post_cosignature(live, 1, cp)
    post_cosignature(live, 0, cp)
    booth.visible("receipt")
    page.wait_for_selector('#receipt-witnesses[data-witnessed="2/2/2"]')
    assert page.get_attribute("#receipt-witnesses-names", "data-named") == "true"
    assert page.inner_text("#receipt-witnesses-names-label") == "گواهانی که امضا کردند:"
    assert listed(page, "#receipt-witnesses-names") == [NAMES[0].fa, NAMES[1].fa]
    b.shot("1-receipt-fa")
    page.click("#lang-toggle")
    page.wait_for_selector("html[lang=en]")
    assert page.inner_text("#receipt-witnesses-names-label") == "Witnesses who cosigned:"
    assert listed(page, "#receipt-witnesses-names") == [NAMES[0].en, NAMES[1].en]
    assert NAMES[0].fa not in page.inner_text("#receipt-witnesses")
    b.shot("2-receipt-en")

    out = voter_check(live, save(page), tmp_path)
    assert f"(2 required: {NAMES[0].en}, {NAMES[1].en})" in out

    look = browse()
    look.open(f"/lookup.html?lang=fa&tc={tc}")
    look.page.wait_for_selector('#lookup-witnesses[data-witnessed="2/2/2"]')
    assert listed(look.page, "#lookup-witnesses-names") == [NAMES[0].fa, NAMES[1].fa]
    look.shot("lookup-fa")
    look.page.click("#lang-toggle")
    look.page.wait_for_selector("html[lang=en]")
    assert listed(look.page, "#lookup-witnesses-names") == [NAMES[0].en, NAMES[1].en]
    look.shot("lookup-en")


def test_forged_cosignature_does_not_count(browse: Callable[..., Browse], live: Live) -> None:
    """The board has both real cosignatures, but the answer the browser gets has the second
    one's signature altered: the browser counts one, keeps waiting, and completes only once it
    is served the genuine pair."""
    b = browse()
    page = b.page
    forged_answers = [0]

    def forge(route: Any) -> None:
        resp = route.fetch()
        body = resp.json()
        if body.get("status") == "included" and len(body.get("cosignatures", [])) == 2:
            cs = body["cosignatures"][1]
            sig = bytes.fromhex(cs["sig"])
            cs["sig"] = (bytes([sig[0] ^ 1]) + sig[1:]).hex()
            forged_answers[0] += 1
        route.fulfill(response=resp, body=json.dumps(body))

    page.route("**/api/ballots/*", forge)
    booth = Booth(b).open("?lang=en")
    tc = start_casting(booth, live.codes[1])
    cp = covering_checkpoint(live, tc, lambda c, what: pump_until(page, c, what))
    post_cosignature(live, 0, cp)
    post_cosignature(live, 1, cp)
    assert live.get(f"/api/ballots/{tc}")["status"] == "included"  # the board counts two
    pump_until(page, lambda: forged_answers[0] >= 3, "three forged answers to the booth")
    waiting_for(page, 1)
    assert page.is_hidden("#step-receipt")
    assert "(1 of 2)" in page.inner_text("#cast-status")
    b.shot("1-forged-not-counted")

    page.unroute("**/api/ballots/*")
    booth.visible("receipt")
    page.wait_for_selector('#receipt-witnesses[data-witnessed="2/2/2"]')
    saved = save(page)
    assert len(saved["cosignatures"]) == 2
    assert len(live.el.manifest.witnesses.require(cp, [Cosignature.from_json(c) for c in
                                                        saved["cosignatures"]])) == 2
    b.shot("2-genuine")


def test_unlisted_and_malformed_cosignatures_are_refused_by_the_board(live: Live) -> None:
    """What the Playwright tests rely on: the board stores only listed witnesses' valid
    cosignatures of its own checkpoints (helper C's endpoint, spec §8.8)."""
    b = live.cast(2, [0])
    cp = covering_checkpoint(live, b.tracking_code.hex(), wait_until)
    with pytest.raises(HttpError) as e:
        live.post("/api/board/cosignatures", cosign(WITNESSES[3], cp, 1).to_bytes())
    assert e.value.status == 403 and e.value.body["error"] == "unknown_witness"
    good = cosign(WITNESSES[0], cp, 1)
    bad = Cosignature(good.checkpoint, good.election_id, good.size, good.timestamp + 1,
                      good.witness, good.signature)
    with pytest.raises(HttpError) as e:
        live.post("/api/board/cosignatures", bad.to_bytes())
    assert e.value.status == 400 and e.value.body["error"] == "bad_cosignature"
