/** How the page talks to the router: same origin, the typed admin token from the tab's session storage. */

const TOKEN_KEY = "ringkv.adminToken";

export function adminToken(): string | undefined {
  return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
}

export function setAdminToken(token: string | undefined): void {
  if (token === undefined || token === "") sessionStorage.removeItem(TOKEN_KEY);
  else sessionStorage.setItem(TOKEN_KEY, token);
}

export interface Answer {
  readonly status: number;
  readonly body: unknown;
}

/** One API call; a network failure is an answer with status 0, so the page shows it instead of throwing. */
export async function call(method: string, path: string, body?: unknown, withToken = true): Promise<Answer> {
  const headers: Record<string, string> = {};
  const token = adminToken();
  if (withToken && token !== undefined) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  try {
    const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: "no-store" });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Not JSON: show the text as it came.
    }
    return { status: response.status, body: parsed };
  } catch (error) {
    return { status: 0, body: { error: { code: "network", message: (error as Error).message } } };
  }
}

/**
 * GET /cluster. Without a token first: /cluster is public unless the deployment
 * gates it (DATA_AUTH=token), in which case a 401 is retried with the admin token.
 */
export async function fetchCluster(): Promise<Answer> {
  const open = await call("GET", "/cluster", undefined, false);
  if (open.status !== 401 || adminToken() === undefined) return open;
  return call("GET", "/cluster");
}
