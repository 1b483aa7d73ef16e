// The import direction of src/, read from the import lines of every file:
//   pure protocol code (media, rtmp, flv, remux, srt, rtsp, vod) -> only pure code and shared/;
//   shared/ -> only shared/; the engine (hub, outputs, server, relay, record, recorder, engine/)
//   never reaches into the control plane; the media plane (everything of the engine but engine/)
//   never imports engine/, which is the top: the wiring, the CLI, the engine API and the link to
//   the control plane; and the control plane (control/, config-server.ts,
//   rest-server.ts, control-plane*.ts) never into the engine or the protocol code: the two
//   processes meet only in shared/ (config-protocol.ts is the contract). And no import cycles,
//   type-only imports included.
import { describe, expect, test } from 'bun:test';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const src = resolve(import.meta.dir, '../src');

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return listFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

type Edge = { from: string; spec: string; to: string | null };

/** Every import and re-export of a file: the specifier and, for a relative one, the src/ path it names. */
function importsOf(file: string): Edge[] {
  const text = readFileSync(file, 'utf8');
  const from = relative(src, file);
  return [...text.matchAll(/^\s*(?:import|export)\s[^;'"]*?from\s+['"]([^'"]+)['"]/gm), ...text.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)].map((m) => {
    const spec = m[1]!;
    return { from, spec, to: spec.startsWith('.') ? relative(src, resolve(dirname(file), spec)) : null };
  });
}

const files = listFiles(src);
const edges = files.flatMap(importsOf);

const PURE = ['media', 'rtmp', 'flv', 'remux', 'srt', 'rtsp', 'vod', 'webrtc'];
const ENGINE = ['hub', 'outputs', 'server', 'relay', 'record', 'recorder', 'engine'];
const topOf = (path: string): string => (path.includes('/') ? path.slice(0, path.indexOf('/')) : path);
const isPure = (path: string) => PURE.includes(topOf(path));
const isShared = (path: string) => topOf(path) === 'shared';
const isControl = (path: string) => topOf(path) === 'control' || /^(config-server|rest-server|control-plane)\.ts$/.test(path);
const isEngine = (path: string) => ENGINE.includes(topOf(path)) || path === 'engine.ts';

describe('import direction', () => {
  test('every file of src/ is in exactly one layer', () => {
    for (const file of files.map((f) => relative(src, f))) {
      const layers = [isPure(file), isShared(file), isControl(file), isEngine(file)].filter(Boolean).length;
      expect(`${file}: ${layers} layers`).toBe(`${file}: 1 layers`);
    }
  });

  test('pure protocol code imports only pure code, shared/ and node:crypto: no Bun, no sockets', () => {
    for (const e of edges.filter((x) => isPure(x.from))) {
      const ok = e.to !== null ? isPure(e.to) || isShared(e.to) : e.spec === 'node:crypto';
      expect(`${e.from} -> ${e.spec}: ${ok ? 'allowed' : 'not allowed'}`).toEndWith(': allowed');
    }
  });

  test('shared/ imports only shared/', () => {
    for (const e of edges.filter((x) => isShared(x.from) && x.to !== null)) {
      expect(`${e.from} -> ${e.spec}: ${isShared(e.to!) ? 'allowed' : 'not allowed'}`).toEndWith(': allowed');
    }
  });

  test('the engine never imports the control plane', () => {
    for (const e of edges.filter((x) => isEngine(x.from) && x.to !== null)) {
      expect(`${e.from} -> ${e.spec}: ${isControl(e.to!) ? 'not allowed' : 'allowed'}`).toEndWith(': allowed');
    }
  });

  test('the media plane never imports engine/ (the wiring and the link to the control plane)', () => {
    const isEngineTop = (path: string) => topOf(path) === 'engine' || path === 'engine.ts';
    for (const e of edges.filter((x) => isEngine(x.from) && !isEngineTop(x.from) && x.to !== null)) {
      expect(`${e.from} -> ${e.spec}: ${isEngineTop(e.to!) ? 'not allowed' : 'allowed'}`).toEndWith(': allowed');
    }
  });

  test('the control plane never imports the engine or the protocol code, only shared/', () => {
    for (const e of edges.filter((x) => isControl(x.from) && x.to !== null && !x.to.startsWith('..'))) {
      const ok = isControl(e.to!) || isShared(e.to!);
      expect(`${e.from} -> ${e.spec}: ${ok ? 'allowed' : 'not allowed'}`).toEndWith(': allowed');
    }
  });
});

describe('no import cycles', () => {
  test('the import graph of src/ (type-only imports included) has no cycle', () => {
    const graph = new Map<string, string[]>();
    for (const e of edges) {
      if (e.to === null || !e.to.endsWith('.ts')) continue;
      graph.set(e.from, [...(graph.get(e.from) ?? []), e.to]);
    }
    const state = new Map<string, 'open' | 'done'>();
    const path: string[] = [];
    const cycles: string[] = [];
    const visit = (node: string): void => {
      state.set(node, 'open');
      path.push(node);
      for (const next of graph.get(node) ?? []) {
        if (state.get(next) === 'open') cycles.push([...path.slice(path.indexOf(next)), next].join(' -> '));
        else if (!state.has(next)) visit(next);
      }
      path.pop();
      state.set(node, 'done');
    };
    for (const node of graph.keys()) if (!state.has(node)) visit(node);
    expect(cycles).toEqual([]);
  });
});
