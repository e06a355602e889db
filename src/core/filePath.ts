/**
 * Config fields that name a file. A component declares them with {@link filePath}, and
 * `validate` checks every one against the disk (relative to the pipeline file), so a missing
 * word list or recording is reported with file:line:col instead of failing at start.
 */
import { z } from 'zod';

/** `read`: the file must exist and be readable. `write`: it is created, so its folder must be creatable. */
export type FileAccess = 'read' | 'write';

/** The schema metadata key marking a file path; it also shows in pipeline.schema.json. */
export const FILE_PATH_META = 'x-chatflow-file';

/** A path to a file, relative to the pipeline file; `validate` checks it for `access`. */
export function filePath(access: FileAccess) {
  return z.string().min(1).meta({ [FILE_PATH_META]: access });
}

/** The access a schema declares with {@link filePath}, or undefined for any other schema. */
export function fileAccessOf(schema: z.core.$ZodType): FileAccess | undefined {
  const access = z.globalRegistry.get(schema)?.[FILE_PATH_META];
  return access === 'read' || access === 'write' ? access : undefined;
}
