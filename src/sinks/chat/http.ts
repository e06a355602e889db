/** The few HTTP helpers the chat senders share (plain `fetch`, so every answer is seen as sent). */

/** What a sender needs of `fetch` (the global one, or a test's). */
export type Fetch = (url: string, init: RequestInit) => Promise<Response>;

/** How long one send may take before it counts as failed (and is retried). */
export const SEND_TIMEOUT_MS = 10_000;

/** The JSON body of a response, or undefined when it has none or it is not JSON. */
export async function jsonOf(response: Response): Promise<Record<string, unknown> | undefined> {
  const text = await response.text();
  if (text === '') return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** A failure to retry: no answer, or the platform's server failed. */
export class SendFailed extends Error {}

/** `fetch` with the send timeout; a 5xx becomes a {@link SendFailed} (retried). */
export async function call(fetchImpl: Fetch, url: string, init: RequestInit): Promise<Response> {
  const response = await fetchImpl(url, { ...init, signal: AbortSignal.timeout(SEND_TIMEOUT_MS) });
  if (response.status >= 500) {
    await response.body?.cancel();
    throw new SendFailed(`HTTP ${response.status} from ${new URL(url).host}`);
  }
  return response;
}
