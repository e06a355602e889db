/** The `postgres` sink's configuration: its schema and config types. */
import { z } from 'zod';
import { filePath } from '../../core/filePath.js';
import { EVENT_KINDS } from '../../core/events.js';

export const PostgresConfig = z
  .strictObject({
    kinds: z
      .array(z.enum(EVENT_KINDS))
      .min(1)
      .default([...EVENT_KINDS])
      .describe(
        'Event kinds to store: `chat` → chat_messages, `command` → commands (and questions), `reply` (parse_command `_invalid`) → commands as rejected, `control` → control_changes, `moderation` → moderation_events, `platform` → platform_events, `metric` → system_metrics.',
      ),
    question_commands: z
      .array(z.string().min(1))
      .default(['q', 'question'])
      .describe('Commands that are also stored as questions (for the dashboard).'),
    connections: z
      .number()
      .int()
      .min(1)
      .max(8)
      .default(2)
      .describe(
        'Connections writing at once. A batch is split into parts of at least 200 events, one per connection, or parts of at most 2500 taken in turn by the connections when the batch is larger (the sink is behind), each its own transaction, so PostgreSQL ingests on several cores while the next part is encoded. A part that fails is retried with its batch; rows already stored are skipped, so nothing is stored twice.',
      ),
    thread: z
      .enum(['worker', 'main'])
      .default('worker')
      .describe(
        'Where the connections live. `worker` (default): a writer thread owns them, encodes the rows and runs the COPYs and transactions; the main event loop only hands each batch over (the fields of chat events copied into one buffer, with typed arrays), about a third of what encoding it there costs, so storage takes less from the pipeline, the OSC path and the dashboard. If the thread dies, the batch it held is written again by a new one (nothing twice). `main`: everything on the main event loop (the earlier path, kept as a baseline). A preview or `chatflow test` never connects.',
      ),
    dead_letter: filePath('write')
      .optional()
      .describe(
        'JSONL file for batches that still fail after the retries, relative to the pipeline file; `chatflow reingest <file>` writes them later. Default `.chatflow/dead-letters/<node id>.jsonl`.',
      ),
  })
  .describe('History and analytics in PostgreSQL.');
export type PostgresConfig = z.output<typeof PostgresConfig>;
