/** What `chatflow auth` prints, shared by the Twitch and the YouTube/Kick sign-ins. */

/** A token's remaining life: `3h 12m`, `45m`. */
export function lifetime(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  return h > 0 ? `${h}h ${m}m` : `${m}m`;
}
