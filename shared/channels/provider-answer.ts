/**
 * A provider's answer body as JSON, or undefined when it has none or it is not JSON (a proxy's
 * HTML error page, a truncated answer): the channel then decides on the HTTP status alone.
 */
export function answerJson(body: string | undefined): unknown {
  if (!body) return undefined;
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}
