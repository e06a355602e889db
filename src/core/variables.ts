/**
 * Control-variable names, shared by the operator that sets variables (`control`) and the sinks
 * that address them (`osc`), so neither kind imports the other.
 */

/**
 * What a control variable may be called: it becomes an OSC address segment and a Redis hash field.
 * Also what a variable name from chat must look like, after lower-casing.
 */
export const VARIABLE_NAME = /^[a-z][a-z0-9_]{0,31}$/;
