/**
 * Whether the pipeline file `chatflow run` last read was valid, and how its reloads went: read
 * by `sample_metrics` (`chatflow_config_valid`, `chatflow_reload_failures_total`) through
 * `resources.services` under {@link RELOAD_STATUS}, provided by the CLI.
 */
import { serviceKey } from './services.js';

export interface ReloadStatus {
  /** False while the file on disk was invalid when last read (the running graph is the older one). */
  readonly configValid: boolean;
  /** Reloads that found the file invalid, since start. */
  readonly failures: number;
}

export const RELOAD_STATUS = serviceKey<() => ReloadStatus>('reloadStatus');
