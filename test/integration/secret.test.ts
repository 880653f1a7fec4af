import { describe, expect, it } from "vitest";
import { bearerToken, digest, matchSecret, sameSecret } from "../../worker/secret";

// worker/secret.ts in workerd: crypto.subtle.timingSafeEqual is the Workers runtime's, not Node's.
const withAuthorization = (value?: string) =>
  new Request("https://ringkv.test/", value === undefined ? {} : { headers: { authorization: value } });

describe("sameSecret", () => {
  it("is true for the same secret only, whatever the lengths", async () => {
    expect(await sameSecret("admin-token-0123456789", "admin-token-0123456789")).toBe(true);
    expect(await sameSecret("admin-token-0123456788", "admin-token-0123456789")).toBe(false);
    expect(await sameSecret("admin", "admin-token-0123456789")).toBe(false);
    expect(await sameSecret("", "admin-token-0123456789")).toBe(false);
  });
});

describe("matchSecret", () => {
  it("says which candidate matched, or -1", async () => {
    const candidates = await Promise.all(["first-token-000000", "second-token-00000", "third-token-000000"].map(digest));
    expect(await matchSecret("second-token-00000", candidates)).toBe(1);
    expect(await matchSecret("third-token-000000", candidates)).toBe(2);
    expect(await matchSecret("fourth-token-00000", candidates)).toBe(-1);
    expect(await matchSecret("first-token-000000", [])).toBe(-1);
  });
});

describe("bearerToken", () => {
  it("reads the token after a Bearer scheme in any case, and nothing else", () => {
    expect(bearerToken(withAuthorization("Bearer abc"))).toBe("abc");
    expect(bearerToken(withAuthorization("bearer abc"))).toBe("abc");
    expect(bearerToken(withAuthorization("BEARER abc"))).toBe("abc");
    expect(bearerToken(withAuthorization("Basic abc"))).toBeUndefined();
    expect(bearerToken(withAuthorization("Bearerabc"))).toBeUndefined();
    expect(bearerToken(withAuthorization())).toBeUndefined();
  });
});
