/**
 * The router's HTTP vocabulary: every error is `{"error":{"code","message",...}}`
 * with a 4xx when the client can fix it and a 5xx when the cluster could not serve.
 */
export class HttpError extends Error {
  override readonly name = "HttpError";

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Extra fields for the error body, such as quorum counts. */
    readonly details: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  /** The JSON body of the error response. */
  body(): { error: Record<string, unknown> } {
    return { error: { code: this.code, message: this.message, ...this.details } };
  }

  toResponse(): Response {
    return json(this.body(), this.status, this.headers);
  }
}

export const badRequest = (message: string, code = "bad_request"): HttpError => new HttpError(400, code, message);
export const tooLarge = (message: string, code = "too_large"): HttpError => new HttpError(413, code, message);

const JSON_HEADERS = { "content-type": "application/json; charset=utf-8" };

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return rawJson(JSON.stringify(body), status, headers);
}

/** A response from JSON text the caller has already assembled (values are stored as JSON text). */
export function rawJson(text: string, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(text, { status, headers: { ...JSON_HEADERS, ...headers } });
}
