import { describe, expect, it } from "vitest";
import { FULL_GRANT, parseAccess, refusal, sameText, type Grant } from "../../shared/access";
import { ConfigError, parseConfig } from "../../shared/config";

const TOKEN = "a-long-enough-token-1";

describe("parseAccess", () => {
  it("is closed by default: token mode, no tokens, no origins", () => {
    expect(parseAccess({}, undefined)).toEqual({ dataAuth: "token", tokens: [], corsOrigins: [] });
  });

  it("reads tokens from JSON text (a secret) or an already-parsed array, with prefix and name defaults", () => {
    const list = [
      { token: TOKEN, access: "write" },
      { token: "another-long-token-2", access: "read", prefix: "app/", name: "dashboard" },
    ];
    const expected = [
      { token: TOKEN, access: "write", prefix: "", name: "#0" },
      { token: "another-long-token-2", access: "read", prefix: "app/", name: "dashboard" },
    ];
    expect(parseAccess({ DATA_TOKENS: JSON.stringify(list) }, undefined).tokens).toEqual(expected);
    expect(parseAccess({ DATA_TOKENS: list }, undefined).tokens).toEqual(expected);
  });

  it("reads CORS_ORIGINS as a comma-separated list of origins", () => {
    expect(parseAccess({ CORS_ORIGINS: "https://a.example, http://localhost:5173" }, undefined).corsOrigins).toEqual([
      "https://a.example",
      "http://localhost:5173",
    ]);
  });

  it.each([
    [{ DATA_AUTH: "none" }, 'DATA_AUTH must be "token" or "open", got "none"'],
    [{ DATA_TOKENS: "[{token" }, "DATA_TOKENS is not valid JSON"],
    [{ DATA_TOKENS: '{"token":"x"}' }, "DATA_TOKENS must be a JSON array"],
    [{ DATA_TOKENS: "[42]" }, "DATA_TOKENS[0] must be an object"],
    [{ DATA_TOKENS: '[{"token":"","access":"read"}]' }, "DATA_TOKENS[0].token must be at least 16 printable ASCII characters"],
    [{ DATA_TOKENS: '[{"token":"has a space in it!!","access":"read"}]' }, "DATA_TOKENS[0].token must be at least 16"],
    [{ DATA_TOKENS: `[{"token":"${TOKEN}","access":"admin"}]` }, 'DATA_TOKENS[0].access must be "read" or "write", got "admin"'],
    [{ DATA_TOKENS: `[{"token":"${TOKEN}"}]` }, "DATA_TOKENS[0].access must be"],
    [{ DATA_TOKENS: `[{"token":"${TOKEN}","access":"read","acess":"write"}]` }, "DATA_TOKENS[0] has unknown field(s) acess"],
    [{ DATA_TOKENS: `[{"token":"${TOKEN}","access":"read","prefix":7}]` }, "DATA_TOKENS[0].prefix must be a string"],
    [{ DATA_TOKENS: `[{"token":"${TOKEN}","access":"read"},{"token":"${TOKEN}","access":"write"}]` }, "DATA_TOKENS lists a token twice"],
    [{ CORS_ORIGINS: "https://a.example/path" }, 'CORS_ORIGINS contains "https://a.example/path"'],
    [{ CORS_ORIGINS: "*" }, 'CORS_ORIGINS contains "*"'],
  ])("refuses %j: %s", (vars, message) => {
    expect(() => parseAccess(vars, undefined)).toThrow(message);
  });

  it("never quotes DATA_TOKENS in its errors: the text around a JSON mistake holds tokens", () => {
    const broken = `[{"token":"${TOKEN}","access":"read"} {"token":"s3cr3t-0123456789-abcdef","access":"write"}]`;
    expect(() => parseAccess({ DATA_TOKENS: broken }, undefined)).toThrow("DATA_TOKENS is not valid JSON");
    try {
      parseAccess({ DATA_TOKENS: broken }, undefined);
    } catch (error) {
      expect((error as Error).message).not.toContain("s3cr3t");
      expect((error as Error).message).not.toContain(TOKEN.slice(0, 8));
    }
  });

  it("sameText: equal exactly when the texts are", () => {
    expect(sameText(TOKEN, TOKEN)).toBe(true);
    expect(sameText(TOKEN, `${TOKEN}x`)).toBe(false);
    expect(sameText(`${TOKEN.slice(0, -1)}!`, TOKEN)).toBe(false);
    expect(sameText("", "")).toBe(true);
    expect(sameText("", "a")).toBe(false);
  });

  it("refuses the admin token as a data token", () => {
    expect(() => parseAccess({ DATA_TOKENS: `[{"token":"${TOKEN}","access":"read"}]` }, TOKEN)).toThrow("DATA_TOKENS contains ADMIN_TOKEN");
  });

  it("fails the whole configuration at start, as a ConfigError naming the var", () => {
    const vars = { NODES: "n1,n2,n3", DATA_TOKENS: "not json" };
    expect(() => parseConfig(vars)).toThrow(ConfigError);
    expect(() => parseConfig(vars)).toThrow(/^DATA_TOKENS is not valid JSON/);
  });
});

describe("refusal", () => {
  const reader: Grant = { access: "read", prefix: "", name: "r" };
  const app: Grant = { access: "write", prefix: "app1/", name: "app1" };

  it("lets a write grant read, write and delete, and a read grant only read", () => {
    for (const operation of ["read", "write", "delete"] as const) expect(refusal(FULL_GRANT, operation, "k")).toBeUndefined();
    expect(refusal(reader, "read", "k")).toBeUndefined();
    expect(refusal(reader, "write", "k")).toEqual({ reason: "access", message: 'token "r" is read-only: it cannot write' });
    expect(refusal(reader, "delete")).toMatchObject({ reason: "access" });
  });

  it("confines a prefix grant to keys starting with its prefix", () => {
    expect(refusal(app, "write", "app1/x")).toBeUndefined();
    expect(refusal(app, "read", "app1")).toMatchObject({ reason: "prefix" });
    expect(refusal(app, "delete", "app2/x")).toEqual({
      reason: "prefix",
      message: 'token "app1" covers keys starting with "app1/"; "app2/x" is outside it',
    });
    // Without a key only the access is checked.
    expect(refusal(app, "write")).toBeUndefined();
  });
});
