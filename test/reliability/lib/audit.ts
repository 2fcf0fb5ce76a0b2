// The API server's audit log as evidence: who wrote what, when, with which credential. Read as a stream
// (a load run logs hundreds of thousands of requests) from a byte offset, so a scenario looks only at the
// requests of its own phase.
import { createReadStream, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { OPERATOR_USER } from '../../cluster/controlplane.ts';

export interface AuditRecord {
  stage: string;
  verb: string;
  requestURI: string;
  userAgent?: string;
  user: { username: string; uid?: string; extra?: Record<string, string[]> };
  objectRef?: {
    resource?: string;
    subresource?: string;
    namespace?: string;
    name?: string;
    apiGroup?: string;
  };
  responseStatus?: { code?: number };
  requestReceivedTimestamp: string;
  stageTimestamp: string;
}

export const CREDENTIAL_ID = 'authentication.kubernetes.io/credential-id';
const WRITE_VERBS = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);

export function isWrite(record: AuditRecord): boolean {
  return WRITE_VERBS.has(record.verb);
}

export function isOperator(record: AuditRecord): boolean {
  return record.user.username === OPERATOR_USER;
}

export function credentialOf(record: AuditRecord): string | undefined {
  return record.user.extra?.[CREDENTIAL_ID]?.[0];
}

export function isLease(record: AuditRecord): boolean {
  return record.objectRef?.resource === 'leases';
}

/** Current size of the log: pass it as `from` later to read only what came after. */
export function auditOffset(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** Calls `visit` for every completed request logged from byte `from` on. */
export async function scanAudit(
  path: string,
  from: number,
  visit: (record: AuditRecord) => void,
): Promise<void> {
  const stream = createReadStream(path, { start: from, encoding: 'utf8' });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    let record: AuditRecord;
    try {
      record = JSON.parse(line) as AuditRecord;
    } catch {
      continue; // a line being written right now
    }
    if (record.stage === 'ResponseComplete') visit(record);
  }
}

/** Completed requests from byte `from` on that pass `keep`. */
export async function readAudit(
  path: string,
  from: number,
  keep: (record: AuditRecord) => boolean = () => true,
): Promise<AuditRecord[]> {
  const kept: AuditRecord[] = [];
  await scanAudit(path, from, (record) => {
    if (keep(record)) kept.push(record);
  });
  return kept;
}

export function timeOf(record: AuditRecord): number {
  return Date.parse(record.requestReceivedTimestamp);
}

/**
 * Follows the log as it grows: each `poll` hands over the requests completed since the previous one (only
 * whole lines; a line still being written waits for the next poll).
 */
export class AuditTail {
  private offset: number;
  private pending = Buffer.alloc(0);
  private readonly path: string;

  constructor(path: string, from = auditOffset(path)) {
    this.path = path;
    this.offset = from;
  }

  async poll(visit: (record: AuditRecord) => void): Promise<void> {
    const size = auditOffset(this.path);
    if (size <= this.offset) return;
    const handle = await open(this.path, 'r');
    try {
      const buffer = Buffer.alloc(size - this.offset);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, this.offset);
      this.offset += bytesRead;
      // Split on bytes, not characters: a read may end inside a multi-byte character.
      const bytes = Buffer.concat([this.pending, buffer.subarray(0, bytesRead)]);
      const lastNewline = bytes.lastIndexOf(0x0a);
      this.pending = Buffer.from(bytes.subarray(lastNewline + 1));
      for (const line of bytes
        .subarray(0, lastNewline + 1)
        .toString('utf8')
        .split('\n')) {
        if (line.trim() === '') continue;
        const record = JSON.parse(line) as AuditRecord;
        if (record.stage === 'ResponseComplete') visit(record);
      }
    } finally {
      await handle.close();
    }
  }
}
