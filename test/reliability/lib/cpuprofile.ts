// Reading a V8 .cpuprofile (node --cpu-prof): self time per function, the top of which is where the
// operator spends its CPU.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface HotFunction {
  name: string;
  where: string;
  selfMs: number;
  share: number;
}

export async function hottestFunctions(dir: string, top = 15): Promise<HotFunction[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile'));
  const selfMicros = new Map<string, { name: string; where: string; micros: number }>();
  let total = 0;
  for (const file of files) {
    const profile = JSON.parse(await readFile(join(dir, file), 'utf8')) as Profile;
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const samples = profile.samples ?? [];
    const deltas = profile.timeDeltas ?? [];
    for (let i = 0; i < samples.length; i++) {
      const node = byId.get(samples[i] ?? -1);
      const micros = deltas[i] ?? 0;
      if (node === undefined) continue;
      total += micros;
      const { functionName, url, lineNumber } = node.callFrame;
      const name = functionName === '' ? '(anonymous)' : functionName;
      const where = `${url.replace(/^file:\/\/.*?\/(src|node_modules)\//, '$1/')}:${lineNumber + 1}`;
      const key = `${name}@${where}`;
      const entry = selfMicros.get(key) ?? { name, where, micros: 0 };
      entry.micros += micros;
      selfMicros.set(key, entry);
    }
  }
  return [...selfMicros.values()]
    .sort((a, b) => b.micros - a.micros)
    .slice(0, top)
    .map((e) => ({
      name: e.name,
      where: e.where,
      selfMs: Math.round(e.micros / 1000),
      share: total === 0 ? 0 : e.micros / total,
    }));
}
