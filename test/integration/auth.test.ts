import { describe, expect, it } from "vitest";
import { grantOf, permit, requireData, requireDataOrAdmin, type AuthorizedRequest } from "../../worker/auth";
import { HttpError } from "../../worker/http";
import type { Grant } from "../../shared/access";

/**
 * worker/auth.ts: who gets through to the data API (`/s/*`) and `/cluster`.
 * DATA_AUTH="open" lets everyone in with full access; "token" (the default)
 * needs `Authorization: Bearer <data token>`, and refuses with 401
 * `unauthorized` and `WWW-Authenticate: Bearer`; a token that does not cover
 * an operation or a key is refused with 403 `forbidden` and its `reason`.
 *
 * In workerd, as the router runs it: matching a token calls
 * `crypto.subtle.timingSafeEqual`, a Workers extension.
 */

/** A configured data token (DATA_TOKENS), and one a client presents that is configured nowhere. */
const CONFIGURED = "configured-data-token-0123456789";
const PRESENTED = "s3cr3t-presented-token-abcdef";

/** The Worker's vars: a fresh object per call, so each test has its own cluster (clusterFor caches per env). */
const envOf = (vars: Record<string, string> = {}) => ({ NODES: "node-1,node-2,node-3", ...vars }) as unknown as Env;
const withTokens = () => envOf({ DATA_AUTH: "token", DATA_TOKENS: JSON.stringify([{ token: CONFIGURED, access: "write" }]) });

const request = (authorization?: string): AuthorizedRequest =>
  new Request(
    "https://ringkv.example/s/key?key=a",
    authorization === undefined ? {} : { headers: { authorization } },
  ) as unknown as AuthorizedRequest;

/** The HttpError `attempt` refused with. */
async function refused(attempt: Promise<void>): Promise<HttpError> {
  const error = await attempt.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HttpError);
  return error as HttpError;
}

/** Everything a client sees of a refusal: status, headers and body. */
async function seen(error: HttpError) {
  const response = error.toResponse();
  return {
    status: response.status,
    headers: Object.fromEntries(response.headers),
    body: (await response.json()) as { error: Record<string, unknown> },
  };
}

const NO_TOKENS_MESSAGE =
  'no data tokens are configured, so the data API is closed: set the DATA_TOKENS secret (`wrangler secret put DATA_TOKENS`) to a JSON array such as [{"token":"<long random text>","access":"write"}], or set DATA_AUTH="open" for an unauthenticated store';
const MISSING_DATA = "missing bearer token: send Authorization: Bearer <data token>";
const MISSING_CLUSTER = "missing bearer token: send Authorization: Bearer <data or admin token>";
const UNKNOWN_CLUSTER = "unknown bearer token: /cluster needs a data token or the admin token";

const UNAUTHORIZED_HEADERS = { "content-type": "application/json; charset=utf-8", "www-authenticate": 'Bearer realm="ringkv"' };

describe("DATA_AUTH=open", () => {
  it.each([[undefined], ["Bearer whatever-it-says"], ["Basic dXNlcjpwYXNz"], [""]])(
    "lets a data request in with full access (Authorization %j)",
    async (authorization) => {
      const req = request(authorization);
      await requireData(req, envOf({ DATA_AUTH: "open" }));
      expect(req.grant).toEqual({ access: "write", prefix: "", name: "full access" });
      expect(grantOf(req)).toEqual({ access: "write", prefix: "", name: "full access" });
    },
  );

  it("lets a data request in even when tokens are configured", async () => {
    const req = request();
    await requireData(req, envOf({ DATA_AUTH: "open", DATA_TOKENS: JSON.stringify([{ token: CONFIGURED, access: "read" }]) }));
    expect(grantOf(req)).toMatchObject({ access: "write", prefix: "" });
  });

  it("shows /cluster to anyone", async () => {
    await expect(requireDataOrAdmin(request(), envOf({ DATA_AUTH: "open" }))).resolves.toBeUndefined();
    await expect(requireDataOrAdmin(request(`Bearer ${PRESENTED}`), envOf({ DATA_AUTH: "open" }))).resolves.toBeUndefined();
  });
});

describe("DATA_AUTH=token without DATA_TOKENS: the data API is closed", () => {
  it("is the default: without DATA_AUTH a data request is 401", async () => {
    const error = await refused(requireData(request(), envOf()));
    expect(error).toMatchObject({ status: 401, code: "unauthorized", message: NO_TOKENS_MESSAGE });
  });

  it("answers every data request 401 unauthorized, saying how to open it, whatever token it brings", async () => {
    for (const authorization of [undefined, `Bearer ${PRESENTED}`]) {
      const req = request(authorization);
      const error = await refused(requireData(req, envOf({ DATA_AUTH: "token" })));
      expect(await seen(error)).toEqual({
        status: 401,
        headers: UNAUTHORIZED_HEADERS,
        body: { error: { code: "unauthorized", message: NO_TOKENS_MESSAGE } },
      });
      expect(req.grant).toBeUndefined();
    }
  });
});

describe("DATA_AUTH=token: a data request without a bearer token", () => {
  it.each([
    ["no Authorization header", undefined],
    ["an empty header", ""],
    ["another scheme", `Basic ${PRESENTED}`],
    ["another scheme named like a token", `Token ${PRESENTED}`],
    ["the scheme with no token", "Bearer"],
    ["the scheme and a space (trimmed away by Headers)", "Bearer   "],
    ["the scheme run into the token", `Bearer${PRESENTED}`],
    ["the scheme after a tab, not a space", `Bearer\t${PRESENTED}`],
  ])("is 401 missing bearer token: %s", async (_, authorization) => {
    const req = request(authorization);
    const error = await refused(requireData(req, withTokens()));
    expect(await seen(error)).toEqual({
      status: 401,
      headers: UNAUTHORIZED_HEADERS,
      body: { error: { code: "unauthorized", message: MISSING_DATA } },
    });
    expect(req.grant).toBeUndefined();
  });

  it("never repeats what the header held, nor a configured token", async () => {
    const error = await refused(requireData(request(`Basic ${PRESENTED}`), withTokens()));
    const text = JSON.stringify(await seen(error));
    expect(text).not.toContain(PRESENTED);
    expect(text).not.toContain(CONFIGURED);
    expect(text).not.toContain("s3cr3t");
  });
});

describe("/cluster in token mode (no data token or admin token configured)", () => {
  it("is 401 missing bearer token without one", async () => {
    const error = await refused(requireDataOrAdmin(request(), envOf({ DATA_AUTH: "token" })));
    expect(await seen(error)).toEqual({
      status: 401,
      headers: UNAUTHORIZED_HEADERS,
      body: { error: { code: "unauthorized", message: MISSING_CLUSTER } },
    });
  });

  it.each([["Bearer"], ["bearer"], ["BEARER"], ["bEaReR"]])(
    "reads %j as the Bearer scheme (case-insensitive): the token is checked, and unknown",
    async (scheme) => {
      const error = await refused(requireDataOrAdmin(request(`${scheme} ${PRESENTED}`), envOf({ DATA_AUTH: "token" })));
      expect(await seen(error)).toEqual({
        status: 401,
        headers: UNAUTHORIZED_HEADERS,
        body: { error: { code: "unauthorized", message: UNKNOWN_CLUSTER } },
      });
    },
  );

  it.each([["Basic"], ["Bearer:"], ["Bearers"]])("does not read %j as the Bearer scheme", async (scheme) => {
    const error = await refused(requireDataOrAdmin(request(`${scheme} ${PRESENTED}`), envOf({ DATA_AUTH: "token" })));
    expect(error).toMatchObject({ status: 401, code: "unauthorized", message: MISSING_CLUSTER });
  });

  it("never repeats the unknown token", async () => {
    const error = await refused(requireDataOrAdmin(request(`Bearer ${PRESENTED}`), envOf({ DATA_AUTH: "token" })));
    expect(JSON.stringify(await seen(error))).not.toContain("s3cr3t");
  });
});

describe("permit", () => {
  const reader: Grant = { access: "read", prefix: "", name: "dashboard" };
  const app: Grant = { access: "write", prefix: "app/", name: "app" };

  it("lets through what the grant covers", () => {
    for (const operation of ["read", "write", "delete"] as const) {
      expect(() => permit({ access: "write", prefix: "", name: "full access" }, operation, "any key")).not.toThrow();
      expect(() => permit(app, operation, "app/x")).not.toThrow();
    }
    expect(() => permit(reader, "read", "k")).not.toThrow();
    // Before the key is known (a write refused before its body is read), only the access is checked.
    expect(() => permit(app, "write")).not.toThrow();
  });

  it("refuses a read-only token's write or delete: 403 forbidden, reason access", async () => {
    for (const operation of ["write", "delete"] as const) {
      let error: unknown;
      try {
        permit(reader, operation, "k");
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(HttpError);
      expect(await seen(error as HttpError)).toEqual({
        status: 403,
        headers: { "content-type": "application/json; charset=utf-8" },
        body: { error: { code: "forbidden", message: `token "dashboard" is read-only: it cannot ${operation}`, reason: "access" } },
      });
    }
  });

  it("refuses a key outside the token's prefix: 403 forbidden, reason prefix", async () => {
    let error: unknown;
    try {
      permit(app, "read", "other/x");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(HttpError);
    expect((await seen(error as HttpError)).body).toEqual({
      error: { code: "forbidden", message: 'token "app" covers keys starting with "app/"; "other/x" is outside it', reason: "prefix" },
    });
  });
});

describe("grantOf", () => {
  it("refuses a request requireData never let through (a route wired without it)", async () => {
    expect(() => grantOf(request())).toThrow("route is not behind requireData");
    // requireDataOrAdmin (/cluster) lets a request in without a grant.
    const req = request();
    await requireDataOrAdmin(req, envOf({ DATA_AUTH: "open" }));
    expect(() => grantOf(req)).toThrow("route is not behind requireData");
  });
});

describe("configured tokens", () => {
  it("a configured token is let in with its grant; any other is 401 unknown_token, and neither is echoed", async () => {
    const env = envOf({
      DATA_AUTH: "token",
      DATA_TOKENS: JSON.stringify([
        { token: CONFIGURED, access: "read", prefix: "app/", name: "reader" },
        { token: "second-configured-token-987654", access: "write" },
      ]),
    });
    const known = request(`Bearer ${CONFIGURED}`);
    await requireData(known, env);
    expect(grantOf(known)).toEqual({ access: "read", prefix: "app/", name: "reader" });
    const error = await refused(requireData(request(`Bearer ${PRESENTED}`), env));
    const { status, body } = await seen(error);
    expect(status).toBe(401);
    expect(body).toMatchObject({ error: { code: "unauthorized", message: "unknown bearer token" } });
    expect(JSON.stringify(body)).not.toContain(PRESENTED);
    expect(JSON.stringify(body)).not.toContain(CONFIGURED);
  });

  it("/cluster takes a data token or the admin token, and refuses any other", async () => {
    const env = envOf({
      DATA_AUTH: "token",
      ADMIN_TOKEN: "the-admin-token-for-this-test",
      DATA_TOKENS: JSON.stringify([{ token: CONFIGURED, access: "read" }]),
    });
    await expect(requireDataOrAdmin(request(`Bearer ${CONFIGURED}`), env)).resolves.toBeUndefined();
    await expect(requireDataOrAdmin(request("Bearer the-admin-token-for-this-test"), env)).resolves.toBeUndefined();
    expect((await refused(requireDataOrAdmin(request(`Bearer ${PRESENTED}`), env))).status).toBe(401);
  });
});
