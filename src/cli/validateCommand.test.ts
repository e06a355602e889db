import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../cli.js';
import { RATE_HELP } from '../core/units.js';
import { captureIo as io } from '../../test/support/commandIo.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'chatflow-validate-'));
});

describe('chatflow validate: rates', () => {
  it.each(['1/0s', '0/0s', '5/0m'])(
    'CHATFLOW_SIM_RATE=%s in the default pipeline is a config error at its position, not a crash',
    async (value) => {
      const t = io({ CHATFLOW_SIM_RATE: value });
      expect(await main(['validate', 'pipeline.yaml'], t.io)).toBe(78);
      expect(t.err()).toContain(`pipeline.yaml:20:11: error: The period is zero. ${RATE_HELP}, or "max" (at sources.demo.rate)`);
      expect(t.err()).not.toContain('internal error');
    },
  );

  it.each(['1/0s', '0/0s', '5/0m'])('throttle rate: %s is a config error at its position', async (value) => {
    const file = join(dir, `throttle-${value.replace('/', '-')}.yaml`);
    await writeFile(
      file,
      [
        'version: 1',
        'sources:',
        '  demo: { type: simulate, rate: 5/s }',
        'operators:',
        `  fair: { type: throttle, inputs: [demo], rate: ${value} }`,
        'sinks:',
        '  show: { type: console, inputs: [fair] }',
        '',
      ].join('\n'),
    );
    const t = io();
    expect(await main(['validate', file], t.io)).toBe(78);
    expect(t.err()).toContain(`${file}:5:49: error: The period is zero. ${RATE_HELP} (at operators.fair.rate)`);
    expect(t.err()).toContain('1 error(s); nothing was started.');
  });

  it('says what a rate looks like for "20 per second", not "Expected \\"max\\""', async () => {
    const t = io({ CHATFLOW_SIM_RATE: '20 per second' });
    expect(await main(['validate', 'pipeline.yaml'], t.io)).toBe(78);
    expect(t.err()).toContain(`pipeline.yaml:20:11: error: ${RATE_HELP}, or "max" (at sources.demo.rate)`);
    expect(t.err()).not.toContain('Expected "max"');
  });
});
