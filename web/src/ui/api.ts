/** Typed client for the board's HTTP API (contract: GET/POST /api/…); failures become ApiError. */

export interface Text { fa: string; en: string }

export interface Manifest {
  type: 'manifest';
  election_id: string;
  question: Text;
  options: Text[];
  min_selections: number;
  max_selections: number;
  opens: number;
  closes: number;
  board_key: string;
  [k: string]: unknown;
}

export type Phase = 'setup' | 'voting' | 'closed' | 'done';

export interface ElectionJson {
  election_id: string;
  phase: Phase;
  manifest: Manifest;
  board_key: string;
  trustees: unknown[];
  context: null | {
    election: string; joint_key: string; credential_count: number; credential_hash: string;
  };
  booth: { hash: string | null; published: string | null };
}

export interface CheckpointJson {
  type: string; board_key: string; election: string; root: string; size: number; time: number;
  sig: string;
}

export interface Accepted { status: 'pending'; tracking_code: string; index: number; leaf_hash: string }

/** A witness's cosignature of a checkpoint (spec §8.8), as served. */
export interface CosignatureJson {
  type: string; checkpoint: string; election: string; size: number; time: number; witness: string;
  sig: string;
}

export interface BallotStatus {
  tracking_code: string;
  kind: 'ballot' | 'audit';
  index: number;
  leaf_hash: string;
  superseded: boolean;
  status: 'pending' | 'included';
  checkpoint: CheckpointJson | null;
  path: string[];
  /** The witnesses' cosignatures of `checkpoint` (absent from a server without witnesses). */
  cosignatures?: CosignatureJson[];
}

export interface ResultsJson {
  phase: Phase;
  turnout: { eligible: number | null; voters: number; ballots: number; audits: number };
  result: null | { counts: number[]; blank?: number | null; [k: string]: unknown };
}

/** A refusal or failure: `code` is the server's stable error code ('network' if unreachable). */
export class ApiError extends Error {
  constructor(
    readonly status: number, readonly code: string, readonly detail: string,
    readonly retryAfter: number | null = null,
    /** The server's own sentence for the code, {en, fa}, shown for codes the booth does not know. */
    readonly serverMessage: { en?: string; fa?: string } | null = null,
  ) {
    super(`${status} ${code}: ${detail}`);
    this.name = 'ApiError';
  }
}

async function call<T>(path: string, init?: RequestInit): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, { credentials: 'same-origin', cache: 'no-store', ...init });
  } catch (e) {
    throw new ApiError(0, 'network', e instanceof Error ? e.message : String(e));
  }
  let body: unknown = null;
  const text = await res.text();
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!res.ok) {
    const o = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
    const code = typeof o.error === 'string' ? o.error
      : res.status >= 500 ? 'internal' : 'bad_request';
    const detail = typeof o.detail === 'string' ? o.detail : text.slice(0, 200);
    const ra = Number(res.headers.get('Retry-After'));
    const msg = o.message && typeof o.message === 'object' ? o.message as { en?: string; fa?: string } : null;
    throw new ApiError(res.status, code, detail, Number.isFinite(ra) && ra > 0 ? ra : null, msg);
  }
  if (body === null || typeof body !== 'object') {
    throw new ApiError(res.status, 'bad_response', 'the answer is not a JSON object');
  }
  return body as T;
}

function post<T>(path: string, bytes: Uint8Array): Promise<T> {
  return call<T>(path, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: bytes as BodyInit,
  });
}

const HEX64 = /^[0-9a-f]{64}$/;

export const api = {
  election: () => call<ElectionJson>('/api/election'),
  castBallot: (bytes: Uint8Array) => post<Accepted>('/api/ballots', bytes),
  postAudit: (bytes: Uint8Array) => post<Accepted>('/api/audits', bytes),
  ballot: (tc: string) => {
    if (!HEX64.test(tc)) throw new ApiError(0, 'bad_tracking_code', tc);
    return call<BallotStatus>(`/api/ballots/${tc}`);
  },
  checkpoint: () => call<CheckpointJson>('/api/board/checkpoint'),
  checkpoints: (limit = 20) =>
    call<{ checkpoints: CheckpointJson[] }>(`/api/board/checkpoints?limit=${limit}`),
  consistency: (from: number, to: number) =>
    call<{ from: number; to: number; proof: string[] }>(
      `/api/board/proofs/consistency?from=${from}&to=${to}`),
  cosignatures: (size: number) =>
    call<{ size: number; checkpoint: CheckpointJson; cosignatures: unknown[] }>(
      `/api/board/cosignatures?size=${size}`),
  results: () => call<ResultsJson>('/api/results'),
  entries: (start: number, end: number) =>
    call<{ start: number; entries: unknown[] }>(`/api/board/entries?start=${start}&end=${end}`),
};
