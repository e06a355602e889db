// The osc package ships no types; this covers what chatflow uses of it.
declare module 'osc' {
  export interface OscArgument {
    type: string;
    value: unknown;
  }
  export interface OscMessage {
    address: string;
    args?: OscArgument[] | unknown[];
  }
  export interface OscBundle {
    timeTag: { raw: [number, number] } | { native: number };
    packets: Array<OscMessage | OscBundle>;
  }
  export function writePacket(packet: OscMessage | OscBundle, options?: { metadata?: boolean }): Uint8Array;
  export function readPacket(
    data: Uint8Array,
    options?: { metadata?: boolean },
    offset?: number,
    length?: number,
  ): OscMessage | OscBundle;
  export function timeTag(secondsFromNow?: number, now?: number): { raw: [number, number] };
  const osc: {
    writePacket: typeof writePacket;
    readPacket: typeof readPacket;
    timeTag: typeof timeTag;
  };
  export default osc;
}
