/**
 * Errors of the booth crypto, mirroring the Python layers (spec §8.7, §9):
 *
 *     HamaporsiError            every error here; `code` is a stable snake_case name
 *     ├── EncodingError         bytes that are not a canonical scalar or point (spec §2)
 *     ├── InvalidProof          a proof or signature that does not verify; `check` names it
 *     ├── MalformedInput        input that breaks the wire rules (spec §4)
 *     ├── Rejected              well-formed input a protocol rule refuses; `check` (V1…V16)
 *     ├── CodeError             a credential code that cannot be used (spec §5.3)
 *     └── ReceiptError          a receipt that fails the voter's check (spec §5.7)
 *
 * Messages never contain secrets.
 */

/** Base of every error the booth crypto throws; `code` is what the UI maps to a message. */
export class HamaporsiError extends Error {
  readonly code: string;
  readonly check: string | undefined;

  constructor(message: string, code: string, check?: string) {
    super(check ? `${check}: ${message}` : message);
    this.name = new.target.name;
    this.code = code;
    this.check = check;
  }
}

/** Bytes that do not decode to a valid, canonical value (spec §2). Codes: wrong_length,
 * bad_prefix, identity_not_allowed, not_on_curve, x_not_below_p, not_below_order, bad_hex. */
export class EncodingError extends HamaporsiError {}

/** A proof or signature failed. Codes (docs/vectors.md order): branch_count,
 * scalar_out_of_range, identity_point, challenge_mismatch, equation_failed, bad_signature,
 * inclusion_failed, consistency_failed; for witness cosignatures (spec §8.8) wrong_checkpoint,
 * not_witnessed. */
export class InvalidProof extends HamaporsiError {
  constructor(check: string, reason: string, code: string) {
    super(reason, code, check);
  }
}

/** Input that does not follow the wire format (spec §4). Codes as in Python: too_large,
 * malformed_json, not_canonical, duplicate_key, bad_field, bad_encoding, bad_point,
 * bad_scalar, bad_checkpoint, bad_cosignature. */
export class MalformedInput extends HamaporsiError {}

/** Well-formed input refused by a protocol rule; `check` is the verifier check id (spec §9). */
export class Rejected extends HamaporsiError {
  constructor(message: string, code: string, check: string) {
    super(message, code, check);
  }
}

/** A credential code that is mistyped (`bad_code`) or names no usable key (`bad_secret`).
 * `reason` tells which rule failed: wrong_prefix, bad_character, wrong_length,
 * nonzero_pad_bits, bad_checksum, bad_secret. */
export class CodeError extends HamaporsiError {
  readonly reason: string;

  constructor(message: string, code: 'bad_code' | 'bad_secret', reason: string) {
    super(message, code);
    this.reason = reason;
  }
}

/** A receipt that fails the voter device's check (docs/vectors.md, receipts.json); codes in
 * check order: bad_receipt, bad_checkpoint, tracking_mismatch, leaf_mismatch, wrong_election,
 * wrong_board_key, bad_signature, inclusion_failed, bad_cosignature; then not_witnessed. */
export class ReceiptError extends HamaporsiError {}
