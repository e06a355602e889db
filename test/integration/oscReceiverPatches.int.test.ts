/**
 * The receiver patches in examples/ match what chatflow sends by default: the Max patch is a
 * well-formed patcher (every patch cord joins existing boxes on existing inlets and outlets)
 * that listens where the `osc` sink sends by default and routes every variable of the default
 * pipeline.yaml; so does the Pure Data patch (which puredata.int.test.ts also runs in Pd).
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { defaultRegistry } from '../../src/components.js';
import { loadPipeline } from '../../src/pipelines/graph.js';
import { DEFAULT_TARGET, OscConfig } from '../../src/sinks/osc/index.js';

const root = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));

/** The variables of every `control` node of the default pipeline.yaml. */
function defaultVariables(): string[] {
  const graph = loadPipeline(root('pipeline.yaml'), { registry: defaultRegistry(), env: {} });
  const names = new Set<string>();
  for (const node of graph.nodes.values()) {
    if (node.type !== 'control') continue;
    for (const name of Object.keys((node.config as { variables: Record<string, unknown> }).variables)) names.add(name);
  }
  return [...names];
}

const defaultPort = DEFAULT_TARGET.split(':')[1];
const defaultPrefix = OscConfig.parse({}).address.replace('{{ variable }}', '');

interface MaxBox {
  readonly id: string;
  readonly maxclass: string;
  readonly text?: string;
  readonly numinlets: number;
  readonly numoutlets: number;
  readonly outlettype?: readonly string[];
  readonly patching_rect: readonly number[];
}

interface MaxLine {
  readonly source: readonly [string, number];
  readonly destination: readonly [string, number];
}

describe('examples/max/chatflow-receive.maxpat', () => {
  it('is a well-formed Max patcher: udpreceive on the default port → route of every default variable', async () => {
    const json = JSON.parse(await readFile(root('examples/max/chatflow-receive.maxpat'), 'utf8')) as {
      patcher: { fileversion: number; boxes: Array<{ box: MaxBox }>; lines: Array<{ patchline: MaxLine }> };
    };
    const { patcher } = json;
    expect(patcher.fileversion).toBe(1);
    const boxes = new Map(patcher.boxes.map(({ box }) => [box.id, box]));
    expect(boxes.size).toBe(patcher.boxes.length);
    for (const box of boxes.values()) {
      expect(box.patching_rect).toHaveLength(4);
      if (box.outlettype) expect(box.outlettype).toHaveLength(box.numoutlets);
    }
    for (const { patchline } of patcher.lines) {
      const from = boxes.get(patchline.source[0]);
      const to = boxes.get(patchline.destination[0]);
      expect(from, patchline.source[0]).toBeDefined();
      expect(to, patchline.destination[0]).toBeDefined();
      expect(patchline.source[1]).toBeLessThan(from?.numoutlets ?? 0);
      expect(patchline.destination[1]).toBeLessThan(to?.numinlets ?? 0);
    }

    const byText = (prefix: string) => [...boxes.values()].find((b) => b.text?.startsWith(prefix));
    const udp = byText('udpreceive');
    expect(udp?.text).toBe(`udpreceive ${defaultPort}`);
    const route = byText('route');
    const addresses = (route?.text ?? '').split(' ').slice(1);
    expect(route?.numoutlets).toBe(addresses.length + 1);
    for (const name of defaultVariables()) expect(addresses).toContain(`${defaultPrefix}${name}`);
    expect(
      patcher.lines.some(
        ({ patchline }) => patchline.source[0] === udp?.id && patchline.destination[0] === route?.id,
      ),
    ).toBe(true);
    // Every variable's outlet leads somewhere.
    addresses.forEach((_address, outlet) => {
      expect(patcher.lines.some(({ patchline }) => patchline.source[0] === route?.id && patchline.source[1] === outlet)).toBe(true);
    });
  });
});

describe('examples/pd/chatflow-receive.pd', () => {
  it('listens on the default port and routes every default variable', async () => {
    const text = await readFile(root('examples/pd/chatflow-receive.pd'), 'utf8');
    // Records end with `;` at a line end (an escaped `\;` inside a comment does not).
    const records = text.split(/;\r?\n/).map((r) => r.replace(/\s+/g, ' ').trim()).filter(Boolean);
    expect(records[0]).toMatch(/^#N canvas /);
    const objects = records.filter((r) => r.startsWith('#X ') && !r.startsWith('#X connect'));
    const connects = records.filter((r) => r.startsWith('#X connect'));
    for (const c of connects) {
      const [, , from, , to] = c.split(' ').map(Number);
      expect(from).toBeLessThan(objects.length);
      expect(to).toBeLessThan(objects.length);
    }
    const objText = objects.map((o) => o.replace(/^#X obj \d+ \d+ /, ''));
    expect(objText).toContain(`netreceive -u -b ${defaultPort}`);
    expect(objText).toContain('oscparse');
    expect(objText).toContain('list trim');
    const prefixRoute = objText.find((o) => o.startsWith(`route ${defaultPrefix.split('/')[1]}`));
    expect(prefixRoute).toBeDefined();
    const variableRoute = objText.find((o) => o.startsWith('route ') && o !== prefixRoute && o !== 'route alive');
    for (const name of defaultVariables()) expect(variableRoute?.split(' ')).toContain(name);
  });
});
