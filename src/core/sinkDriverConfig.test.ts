import { describe, expect, it } from 'vitest';
import { DEFAULT_SINK_DRIVER, resolveSinkDriver, SinkDriverConfig } from './sinkDriverConfig.js';

describe('buffer.type disk', () => {
  it('parses size and fsync policy, with defaults from the component, then chatflow', () => {
    const config = SinkDriverConfig.parse({ buffer: { type: 'disk', max_size: '500MiB', fsync: '250ms' } });
    expect(resolveSinkDriver(config)).toMatchObject({ bufferType: 'disk', diskMaxBytes: 500 * 2 ** 20, diskFsync: 250 });
    expect(resolveSinkDriver(SinkDriverConfig.parse({ buffer: { fsync: 'always' } }), { bufferType: 'disk' })).toMatchObject({
      bufferType: 'disk',
      diskMaxBytes: 2 ** 30,
      diskFsync: 'always',
    });
    expect(resolveSinkDriver({})).toMatchObject({ bufferType: 'memory', diskFsync: DEFAULT_SINK_DRIVER.diskFsync });
  });

  it('refuses latest_per_key with disk, and a component default of disk yields to a user latest_per_key', () => {
    const refused = SinkDriverConfig.safeParse({ buffer: { type: 'disk', when_full: 'latest_per_key' } });
    expect(refused.error?.issues[0]).toMatchObject({ path: ['buffer', 'when_full'] });
    const config = SinkDriverConfig.parse({ buffer: { when_full: 'latest_per_key' } });
    expect(resolveSinkDriver(config, { bufferType: 'disk' })).toMatchObject({ bufferType: 'memory', whenFull: 'latest_per_key' });
  });

  it('refuses a size without a unit and an unknown fsync policy', () => {
    expect(SinkDriverConfig.safeParse({ buffer: { max_size: '1000' } }).success).toBe(false);
    expect(SinkDriverConfig.safeParse({ buffer: { fsync: 'sometimes' } }).success).toBe(false);
  });
});
