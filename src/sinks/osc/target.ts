/** Where the `osc` sink sends: parsing `host:port` targets. */
import { isIPv6 } from 'node:net';


/** One receiver: where the sink's connected UDP socket points. */
export interface OscTarget {
  readonly host: string;
  readonly port: number;
  readonly family: 'udp4' | 'udp6';
}

/** `host:port`, a hostname or IPv4 address, or `[v6]:port`. */
export const TARGET_PATTERN = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/;

/** Parses `127.0.0.1:7400`, `synth.local:9000` or `[::1]:7400`; undefined when malformed. */
export function parseTarget(text: string): OscTarget | undefined {
  const m = TARGET_PATTERN.exec(text.trim());
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port < 1 || port > 65_535) return undefined;
  const v6 = m[1];
  if (v6 !== undefined) return isIPv6(v6) ? { host: v6, port, family: 'udp6' } : undefined;
  return { host: m[2] as string, port, family: 'udp4' };
}
