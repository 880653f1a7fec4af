// The Worker's secrets, which wrangler.toml cannot declare. Everything else on `Env`
// (bindings and vars) is generated from wrangler.toml into worker-configuration.d.ts
// by `npm run types`; `npm run lint` fails when that file is out of date.
declare namespace Cloudflare {
  interface Env {
    /** Bearer token of the admin API; absent, the admin API answers 403. */
    ADMIN_TOKEN?: string;
    /** The data tokens, a JSON array (shared/access.ts); absent, DATA_AUTH="token" answers every data request 401. */
    DATA_TOKENS?: string;
  }
}
