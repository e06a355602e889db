/**
 * The HELP text of every metric `sample_metrics` emits, as `/metrics` shows it (docs/metrics.md
 * in one line each). Keyed by the chatflow name; the text describes the Prometheus series
 * (base units: `_ms` metrics are exposed in seconds, `_percent` ones as ratios).
 */
export const METRIC_HELP: Readonly<Record<string, string>> = Object.freeze({
  chatflow_node_events_in_total: 'Events a node received, since it started.',
  chatflow_node_events_out_total: 'Events a node sent, per output port ("" is the default port), since it started.',
  chatflow_node_dropped_total:
    'Events a node did not pass on, by reason; intentional="true" is policy (throttled, duplicate), "false" a loss.',
  chatflow_node_errors_total: 'Errors of a node (a failed write, a source disconnect, an operator restart), since it started.',
  chatflow_node_status: 'Always 1, on the series of the node\u2019s current status (live, stale, running, stopped\u2026).',
  chatflow_node_processing_ms: 'Time spent per event inside a node (one event in 64 is timed; at high rates one in up to 1,024, about one a millisecond), since it started.',
  chatflow_node_buffer_depth: 'Events waiting in a sink\u2019s buffer.',
  chatflow_sink_buffer_fill_ratio:
    'A sink\u2019s buffer depth over its capacity (0 to 1); at 1 it drops by its when_full policy, or with when_full: block pauses the pausable sources feeding it (and holds live chat up to 2).',
  chatflow_source_down_seconds: 'How long a source has been connecting, stale, reconnecting or failed (0 when live).',
  chatflow_source_paused: 'Whether a pausable source (simulate, replay) is paused now by a congested when_full: block sink it feeds (1) or not (0).',
  chatflow_source_paused_seconds_total: 'Time a pausable source spent paused by congested when_full: block sinks, since it started.',
  chatflow_node_count_total: 'Other counts a node reports (e.g. cleaned_text, quota_used), by name, since it started.',
  chatflow_node_gauge: 'Current values a node reports (e.g. quota_remaining, lag_ms, no_receiver), by name.',
  chatflow_end_to_end_latency_ms:
    'Time from a source receiving an event\u2019s bytes to the event reaching a sink, less any intended delay, since the sink started.',
  chatflow_intended_delay_ms:
    'Time the pipeline held events on purpose before they reached a sink (a slew step\u2019s place on its ramp, a vote window), since the sink started.',
  chatflow_messages_per_second: 'Chat messages per second over the last sample interval, per platform and channel.',
  chatflow_messages_total: 'Chat messages seen, per platform and channel, since the sampling node started.',
  chatflow_active_chatters: 'Distinct authors who wrote within the window.',
  chatflow_commands_per_second: 'Commands accepted per second over the last sample interval.',
  chatflow_commands_rejected_per_second: 'Commands parse_command refused (bad arguments, missing role) per second over the last sample interval.',
  chatflow_command_success_rate: 'Accepted over all commands in the last sample interval (0 to 1).',
  chatflow_throttled_per_minute: 'Events held back by rate limits (throttle, cooldown) per minute over the last sample interval.',
  chatflow_moderated_total: 'Moderation verdicts other than allow, per reason, since the sampling node started.',
  chatflow_config_valid: 'Whether the pipeline file was valid when last read (1), or is invalid and the running pipeline is the previous one (0).',
  chatflow_reload_failures_total: 'Reloads of the pipeline file that found it invalid (and kept the running pipeline), since start.',
  chatflow_process_rss_bytes: 'Resident memory of the process.',
  chatflow_process_heap_used_bytes: 'V8 heap in use.',
  chatflow_process_cpu_percent: 'CPU time (user and system) over wall time in the last sample interval, as a fraction of one core.',
  chatflow_event_loop_lag_ms: 'Event-loop delay over the last sample interval.',
  chatflow_gc_pause_ms: 'Garbage-collection pauses over the last sample interval.',
});

/** HELP of a metric: its text from {@link METRIC_HELP}, or a plain note naming it. */
export function helpOf(name: string): string {
  return METRIC_HELP[name] ?? `chatflow metric "${name}" (not described in docs/metrics.md).`;
}
