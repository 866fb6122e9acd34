// A real OpenID Connect provider for Agora's SSO tests: panva/oidc-provider (OpenID Certified), run as its own
// process by tests/e2e/test_sso.py. Configuration comes from the environment, written by the test:
//   OIDC_PORT           port on 127.0.0.1; the issuer is http://127.0.0.1:<port>
//   OIDC_CLIENTS        JSON list of {client_id, client_secret, redirect_uris, tamper_id_token?, replay_id_token?}
//   OIDC_ACCOUNTS_FILE  JSON file {"<login>": {"email", "name", "groups": [...]}}, read at every login so a
//                       test can change someone's groups between two logins
// A client with `tamper_id_token` gets ID tokens altered after signing (the payload gains the group
// "agora-admins", the signature stays): what an attacker in the path would do. The relying party must refuse it.
// A client with `replay_id_token` gets, from its second token response on, the first ID token it was issued:
// validly signed and unexpired, but minted for another login (another nonce). The relying party must refuse it.
// Logins use oidc-provider's development interactions (any password); never run this outside tests.
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const port = Number(process.env.OIDC_PORT);
const issuer = `http://127.0.0.1:${port}`;
const clients = JSON.parse(process.env.OIDC_CLIENTS || '[]');
const tampered = new Set(clients.filter((c) => c.tamper_id_token).map((c) => c.client_id));
const replayed = new Set(clients.filter((c) => c.replay_id_token).map((c) => c.client_id));
const firstIdToken = new Map(); // client id -> the first ID token issued to it (replayed clients only)

function accounts() {
  return JSON.parse(readFileSync(process.env.OIDC_ACCOUNTS_FILE, 'utf8'));
}

const provider = new Provider(issuer, {
  clients: clients.map(({ client_id, client_secret, redirect_uris }) => ({
    client_id, client_secret, redirect_uris, grant_types: ['authorization_code'], response_types: ['code'],
  })),
  scopes: ['openid', 'profile', 'email', 'groups'],
  claims: {
    openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'preferred_username'], groups: ['groups'],
  },
  // Claims in the ID token too (not only at userinfo), as Okta, Entra ID and Keycloak can be configured to.
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  cookies: { keys: ['agora-test-oidc-provider-cookie-key'] },
  features: { devInteractions: { enabled: true } },
  async findAccount(ctx, id) {
    const account = accounts()[id];
    if (!account) return undefined;
    return {
      accountId: id,
      async claims() {
        const current = accounts()[id] || account;
        return {
          sub: id, email: current.email, email_verified: true, name: current.name,
          preferred_username: id, groups: current.groups || [],
        };
      },
    };
  },
});

provider.use(async (ctx, next) => {
  await next();
  const clientId = ctx.oidc && ctx.oidc.client && ctx.oidc.client.clientId;
  if (ctx.path === '/token' && ctx.body && ctx.body.id_token && tampered.has(clientId)) {
    const [header, payload, signature] = ctx.body.id_token.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    claims.groups = [...(claims.groups || []), 'agora-admins'];
    const altered = Buffer.from(JSON.stringify(claims)).toString('base64url');
    ctx.body = { ...ctx.body, id_token: `${header}.${altered}.${signature}` };
  }
  if (ctx.path === '/token' && ctx.body && ctx.body.id_token && replayed.has(clientId)) {
    if (!firstIdToken.has(clientId)) firstIdToken.set(clientId, ctx.body.id_token);
    ctx.body = { ...ctx.body, id_token: firstIdToken.get(clientId) };
  }
});

provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider listening ${issuer}`);
});
