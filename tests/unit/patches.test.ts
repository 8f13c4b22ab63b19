/**
 * The patch register (workflows/patches.ts) has every id the workflows and the cycle ask patched() about, and every
 * patch marker of the committed histories; nothing asks about an id it lacks.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PATCHES } from '../../workflows/patches';

const ROOT = path.resolve(__dirname, '../..');
const HISTORIES = path.join(ROOT, 'tests', 'replay', 'histories');

const sources = (dir: string): string[] =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? sources(full) : e.name.endsWith('.ts') ? [full] : [];
  });

/** The patch ids a source declares (`X_PATCH = 'id'`), and the names it asks patched() or deprecatePatch() about. */
export function patchUses(source: string): { declared: Map<string, string>; asked: string[] } {
  const declared = new Map<string, string>();
  for (const m of source.matchAll(/\b([A-Z][A-Z0-9_]*_PATCH)\s*(?::\s*\w+)?\s*=\s*'([^']+)'/g)) declared.set(m[1], m[2]);
  const asked = [...source.matchAll(/\b(?:patched|deprecatePatch)\(\s*([^)\s]+)\s*\)/g)].map((m) => m[1]);
  return { declared, asked };
}

describe('the patch register', () => {
  const files = [...sources(path.join(ROOT, 'workflows')), ...sources(path.join(ROOT, 'domain'))];
  const declared = new Map<string, string>();
  const asked = new Set<string>();
  for (const file of files) {
    const uses = patchUses(fs.readFileSync(file, 'utf8'));
    for (const [name, id] of uses.declared) declared.set(name, id);
    uses.asked.forEach((a) => asked.add(a));
  }

  it('has every patch id the code declares, and only those', () => {
    expect([...declared.values()].sort()).toEqual(Object.keys(PATCHES).sort());
  });

  it('is where every patched() call takes its id from', () => {
    expect(asked.size).toBeGreaterThan(10);
    // A call names a declared constant (or the effects' parameter `id`, the cycle's patched()); never a bare string.
    const unknown = [...asked].filter((a) => !declared.has(a) && a !== 'id');
    expect(unknown).toEqual([]);
  });

  it('has every patch marker of the committed histories', () => {
    const markers = new Set<string>();
    for (const file of fs.readdirSync(HISTORIES).filter((f) => f.endsWith('.json'))) {
      const { history } = JSON.parse(fs.readFileSync(path.join(HISTORIES, file), 'utf8')) as { history: { events: { markerRecordedEventAttributes?: { markerName: string; details: Record<string, { payloads: { data: string }[] }> } }[] } };
      for (const e of history.events) {
        const m = e.markerRecordedEventAttributes;
        if (m?.markerName !== 'core_patch') continue;
        for (const p of m.details['patch-data'].payloads) markers.add((JSON.parse(Buffer.from(p.data, 'base64').toString()) as { id: string }).id);
      }
    }
    expect(markers.size).toBeGreaterThan(10);
    expect([...markers].filter((id) => !(id in PATCHES))).toEqual([]);
  });

  it('the checks see a declaration, a call and an unregistered id', () => {
    expect(patchUses("const X_PATCH: PatchId = 'x';\nif (patched(X_PATCH)) a();\nif (fx.patched(Y_PATCH)) b();")).toEqual({ declared: new Map([['X_PATCH', 'x']]), asked: ['X_PATCH', 'Y_PATCH'] });
  });
});
