import { createHmac, timingSafeEqual } from 'node:crypto';

/** Twilio signs every webhook in this header (lower case, as Tide keys headers). */
export const twilioSignatureHeader = 'x-twilio-signature';

/** A webhook's form fields by name; a field sent more than once keeps every value. */
export type TwilioParams = Readonly<Record<string, string | readonly string[]>>;

/**
 * `X-Twilio-Signature` as Twilio computes it: base64 HMAC-SHA1, keyed with the auth token, over
 * the full URL followed by every form field's name and value, no separators, fields sorted by
 * name (UTF-16 order, as JavaScript's sort and twilio-node have it). A repeated field contributes
 * each distinct value once, sorted, as twilio-node does.
 */
export function expectedSignature(authToken: string, url: string, params: TwilioParams): string {
  let signed = url;
  for (const name of Object.keys(params).sort()) {
    const value = params[name]!;
    if (typeof value === 'string') signed += name + value;
    else for (const each of [...new Set(value)].sort()) signed += name + each;
  }
  return createHmac('sha1', authToken).update(signed, 'utf8').digest('base64');
}

/**
 * Whether `signatureHeader` is Twilio's signature of this request. Twilio is inconsistent about
 * writing the default port (`:443`, `:80`) into the URL it signs, so the URL is tried with and
 * without it; a non-default port is part of the address and always kept. Then the same two with
 * the URL as WHATWG `new URL()` writes it (a `'` in the query becomes `%27`), the form some
 * Twilio back ends sign, as twilio-node's `validateRequest` also accepts. A missing header is
 * refused; every comparison is constant-time.
 */
export function isValidTwilioSignature(authToken: string, signatureHeader: string | undefined, url: string, params: TwilioParams): boolean {
  if (!authToken || !signatureHeader) return false;
  const given = Buffer.from(signatureHeader, 'utf8');
  let valid = false;
  for (const candidate of signedUrlCandidates(url)) {
    const expected = Buffer.from(expectedSignature(authToken, candidate, params), 'utf8');
    // The expected length is fixed by SHA-1 and not secret: unequal lengths can be refused early.
    if (expected.length === given.length && timingSafeEqual(expected, given)) valid = true;
  }
  return valid;
}

/** The URL as received, and as normalised, each with and without the scheme's default port. */
function signedUrlCandidates(url: string): string[] {
  const forms = [url];
  try {
    forms.push(new URL(url).href);
  } catch {
    // Not a URL `new URL()` reads: only the form as received can match.
  }
  return [...new Set(forms.flatMap((form) => [withoutDefaultPort(form), withDefaultPort(form)]))];
}

const defaultPorts: ReadonlyMap<string, string> = new Map([
  ['http', '80'],
  ['https', '443'],
]);

/** scheme, `://`, user info, host (an IPv6 literal in brackets), `:port`, and the rest. */
const urlParts = /^([a-z][a-z0-9+.-]*):\/\/([^/?#@]*@)?(\[[^\]]*\]|[^/?#:]*)(?::(\d*))?(.*)$/is;

function withDefaultPort(url: string): string {
  const parts = urlParts.exec(url);
  const port = parts && defaultPorts.get(parts[1]!.toLowerCase());
  if (!parts || !port || parts[4] !== undefined) return url;
  return `${parts[1]}://${parts[2] ?? ''}${parts[3]}:${port}${parts[5]}`;
}

function withoutDefaultPort(url: string): string {
  const parts = urlParts.exec(url);
  if (!parts || parts[4] === undefined || parts[4] !== defaultPorts.get(parts[1]!.toLowerCase())) return url;
  return `${parts[1]}://${parts[2] ?? ''}${parts[3]}${parts[5]}`;
}
