/**
 * The booth crypto API (contract: "Booth crypto API"). Everything the voter's booth needs,
 * byte-identical to the Python reference (docs/spec.md, checked by the shared vectors in
 * tests/vectors through test/vectors.test.ts and the in-browser vectors page).
 *
 * All bytes are Uint8Array; `toHex`/`fromHex` convert (lowercase only).
 */
export { toHex, fromHex, equalBytes, utf8 } from './bytes.ts';
export {
  HamaporsiError, EncodingError, InvalidProof, MalformedInput, Rejected, CodeError, ReceiptError,
} from './errors.ts';
export { canonical, canonicalText, parseCanonical, MAX_ENTRY_BYTES, type Json, type JsonObject } from './canonical.ts';
export { encodeParts, hashParts, hashToScalar } from './hashing.ts';
export { parseCredentialCode, codeFromSecret, secretFromCode, type Credential } from './credentials.ts';
export {
  checkElection, contextFrom, createContext, electionHash, proofContext, TOTAL_INDEX,
  type BoothContext, type CheckedElection, type ElectionInfo,
} from './election.ts';
export { parseManifest, type Manifest, type Text, type TrusteeInfo } from './manifest.ts';
export {
  encryptBallot, verifyBallot, verifyAudit, verifyAuditDetailed, trackingCode, choiceVector,
  type EncryptedBallot, type EncryptOptions, type OpenedAudit, type VerifiedBallot,
} from './ballot.ts';
export { leafHash, nodeHash, verifyInclusion, verifyConsistency, checkInclusion, checkConsistency } from './merkle.ts';
export {
  verifyCheckpoint, parseCheckpoint, checkpointBodyBytes, checkpointMessage, type Checkpoint,
} from './checkpoint.ts';
export { checkReceipt, ballotBytesOf, requireWitnessed, type ReceiptResult } from './receipt.ts';
export {
  parseCosignature, cosignatureBody, cosignatureBodyBytes, cosignatureMessage, cosignatureToJson,
  verifyCosignature, parseWitnessPolicy, validCosigners, requireWitnesses, NO_WITNESSES,
  witnessName, witnessLabel, witnessLabels, type Cosignature, type WitnessPolicy,
} from './cosignature.ts';
