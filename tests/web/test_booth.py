"""A voter casts in the browser, in Persian and in English, re-votes and audits; the receipt the
browser checked and saved is checked again in Python against the board file."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from hamaporsi.protocol.ballot import tracking_code, verify_audit
from hamaporsi.protocol.canonical import parse_canonical

from web.booth import LATIN_DIGITS, PERSIAN_DIGITS, Booth
from web.browse import Browse, wait_until
from web.live import Live


def check_saved_receipt(live: Live, tc: str, saved: dict[str, object]) -> None:
    """The downloaded receipt is the board's answer for `tc`, holds in Python, and names the
    exact entry the browser sent (its tracking code recomputed over the stored bytes)."""
    assert set(saved) == {"tracking_code", "index", "leaf_hash", "path", "checkpoint"}
    assert saved["tracking_code"] == tc
    board = live.get(f"/api/ballots/{tc}")
    assert board["kind"] == "ballot" and board["status"] == "included"
    assert {k: board[k] for k in ("index", "leaf_hash")} == \
        {k: saved[k] for k in ("index", "leaf_hash")}
    live.check_receipt(saved)  # type: ignore[arg-type]
    data = live.entry_bytes(board["index"])
    assert tracking_code(data).hex() == tc
    assert parse_canonical(data)["credential"]  # a ballot entry, signed by a credential


def test_cast_in_persian(browse: Callable[..., Browse], live: Live) -> None:
    b = browse()
    booth = Booth(b).open()
    page = b.page
    assert page.evaluate("[document.documentElement.lang, document.documentElement.dir]") == \
        ["fa", "rtl"]
    assert "کد رأی‌دهی" in page.inner_text("#h-code")
    # Headless Chromium on Linux has no BarcodeDetector: no scan button is offered.
    assert not page.evaluate("'BarcodeDetector' in window") and page.is_hidden("#scan-button")
    booth.no_overflow()
    # The server reports serving the booth the organizer's manifest states (its own report).
    assert page.get_attribute("#fingerprint", "class") == "fp-same"
    b.shot("1-code")
    booth.enter_code(live.codes[0])
    booth.choose(0)
    assert "آیا" in page.inner_text("#question")  # the manifest's Persian question
    b.shot("2-choose")
    tc = booth.encrypt()
    assert "آری" in page.inner_text("#choice-summary")
    b.shot("3-tracking")
    saved = booth.cast()
    b.shot("4-receipt")
    booth.no_overflow()
    index_text = page.inner_text("#receipt-index")
    assert PERSIAN_DIGITS.search(index_text) and not LATIN_DIGITS.search(index_text)
    assert page.locator("#receipt svg.qr").count() == 1
    check_saved_receipt(live, tc, saved)
    # Printed, the receipt stands alone: no navigation, no buttons.
    page.emulate_media(media="print")
    assert page.is_visible("#receipt") and page.is_visible("#receipt .tracking")
    assert page.is_hidden("#site-header") and page.is_hidden("#save-button")
    b.shot("5-receipt-print")
    page.emulate_media(media="screen")
    # The self-hosted Persian font is what renders the page.
    assert page.evaluate("document.fonts.check('16px \"Vazirmatn NL\"', 'آری')")
    assert page.evaluate(
        "[...document.fonts].some(f => f.family.includes('Vazirmatn') && f.status === 'loaded')")
    # The secrets are gone: the code field is empty and the page no longer holds the code.
    assert page.input_value("#code-input") == ""
    assert live.codes[0] not in page.content()


def test_cast_in_english(browse: Callable[..., Browse], live: Live) -> None:
    b = browse()
    booth = Booth(b).open()
    page = b.page
    page.click("#lang-toggle")
    assert page.evaluate("[document.documentElement.lang, document.documentElement.dir]") == \
        ["en", "ltr"]
    assert page.inner_text("#h-code") == "Enter your voting code"
    page.reload()  # the choice is remembered
    booth.open()
    assert page.evaluate("document.documentElement.lang") == "en"
    b.shot("1-code")
    booth.enter_code(live.codes[1])
    booth.choose(1)
    assert "constituent assembly" in page.inner_text("#question")
    b.shot("2-choose")
    tc = booth.encrypt()
    assert page.inner_text("#choice-summary") == "No"
    b.shot("3-tracking")
    saved = booth.cast()
    b.shot("4-receipt")
    booth.no_overflow()
    assert "Verified in your browser" in page.inner_text("#receipt-verified")
    check_saved_receipt(live, tc, saved)
    # Switching back to Persian re-renders the receipt in place.
    page.click("#lang-toggle")
    assert PERSIAN_DIGITS.search(page.inner_text("#receipt-index"))
    b.shot("5-receipt-fa")


def test_revote_supersedes_the_first_ballot(browse: Callable[..., Browse], live: Live) -> None:
    b = browse()
    booth = Booth(b).open("?lang=en")
    page = b.page
    first, _ = booth.vote(live.codes[2], 0)
    page.click("#revote-button")
    booth.visible("code")
    assert page.input_value("#code-input") == ""  # the code must be typed again
    second, saved = booth.vote(live.codes[2], 1)
    assert first != second
    b.shot("1-second-receipt")
    check_saved_receipt(live, second, saved)
    assert live.get(f"/api/ballots/{first}")["superseded"] is True
    assert live.get(f"/api/ballots/{second}")["superseded"] is False
    # The lookup page says so, in the voter's language.
    b.open(f"/lookup.html?tc={first}")
    page.wait_for_selector("#lookup-superseded")
    assert page.get_attribute("#lookup-superseded", "data-superseded") == "true"
    assert page.get_attribute("#lookup-status", "data-status") == "included"
    b.shot("2-lookup-first")
    b.open(f"/lookup.html?tc={second}")
    page.wait_for_selector("#lookup-superseded")
    assert page.get_attribute("#lookup-superseded", "data-superseded") == "false"


def test_audit_then_cast(browse: Callable[..., Browse], live: Live) -> None:
    b = browse()
    booth = Booth(b).open()
    page = b.page
    booth.enter_code(live.codes[3])
    booth.choose(2)
    audited = booth.encrypt()
    page.click("#audit-button")
    booth.visible("audit")
    page.wait_for_selector("#audit-ok")
    wait_until(lambda: page.inner_text("#audit-status") != "" and
               page.is_enabled("#fresh-button"), what="the audit published")
    assert "سفید" in page.inner_text("#audit-choice")
    # "Published" only once the board's receipt for the audit checks in the browser.
    page.wait_for_selector("#audit-status[data-status='verified']", timeout=20_000)
    assert "در مرورگر شما بررسی شد" in page.inner_text("#audit-status")
    b.shot("1-audit-fa")
    # The opened ballot is on the board as an audit entry that opens to the chosen option.
    st = live.get(f"/api/ballots/{audited}")
    assert st["kind"] == "audit"
    audit = parse_canonical(live.entry_bytes(st["index"]))
    _, opened_tc = verify_audit(live.el.ctx, audit)  # the Python verifier opens it too
    assert opened_tc.hex() == audited
    # Exactly one of three: two stored selections, the third (blank) implied by 0, 0.
    assert audit["type"] == "audit" and audit["choices"] == [0, 0]
    # A fresh encryption, a new tracking code; the spent one can no longer be cast.
    page.click("#fresh-button")
    booth.visible("tracking")
    fresh = page.get_attribute("#tracking-code", "data-tracking")
    assert fresh and fresh != audited
    saved = booth.cast()
    check_saved_receipt(live, fresh, saved)
    b.open(f"/lookup.html?tc={audited}")
    page.wait_for_selector("#lookup-status")
    assert "شمرده نمی‌شود" in page.inner_text("#lookup-result")  # "not counted"
    b.shot("2-lookup-audit")


def test_an_audit_receipt_that_does_not_verify_is_not_called_published(
        browse: Callable[..., Browse], live: Live) -> None:
    """The 201 for a posted audit is only "pending"; a board answer whose inclusion proof fails
    is refused, and the audit is never reported as published."""
    b = browse()
    booth = Booth(b).open("?lang=en")
    page = b.page
    forged: dict[str, str] = {}

    def lie(route):  # type: ignore[no-untyped-def]
        st = json.loads(route.fetch().text())
        if st["status"] == "included":
            st["leaf_hash"] = "00" * 32 if st["leaf_hash"] != "00" * 32 else "11" * 32
            forged["tc"] = st["tracking_code"]
        route.fulfill(status=200, content_type="application/json", body=json.dumps(st))

    page.route("**/api/ballots/*", lie)
    booth.enter_code(live.codes[4])
    booth.choose(0)
    audited = booth.encrypt()
    page.click("#audit-button")
    page.wait_for_selector("#audit-ok")
    page.wait_for_selector("#audit-status[data-status='pending']", timeout=10_000)
    assert "Waiting for a signed checkpoint" in page.inner_text("#audit-status")
    page.wait_for_selector("#audit-error:not([hidden])", timeout=20_000)
    assert forged.get("tc") == audited
    assert page.get_attribute("#audit-error", "data-code") == "leaf_mismatch"
    assert page.get_attribute("#audit-status", "data-status") == "pending"
    assert "verified" not in page.inner_text("#audit-status")


def test_bad_credential_codes_are_refused_in_the_voters_language(
        browse: Callable[..., Browse], live: Live) -> None:
    from hamaporsi.protocol.credentials import Credential

    b = browse()
    b.watch.http_errors_expected = True  # the board's 422 for an unknown credential
    booth = Booth(b).open()
    page = b.page
    good = live.codes[4]
    typo = good[:-2] + ("A" if good[-2] != "A" else "B") + good[-1]
    booth.enter_code(typo)
    code, msg = booth.error("code-error")
    assert code == "bad_code" and "کد رأی‌دهی" in msg
    assert page.get_attribute("#code-input", "aria-invalid") == "true"
    b.shot("1-typo-fa")
    page.click("#lang-toggle")  # the message follows the language
    assert "mistyped" in booth.error("code-error")[1]
    booth.enter_code("HMP1-ABCD")
    code, msg = booth.error("code-error")
    assert code == "bad_code" and "length" in msg
    b.shot("2-short-en")
    # Well-formed but not on this election's list: the board refuses it at casting.
    booth.enter_code(Credential.generate().code)
    booth.choose(0)
    booth.encrypt()
    page.click("#cast-button")
    booth.visible("code")
    code, msg = booth.error("code-error")
    assert code == "unknown_credential" and "not on the list" in msg
    b.shot("3-unknown-en")
    # Persian digits typed for the code's 2–7 are accepted (a Persian keyboard's digits).
    fa_digits = good.translate(str.maketrans("234567", "۲۳۴۵۶۷"))
    assert fa_digits != good
    booth.enter_code(fa_digits)
    booth.visible("choose")


def test_keyboard_only_vote(browse: Callable[..., Browse], live: Live) -> None:
    """Tab, type, Space and Enter only: every step is reachable and operable by keyboard."""
    b = browse()
    booth = Booth(b).open()
    page, kb = b.page, b.page.keyboard

    def tab_to(selector: str, limit: int = 25) -> None:
        for _ in range(limit):
            kb.press("Tab")
            if page.evaluate(f"document.activeElement === document.querySelector('{selector}')"):
                return
        raise AssertionError(f"Tab never reached {selector}")

    tab_to("#code-input")
    kb.type(live.codes[5])
    kb.press("Enter")
    booth.visible("choose")
    assert page.evaluate("document.activeElement.id") == "h-choose"  # focus follows the step
    tab_to("#opt-0")
    kb.press("Space")
    kb.press("ArrowDown")  # native radio group: arrows move the choice
    assert page.is_checked("#opt-1") and not page.is_checked("#opt-0")
    b.shot("1-keyboard-choice")
    tab_to("#encrypt-button")
    kb.press("Enter")
    booth.visible("tracking")
    tc = page.get_attribute("#tracking-code", "data-tracking")
    tab_to("#cast-button")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # the focused button shows it
    b.shot("2-keyboard-focus")
    kb.press("Enter")
    booth.visible("receipt")
    page.wait_for_selector("#receipt-verified")
    assert live.get(f"/api/ballots/{tc}")["kind"] == "ballot"


def test_record_with_browser_ballots_verifies(browse: Callable[..., Browse], live: Live,
                                              tmp_path: Path) -> None:
    """Ballots and an audit made in the browser pass `hamaporsi verify` (verify_record)."""
    b = browse()
    booth = Booth(b).open("?lang=en")
    page = b.page
    booth.enter_code(live.codes[0])
    booth.choose(1)
    audited = booth.encrypt()
    page.click("#audit-button")
    page.wait_for_selector("#audit-ok")
    wait_until(lambda: page.is_enabled("#fresh-button"), what="the audit published")
    page.click("#fresh-button")
    booth.visible("tracking")
    booth.cast()
    page.click("#revote-button")
    booth.vote(live.codes[0], 0)
    page.click("#revote-button")
    booth.vote(live.codes[1], 2)
    assert live.get(f"/api/ballots/{audited}")["kind"] == "audit"
    # Only each credential's last ballot counts: voter 0's "yes", voter 1's "blank".
    assert live.finish() == [1, 0, 1]
    entries_before = live.get("/api/board/checkpoint")["size"]
    report = live.export_and_verify(tmp_path / "record")
    assert report.ok, report.failure
    assert report.entries >= entries_before
    assert report.checks["V5"].items == 3  # the three ballots cast from the browser …
    assert report.checks["V9"].items == 1  # … and the one it opened
