/**
 * The clock sender patches of examples/: the Pure Data one run headless by a real Pd (Debian
 * `puredata-core`) into chatflow's real clock follower; the Max one (no Max here) checked for
 * its structure: a well-formed patcher whose beats and tempo reach `udpsend` on the default port.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { asyncScheduler } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { type Beat, bpmOf, ClockSettings } from '../../src/core/beatClock.js';
import { type OscClock, openClock } from '../../src/resources/oscClock.js';
import { freeUdpPort, until } from './oscSupport.js';

const PD = process.env.CHATFLOW_PD ?? 'pd';
const root = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));
const DEFAULTS = ClockSettings.parse({ follow: {} }).follow as NonNullable<ClockSettings['follow']>;
const DEFAULT_PORT = DEFAULTS.listen.split(':')[1];

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

describe('examples/pd/chatflow-clock.pd in a real Pd', () => {
  it('sends numbered beats and its tempo that chatflow follows', async () => {
    const port = await freeUdpPort();
    const running = await openClock(ClockSettings.parse({ follow: { listen: `127.0.0.1:${port}` } }), {
      scheduler: asyncScheduler,
    });
    cleanup.push(() => running.close());
    const clock = running.clock as OscClock;
    const beats: Beat[] = [];
    const sub = clock.beats$.subscribe((b) => beats.push(b));
    cleanup.push(() => sub.unsubscribe());

    const args = [
      '-nogui',
      '-nosound',
      '-nomidi',
      '-noprefs',
      '-stderr',
      '-send',
      `chatflow-clock port ${port}`,
      '-send',
      'chatflow-clock bpm 150',
      '-open',
      root('examples/pd/chatflow-clock.pd'),
    ];
    let out = '';
    let spawnError: Error | undefined;
    const child: ChildProcess = spawn(PD, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.on('error', (err) => {
      spawnError = err;
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
    cleanup.push(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    });
    await until(() => {
      if (spawnError) throw new Error('Pure Data is missing: apt-get install -y puredata-core', { cause: spawnError });
      return beats.length >= 6;
    }, `six beats from Pd (it printed: ${out})`, 20_000);

    expect(out).toContain('chatflow-clock: sending 1');
    // The tempo Pd states is used as told; the beats give the phase and their numbers.
    expect(clock.stats.tempos).toBeGreaterThanOrEqual(1);
    const grid = clock.grid();
    expect(grid && bpmOf(grid)).toBeCloseTo(150, 9);
    const numbers = beats.map((b) => b.beat);
    expect(numbers).toEqual(numbers.map((_, i) => (numbers[0] as number) + i));
    expect(clock.stats.malformed).toBe(0);
  }, 30_000);

  it('is a well-formed patch: netsend -u -b to the default port, oscformat of the default addresses', async () => {
    const text = await readFile(root('examples/pd/chatflow-clock.pd'), 'utf8');
    const records = text.split(/;\r?\n/).map((r) => r.replace(/\s+/g, ' ').trim()).filter(Boolean);
    expect(records[0]).toMatch(/^#N canvas /);
    const objects = records.filter((r) => r.startsWith('#X ') && !r.startsWith('#X connect'));
    for (const c of records.filter((r) => r.startsWith('#X connect'))) {
      const [, , from, , to] = c.split(' ').map(Number);
      expect(from).toBeLessThan(objects.length);
      expect(to).toBeLessThan(objects.length);
    }
    const body = objects.map((o) => o.replace(/^#X (obj|msg) \d+ \d+ /, ''));
    expect(body).toContain('netsend -u -b');
    expect(body).toContain(`connect 127.0.0.1 ${DEFAULT_PORT}`);
    // oscformat's arguments are the address's parts.
    expect(body).toContain(`oscformat ${DEFAULTS.beat_address.split('/').filter(Boolean).join(' ')}`);
    expect(body).toContain(`oscformat ${DEFAULTS.tempo_address.split('/').filter(Boolean).join(' ')}`);
  });
});

interface MaxBox {
  readonly id: string;
  readonly maxclass: string;
  readonly text?: string;
  readonly numinlets: number;
  readonly numoutlets: number;
}
interface MaxLine {
  readonly patchline: { readonly source: [string, number]; readonly destination: [string, number] };
}

describe('examples/max/chatflow-clock.maxpat', () => {
  it('is a well-formed Max patcher: a metro counts beats into /clock/beat, the tempo into /tempo, both to udpsend on the default port', async () => {
    const json = JSON.parse(await readFile(root('examples/max/chatflow-clock.maxpat'), 'utf8')) as {
      patcher: { boxes: { box: MaxBox }[]; lines: MaxLine[] };
    };
    const patcher = json.patcher;
    const boxes = new Map(patcher.boxes.map(({ box }) => [box.id, box]));
    expect(boxes.size).toBe(patcher.boxes.length);
    for (const { patchline } of patcher.lines) {
      const from = boxes.get(patchline.source[0]);
      const to = boxes.get(patchline.destination[0]);
      expect(from, patchline.source[0]).toBeDefined();
      expect(to, patchline.destination[0]).toBeDefined();
      expect(patchline.source[1]).toBeLessThan(from?.numoutlets ?? 0);
      expect(patchline.destination[1]).toBeLessThan(to?.numinlets ?? 0);
    }
    const byText = (prefix: string) => [...boxes.values()].find((b) => b.text?.startsWith(prefix));
    const wired = (from: MaxBox | undefined, to: MaxBox | undefined) =>
      patcher.lines.some(({ patchline }) => patchline.source[0] === from?.id && patchline.destination[0] === to?.id);
    const udp = byText('udpsend');
    expect(udp?.text).toBe(`udpsend 127.0.0.1 ${DEFAULT_PORT}`);
    const beat = byText(`prepend ${DEFAULTS.beat_address}`);
    const tempo = byText(`prepend ${DEFAULTS.tempo_address}`);
    expect(wired(beat, udp)).toBe(true);
    expect(wired(tempo, udp)).toBe(true);
    // metro → [f] (the beat number, counted by [+ 1]) → prepend /clock/beat.
    const metro = byText('metro');
    const counter = [...boxes.values()].find((b) => b.text === 'f');
    expect(wired(metro, counter)).toBe(true);
    expect(wired(counter, beat)).toBe(true);
    expect(wired(byText('loadbang'), byText('t b b'))).toBe(true);
  });
});
