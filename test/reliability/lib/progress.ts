// Progress of the operator's work as the API server saw it: counts matching writes in the audit log from the
// moment the counter is made. Scenarios use it to strike (kill, restart, freeze) in the middle of a phase.
import { setTimeout as delay } from 'node:timers/promises';
import { INSTANCES } from '../../../src/controllers/resources.ts';
import { AuditTail, isOperator, isWrite, type AuditRecord } from './audit.ts';

export class WriteCounter {
  private readonly tail: AuditTail;
  private readonly match: (record: AuditRecord) => boolean;
  count = 0;

  constructor(auditLogPath: string, match: (record: AuditRecord) => boolean) {
    this.tail = new AuditTail(auditLogPath);
    this.match = match;
  }

  async poll(): Promise<number> {
    await this.tail.poll((record) => {
      if (this.match(record)) this.count++;
    });
    return this.count;
  }

  /** Polls the (local) audit file until `target` matching writes were seen. */
  async until(target: number, timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while ((await this.poll()) < target) {
      if (Date.now() > deadline)
        throw new Error(`only ${this.count} of ${target} writes after ${timeoutMs} ms`);
      await delay(10);
    }
    return this.count;
  }
}

/** Successful writes by the operator to Instances (optionally only those named `<prefix>…`). */
export function instanceWrites(prefix = ''): (record: AuditRecord) => boolean {
  return (record) =>
    isOperator(record) &&
    isWrite(record) &&
    record.objectRef?.resource === INSTANCES.plural &&
    (record.objectRef.name ?? '').startsWith(prefix) &&
    (record.responseStatus?.code ?? 0) < 300;
}
