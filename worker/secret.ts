/**
 * Comparing a presented bearer token with configured secrets, in time that does
 * not depend on where (or whether) they differ. Used by the admin API and the
 * data API alike; nothing here logs or returns a token.
 */

const encoder = new TextEncoder();

/** SHA-256 of a secret: comparing digests of equal length also hides the expected secret's length. */
export function digest(secret: string): Promise<ArrayBuffer> {
  return crypto.subtle.digest("SHA-256", encoder.encode(secret));
}

export async function sameSecret(given: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([digest(given), digest(expected)]);
  return crypto.subtle.timingSafeEqual(a, b);
}

/**
 * The index of the candidate `given` equals, or -1. Every candidate is compared,
 * so the time taken says nothing about which one (if any) matched.
 */
export async function matchSecret(given: string, candidates: readonly ArrayBuffer[]): Promise<number> {
  const presented = await digest(given);
  let match = -1;
  candidates.forEach((candidate, i) => {
    if (crypto.subtle.timingSafeEqual(presented, candidate)) match = i;
  });
  return match;
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(request: Request): string | undefined {
  const header = request.headers.get("authorization") ?? "";
  // An auth scheme's name is case-insensitive (RFC 9110 11.1): "bearer" and "BEARER" are Bearer.
  return header.slice(0, 7).toLowerCase() === "bearer " ? header.slice(7) : undefined;
}
