// Writes (or compares) generated files under a repository root. Sections replace only the text between their
// markers so hand-written README prose around the generated API reference is kept.
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { GeneratedFile } from './generated-files.ts';

function markers(section: string): [string, string] {
  return [`<!-- ${section}:start -->`, `<!-- ${section}:end -->`];
}

/** The full file text the generator wants at `file.path`, given what is there now. */
export function desiredContent(root: string, file: GeneratedFile): string {
  if (file.section === undefined) return file.content;
  const path = join(root, file.path);
  const current = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const [start, end] = markers(file.section);
  const from = current.indexOf(start);
  const to = current.indexOf(end);
  if (from < 0 || to < from) throw new Error(`${file.path}: markers ${start} … ${end} not found`);
  return `${current.slice(0, from + start.length)}\n${file.content}\n${current.slice(to)}`;
}

/** Paths whose content differs from the generator's. */
export function driftedFiles(root: string, files: readonly GeneratedFile[]): string[] {
  return files
    .filter((file) => {
      const path = join(root, file.path);
      return !existsSync(path) || readFileSync(path, 'utf8') !== desiredContent(root, file);
    })
    .map((file) => file.path);
}

export function writeGeneratedFiles(root: string, files: readonly GeneratedFile[]): string[] {
  const written: string[] = [];
  for (const file of files) {
    const path = join(root, file.path);
    const content = desiredContent(root, file);
    if (existsSync(path) && readFileSync(path, 'utf8') === content) continue;
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
    written.push(file.path);
  }
  return written;
}
