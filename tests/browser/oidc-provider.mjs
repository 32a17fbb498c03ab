// A real OpenID provider for the tests (npm's oidc-provider, its development sign-in pages):
// single sign-on is tested against it over loopback HTTP (tests/api/test_oidc.py, browser
// 46-sso). Nothing here is Dissent's code; it only plays the organisation's identity service.
//
//   node oidc-provider.mjs --port N --client-id ID --client-secret S --redirect-uri URL
//                          [--post-logout-uri URL] [--alg RS256|ES256]
//
// Prints one line of JSON, {"issuer": "http://127.0.0.1:N"}, once it listens. Anyone typing a
// login name on its sign-in page is that account (any password). The test controls it over
// /__test/ (loopback only, this process only):
//   POST /__test/accounts {"NAME": {"sub", "preferred_username", "name", "email", "groups"}}
//        the claims of the accounts named (default: sub and preferred_username are the name);
//   POST /__test/mode {"mode": M} changes the ID tokens the token endpoint gives from then on,
//        re-signed as a misbehaving or attacked provider would: "aud" (another audience),
//        "expired", "badsig" (a signature byte flipped), "nonce" (another nonce), "newkey"
//        (signed by a key its key set does not hold), "rotate" (that key added to the set and
//        used: a key rotation), "" (as issued).
import { generateKeyPairSync } from 'node:crypto';
import { parseArgs } from 'node:util';

import { CompactSign, exportJWK, importJWK } from 'jose';
import Provider from 'oidc-provider';

const { values: opt } = parseArgs({
  options: {
    port: { type: 'string' },
    'client-id': { type: 'string' },
    'client-secret': { type: 'string' },
    'redirect-uri': { type: 'string' },
    'post-logout-uri': { type: 'string' },
    alg: { type: 'string', default: 'RS256' },
  },
});
const port = Number(opt.port);
const issuer = `http://127.0.0.1:${port}`;

async function key(type, kid, alg) {
  const pair = type === 'rsa'
    ? generateKeyPairSync('rsa', { modulusLength: 2048 })
    : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = await exportJWK(pair.privateKey);
  return { ...jwk, kid, alg, use: 'sig' };
}
const signing = [await key('rsa', 'rsa1', 'RS256'), await key('ec', 'ec1', 'ES256')];
const spare = await key('rsa', 'rsa2', 'RS256'); // the key a rotation brings
const publicOf = ({ kid, kty, alg, use, n, e, crv, x, y }) => (kty === 'RSA'
  ? { kid, kty, alg, use, n, e } : { kid, kty, alg, use, crv, x, y });

const accounts = {};
let mode = '';
let rotated = false;

const provider = new Provider(issuer, {
  clients: [{
    client_id: opt['client-id'],
    client_secret: opt['client-secret'],
    redirect_uris: [opt['redirect-uri']],
    post_logout_redirect_uris: opt['post-logout-uri'] ? [opt['post-logout-uri']] : [],
    response_types: ['code'],
    grant_types: ['authorization_code'],
    id_token_signed_response_alg: opt.alg,
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  jwks: { keys: signing },
  pkce: { required: () => true, methods: ['S256'] },
  claims: { openid: ['sub'], profile: ['preferred_username', 'name', 'groups'], email: ['email'] },
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  cookies: { keys: ['dissent-tests-only'] },
  // the scopes' claims in the ID token itself, as Keycloak and Entra ID put them (Dissent reads
  // the username and the groups from the ID token, not from the userinfo endpoint)
  conformIdTokenClaims: false,
  // the organisation's own application: no consent page
  async loadExistingGrant(ctx) {
    const id = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (id) return ctx.oidc.provider.Grant.find(id);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid profile email');
    await grant.save();
    return grant;
  },
  async findAccount(ctx, id) {
    const a = accounts[id] || {};
    return {
      accountId: id,
      async claims() {
        return {
          sub: a.sub || id,
          preferred_username: a.preferred_username || id,
          name: a.name || id,
          email: a.email || `${id}@example.org`,
          // null: no groups claim at all (as Entra ID past 200 groups)
          groups: a.groups === null ? undefined : (a.groups || []),
        };
      },
    };
  },
});
provider.proxy = false;

const b64u = (b) => Buffer.from(b).toString('base64url');

// The ID token @token re-made as the mode says.
async function mischief(token) {
  const [h, p, s] = token.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url'));
  const claims = JSON.parse(Buffer.from(p, 'base64url'));
  if (mode === 'badsig') {
    const sig = Buffer.from(s, 'base64url');
    sig[sig.length - 1] ^= 1;
    return `${h}.${p}.${b64u(sig)}`;
  }
  let jwk = signing.find((k) => k.kid === header.kid);
  const now = Math.floor(Date.now() / 1000);
  if (mode === 'aud') claims.aud = 'someone-else';
  if (mode === 'expired') { claims.iat = now - 7200; claims.exp = now - 3600; }
  if (mode === 'nonce') claims.nonce = 'swapped';
  if (mode === 'newkey' || mode === 'rotate') jwk = spare;
  const priv = await importJWK(jwk, jwk.alg);
  return new CompactSign(Buffer.from(JSON.stringify(claims)))
    .setProtectedHeader({ alg: jwk.alg, kid: jwk.kid, typ: 'JWT' })
    .sign(priv);
}

provider.use(async (ctx, next) => {
  if (ctx.path === '/favicon.ico') { ctx.status = 204; return; } // (a browser asks for it)
  if (ctx.path.startsWith('/__test/')) {
    const chunks = [];
    for await (const c of ctx.req) chunks.push(c);
    const body = chunks.length ? JSON.parse(Buffer.concat(chunks)) : {};
    if (ctx.path === '/__test/accounts') Object.assign(accounts, body);
    else if (ctx.path === '/__test/mode') { mode = body.mode || ''; if (mode === 'rotate') rotated = true; }
    else { ctx.status = 404; return; }
    ctx.body = { ok: true };
    return;
  }
  await next();
  if (ctx.path === '/token' && ctx.status === 200 && mode && ctx.body && ctx.body.id_token) {
    ctx.body = { ...ctx.body, id_token: await mischief(ctx.body.id_token) };
  }
  // its pages import a web font: the tests' network stays on loopback
  if (typeof ctx.body === 'string' && ctx.body.includes('@import url(https:')) {
    ctx.body = ctx.body.replace(/@import url\(https:[^)]*\);/g, '');
  }
  if (ctx.path === '/jwks' && ctx.status === 200 && rotated) {
    const set = typeof ctx.body === 'string' ? JSON.parse(ctx.body) : ctx.body;
    ctx.body = { keys: [...set.keys, publicOf(spare)] };
  }
});

provider.listen(port, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});
