/** The `overlay` sink's configuration: its schema and config types. */
import { z } from 'zod';
import { duration } from '../../core/units.js';

const PATH = /^(\/[A-Za-z0-9._~-]+)+$/;
const ROOM = /^[A-Za-z0-9_-]{1,32}$/;
const VARIABLE = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

export const OverlayConfig = z
  .strictObject({
    path: z
      .string()
      .regex(PATH, 'Expected an absolute URL path such as /overlay/ws')
      .default('/overlay/ws')
      .describe('URL path of the WebSocket endpoint on the HTTP server (`server.listen`).'),
    room: z
      .string()
      .regex(ROOM, 'Expected 1–32 letters, digits, `_` or `-`')
      .optional()
      .describe(
        'Lets several overlays coexist: this sink serves `<path>/<room>`, and the page connects to it with `?room=<room>`.',
      ),
    history: z
      .number()
      .int()
      .min(0)
      .max(500)
      .default(20)
      .describe('Recent feed entries (chat, commands, accepted control changes) a newly connected page is sent.'),
    ping_interval: duration()
      .refine((ms) => ms >= 100, 'At least 100ms')
      .prefault('15s')
      .describe(
        'How often every client is pinged; one that has not answered the previous ping by the next is disconnected.',
      ),
    max_buffered_bytes: z
      .number()
      .int()
      .min(4096)
      .default(262_144)
      .describe(
        'Unsent bytes one client may hold. A client that falls behind further is sent nothing (counted as `slow_client` drops) until it has drained; then it gets a fresh snapshot.',
      ),
    stuck_timeout: duration()
      .refine((ms) => ms >= 100, 'At least 100ms')
      .prefault('10s')
      .describe(
        'How far behind a client may fall: one that has not read, this long after, what it was sent (it answers no ping sent after it) is disconnected with close code 1008 `too_slow` and counted as `slow_client_closed`.',
      ),
    max_clients: z
      .number()
      .int()
      .positive()
      .default(10_000)
      .describe('Connections served at once; more are refused with close code 1013 (try again later) and counted.'),
    max_variables: z
      .number()
      .int()
      .positive()
      .max(1024)
      .default(64)
      .describe('Variables shown at once; beyond it the least recently changed one is removed from the page.'),
    frame_interval: duration()
      .refine((ms) => ms >= 0 && ms <= 1000, 'Between 0ms and 1s')
      .prefault('33ms')
      .describe(
        'Least time between two frames to the page. A change goes out at once when nothing was sent for this long; changes that come sooner wait for the interval to end and go out together, as one WebSocket frame: one write per client per interval instead of one per change (a slew moving a bar 100 times a second, with 200 pages open, is 20,000 writes a second otherwise; 6,000 with the default). The default, 33ms, is one frame at 30 fps (the default of OBS), and the bars glide over 180 ms to each new value anyway (`--cf-transition`); `0ms` sends every change as its own frame.',
      ),
    compression: z
      .boolean()
      .default(false)
      .describe(
        'Offer permessage-deflate. Off by default: frames are then compressed once per client, which makes fan-out to many clients far slower.',
      ),
    ranges: z
      .record(
        z.string().regex(VARIABLE, 'Expected a variable name'),
        z
          .tuple([z.number(), z.number()])
          .refine(([lo, hi]) => lo < hi, 'The low end must be below the high end'),
      )
      .default({})
      .describe(
        "The range a variable's bar spans, by variable (`pitch: [-2, 3]`). Left out, a variable declared by a `control` node upstream spans its declared `range`; any other starts at [0, 1] and widens to fit its values.",
      ),
  })
  .describe('A WebSocket endpoint for the OBS overlay page.');
export type OverlayConfig = z.output<typeof OverlayConfig>;
