"""What each error code means to a voter, in Persian and English. The booth may show its own
wording; these travel in every error body so that any client can show one (issue 3 §4)."""

from __future__ import annotations

_BAD_FIELD = ("The ballot has a wrong or missing field.",
              "برگهٔ رأی فیلدی نادرست یا ناقص دارد.")

MESSAGES: dict[str, tuple[str, str]] = {
    # the request itself
    "malformed_json": ("The ballot is not valid JSON.", "برگهٔ رأی JSON معتبری نیست."),
    "not_canonical": ("The ballot is not in canonical form (RFC 8785): it must be sent exactly "
                      "as the device encoded it.",
                      "برگهٔ رأی به شکل استاندارد (RFC 8785) نیست: باید دقیقاً همان‌گونه که "
                      "دستگاه رمزگذاری کرده فرستاده شود."),
    "duplicate_key": ("The ballot repeats a field name.",
                      "نام یکی از فیلدهای برگهٔ رأی تکرار شده است."),
    "bad_field": _BAD_FIELD,
    "bad_encoding": _BAD_FIELD,
    "bad_point": _BAD_FIELD,
    "bad_scalar": _BAD_FIELD,
    "bad_structure": _BAD_FIELD,
    "wrong_type": ("This address does not accept this kind of entry.",
                   "این نشانی این نوع ورودی را نمی‌پذیرد."),
    "too_large": ("The request is too large.", "درخواست بیش از اندازه بزرگ است."),
    "unsupported_media_type": ("Send the ballot as application/json.",
                               "برگهٔ رأی را با نوع application/json بفرستید."),
    "bad_request": ("The request's parameters are wrong.", "پارامترهای درخواست نادرست است."),
    # the protocol's refusals
    "bad_signature": ("The ballot's signature does not match its voting code.",
                      "امضای برگهٔ رأی با کد رأی‌دهی آن نمی‌خواند."),
    "bad_proof": ("The ballot's proofs do not verify, so it was not recorded. Encrypt it again.",
                  "اثبات‌های برگهٔ رأی تأیید نشد و رأی ثبت نشد. دوباره رمزگذاری کنید."),
    "bad_audit": ("The audited ballot does not open to the choices it states.",
                  "برگهٔ رأیِ بازرسی‌شده با گزینه‌های اعلام‌شده نمی‌خواند."),
    "wrong_election": ("The ballot is for another election.",
                       "این برگهٔ رأی برای همه‌پرسی دیگری است."),
    "unknown_credential": ("This voting code is not on the list of eligible voters.",
                           "این کد رأی‌دهی در فهرست رأی‌دهندگان نیست."),
    "duplicate": ("This ballot was already received (a replay or a copy). Encrypt a new one to "
                  "vote again.",
                  "این برگهٔ رأی پیش‌تر دریافت شده است (تکرار یا رونوشت). برای رأی دوباره، "
                  "برگهٔ تازه‌ای رمزگذاری کنید."),
    "not_open": ("Voting has not opened yet.", "رأی‌گیری هنوز آغاز نشده است."),
    "voting_closed": ("Voting is closed.", "رأی‌گیری پایان یافته است."),
    "wrong_phase": ("This is not possible in the election's current phase.",
                    "این کار در مرحلهٔ کنونی همه‌پرسی ممکن نیست."),
    "rate_limited": ("Too many attempts with this voting code. Wait a little and try again.",
                     "تلاش‌های بسیار با این کد رأی‌دهی. کمی صبر کنید و دوباره بکوشید."),
    # reading the board
    "not_found": ("Nothing with this address or tracking code is on the board.",
                  "چیزی با این نشانی یا کد پیگیری روی تابلو نیست."),
    "no_checkpoint": ("The board has not signed a checkpoint yet.",
                      "تابلو هنوز نقطهٔ وارسیِ امضاشده‌ای ندارد."),
    "method_not_allowed": ("This method is not allowed here.",
                           "این روش در این نشانی مجاز نیست."),
    # witnesses
    "bad_cosignature": ("The cosignature is malformed, does not verify, or is not of the "
                        "board's checkpoint of that size.",
                        "امضای هم‌گواهی نادرست است، تأیید نمی‌شود، یا از آنِ نقطهٔ وارسیِ "
                        "تابلو در آن اندازه نیست."),
    "unknown_witness": ("This key is not among the election's witnesses.",
                        "این کلید در میان گواهانِ این همه‌پرسی نیست."),
    # the server
    "read_only": ("This server keeps a read-only copy of the board; it does not take ballots. "
                  "Use the election's own address to vote.",
                  "این کارساز رونوشتی فقط‌خواندنی از تابلو است و برگهٔ رأی نمی‌پذیرد. برای "
                  "رأی دادن از نشانی خودِ همه‌پرسی استفاده کنید."),
    "unavailable": ("The server is busy or not ready. Try again shortly.",
                    "کارساز مشغول یا آماده نیست. کمی بعد دوباره بکوشید."),
    "internal_error": ("Something went wrong on the server.", "خطایی در کارساز رخ داد."),
}
"""code → (English, Persian)."""

FALLBACK = ("The request was refused.", "درخواست پذیرفته نشد.")


def message(code: str) -> dict[str, str]:
    """The voter-facing sentence for `code` in both languages."""
    en, fa = MESSAGES.get(code, FALLBACK)
    return {"en": en, "fa": fa}
