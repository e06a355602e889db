-- Alerts as sample_metrics raises and resolves them: one row per change of state.
CREATE TABLE alerts (
  id        bigserial PRIMARY KEY,
  event_key text             NOT NULL UNIQUE,
  rule      text             NOT NULL,
  severity  text             NOT NULL,
  state     text             NOT NULL,
  message   text             NOT NULL,
  value     double precision NOT NULL,
  threshold double precision NOT NULL,
  instance  text             NOT NULL,
  ts        timestamptz      NOT NULL
);
CREATE INDEX alerts_ts ON alerts (ts);
CREATE INDEX alerts_rule_ts ON alerts (rule, ts);
