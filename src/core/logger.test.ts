import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';

describe('createLogger', () => {
  it('pretty: writes each line whole to the destination, at once (the CLI terminal writer keeps it off the status row)', () => {
    const chunks: string[] = [];
    const destination = new Writable({
      write: (chunk: Buffer, _e, done) => {
        chunks.push(chunk.toString());
        done();
      },
    });
    const logger = createLogger({ pretty: true, destination, level: 'info' });
    logger.info({ port: 8080 }, 'HTTP server listening.');
    logger.warn('Embedded server failed to start.');
    expect(chunks).toHaveLength(2);
    expect(chunks[0]).toContain('HTTP server listening.');
    expect(chunks[0]).toContain('port: 8080');
    expect(chunks[1]).toContain('Embedded server failed to start.');
    for (const chunk of chunks) expect(chunk.endsWith('\n')).toBe(true);
  });
});
