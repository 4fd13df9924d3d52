/** What the booth's tests expect a call to throw: a HamaporsiError, its code or check. */
import { expect } from 'vitest';
import { HamaporsiError } from '../src/crypto/index.ts';

/** The HamaporsiError `fn` throws (fails the test if it throws anything else or nothing). */
export function thrown(fn: () => unknown): HamaporsiError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(HamaporsiError);
    return e as HamaporsiError;
  }
  throw new Error('expected an error, nothing was thrown');
}

/** The code of the error `fn` throws (fails the test if it does not throw). */
export function codeOfThrow(fn: () => unknown): string {
  return thrown(fn).code;
}

/** The check id of the error `fn` throws (fails the test if it does not throw). */
export function checkOfThrow(fn: () => unknown): string | undefined {
  return thrown(fn).check;
}
