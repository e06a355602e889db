-- chatflow history and analytics (docs/storage.md). Applied by `chatflow migrate` and at start,
-- once, in a transaction, tracked in schema_migrations. Every table has a natural unique key so
-- the postgres sink's `INSERT … ON CONFLICT DO NOTHING` makes a retried batch a no-op.

CREATE TABLE chat_messages (
  platform      text        NOT NULL,
  message_id    text        NOT NULL,
  channel       text        NOT NULL,
  author_id     text        NOT NULL,
  author_login  text        NOT NULL,
  author_name   text        NOT NULL,
  roles         jsonb       NOT NULL DEFAULT '[]',
  text          text        NOT NULL,
  ts            timestamptz NOT NULL,
  bits          integer,
  reply_to      text,
  action        boolean     NOT NULL DEFAULT false,
  first_message boolean     NOT NULL DEFAULT false,
  instance      text        NOT NULL,
  stored_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (platform, message_id)
);
-- The busiest table keeps few indexes: its key, channel + time for the dashboard, and a BRIN
-- on time (rows arrive in time order, so a BRIN is tiny and nearly free to maintain).
CREATE INDEX chat_messages_channel_ts ON chat_messages (channel, ts);
CREATE INDEX chat_messages_ts_brin ON chat_messages USING brin (ts);

-- Accepted commands (from parse_command's command ports) and rejected ones (its `_invalid`
-- replies, with the reply text as the reason). Keyed by the chat message that carried them.
CREATE TABLE commands (
  id           bigserial PRIMARY KEY,
  platform     text        NOT NULL,
  message_id   text        NOT NULL,
  channel      text        NOT NULL,
  author_login text,
  name         text,
  args         jsonb       NOT NULL DEFAULT '{}',
  status       text        NOT NULL CHECK (status IN ('accepted', 'rejected')),
  reason       text,
  ts           timestamptz NOT NULL,
  instance     text        NOT NULL,
  UNIQUE (platform, message_id, status)
);
CREATE INDEX commands_ts ON commands (ts);
CREATE INDEX commands_channel_ts ON commands (channel, ts);
CREATE INDEX commands_name_ts ON commands (name, ts);

-- Control changes have no platform id: `event_key` is built from instance, variable, time,
-- origin and value, so the same change written twice is stored once.
CREATE TABLE control_changes (
  id          bigserial PRIMARY KEY,
  event_key   text             NOT NULL UNIQUE,
  variable    text             NOT NULL,
  value       double precision NOT NULL,
  previous    double precision NOT NULL,
  origin      text             NOT NULL,
  by_login    text,
  by_platform text,
  ts          timestamptz      NOT NULL,
  instance    text             NOT NULL
);
CREATE INDEX control_changes_ts ON control_changes (ts);
CREATE INDEX control_changes_variable_ts ON control_changes (variable, ts);

CREATE TABLE moderation_events (
  id           bigserial PRIMARY KEY,
  platform     text        NOT NULL,
  message_id   text        NOT NULL,
  channel      text        NOT NULL,
  author_login text        NOT NULL,
  verdict      text        NOT NULL,
  reasons      jsonb       NOT NULL DEFAULT '[]',
  points       double precision NOT NULL,
  text         text        NOT NULL,
  ts           timestamptz NOT NULL,
  instance     text        NOT NULL,
  UNIQUE (platform, message_id)
);
CREATE INDEX moderation_events_ts ON moderation_events (ts);
CREATE INDEX moderation_events_channel_ts ON moderation_events (channel, ts);

-- Questions come from the commands named in the sink's `question_commands`; `answered` and
-- `upvotes` are updated by the dashboard.
CREATE TABLE questions (
  id           bigserial PRIMARY KEY,
  platform     text        NOT NULL,
  message_id   text        NOT NULL,
  channel      text        NOT NULL,
  author_login text        NOT NULL,
  text         text        NOT NULL,
  ts           timestamptz NOT NULL,
  answered     boolean     NOT NULL DEFAULT false,
  answered_at  timestamptz,
  upvotes      integer     NOT NULL DEFAULT 0,
  instance     text        NOT NULL,
  UNIQUE (platform, message_id)
);
CREATE INDEX questions_channel_ts ON questions (channel, ts);
CREATE INDEX questions_open ON questions (channel, upvotes DESC) WHERE NOT answered;

CREATE TABLE platform_events (
  id           bigserial PRIMARY KEY,
  platform     text        NOT NULL,
  event_id     text        NOT NULL,
  type         text        NOT NULL,
  channel      text        NOT NULL,
  author_login text,
  data         jsonb       NOT NULL DEFAULT '{}',
  ts           timestamptz NOT NULL,
  instance     text        NOT NULL,
  UNIQUE (platform, event_id)
);
CREATE INDEX platform_events_ts ON platform_events (ts);
CREATE INDEX platform_events_channel_type_ts ON platform_events (channel, type, ts);

-- As in the monitoring design (metric name, value, time, metadata), plus labels and instance;
-- histogram metrics keep their summary (count, sum, p50, p95, p99, max) in `summary`.
CREATE TABLE system_metrics (
  id        bigserial PRIMARY KEY,
  event_key text             NOT NULL UNIQUE,
  name      text             NOT NULL,
  labels    jsonb            NOT NULL DEFAULT '{}',
  value     double precision,
  summary   jsonb,
  instance  text             NOT NULL,
  ts        timestamptz      NOT NULL
);
CREATE INDEX system_metrics_name_ts ON system_metrics (name, ts);
CREATE INDEX system_metrics_ts ON system_metrics (ts);
