// A certified OpenID Provider (node `oidc-provider`) on loopback, for the OIDC e2e tests.
//
//   node server.js CONFIG_JSON
//
// CONFIG_JSON:
//   issuer    the provider's URL as browsers reach it, e.g. "http://127.0.0.5:4000/realms/lms"
//             (a path is allowed, as Keycloak's /realms/<realm>); it also names the first listener
//   listen    [[host, port], ...]: the issuer's own host and port first; a second entry serves
//             the same provider on another address, playing the URL the LMS container reaches
//             ("internal URL"): requests there are answered as if they came through the issuer's
//             host, so discovery still announces the public URLs, as a provider behind a proxy
//             with a fixed hostname does
//   clients   [{client_id, client_secret, redirect_uris}], confidential, authorization code;
//             optional token_endpoint_auth_method (oidc-provider's default client_secret_basic:
//             the client must authenticate that way) and post_logout_redirect_uris
//   accounts  {login: {sub, preferred_username, name, email, email_verified}}
// Optional, to break things on purpose:
//   announce_issuer          the provider believes it is this issuer: discovery announces it and
//                            the id_tokens carry it as `iss`, while it still listens on `issuer`
//   jwks_unavailable         the JWKS path answers 503
//   client_auth_methods      the token endpoint authentication methods the provider supports
//                            (discovery's token_endpoint_auth_methods_supported)
//   server_endpoints_internal_only
//                            token, userinfo and JWKS answer 421 on the issuer's own listener, so
//                            a relying party that does not use the internal URL for them fails
//
// Interactions: GET <issuer>/interaction/<uid> is a login form (field `login`, an account's
// login name, no password); POST there logs in. Consent is given automatically.
// One line per request and per provider error goes to stderr (the test's log); stdout carries
// only READY, once every listener is up.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const issuerUrl = new URL(config.issuer);
const mountPath = issuerUrl.pathname.replace(/\/$/, '');
const accounts = config.accounts;
const SERVER_ROUTES = new Set(['/token', '/me', '/jwks']);

function log(message) {
  process.stderr.write(`oidc-provider: ${message}\n`);
}

// A fresh RS256 key per run: nothing to commit, nothing that outlives the test.
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = {
  ...privateKey.export({ format: 'jwk' }),
  kid: randomBytes(8).toString('hex'),
  alg: 'RS256',
  use: 'sig',
};

const provider = new Provider(config.announce_issuer || config.issuer, {
  clients: config.clients.map((client) => ({
    client_id: client.client_id,
    client_secret: client.client_secret,
    redirect_uris: client.redirect_uris,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    ...(client.token_endpoint_auth_method
      ? { token_endpoint_auth_method: client.token_endpoint_auth_method } : {}),
    ...(client.post_logout_redirect_uris
      ? { post_logout_redirect_uris: client.post_logout_redirect_uris } : {}),
  })),
  ...(config.client_auth_methods ? { clientAuthMethods: config.client_auth_methods } : {}),
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  claims: {
    openid: ['sub'],
    profile: ['preferred_username', 'name'],
    email: ['email', 'email_verified'],
  },
  features: { devInteractions: { enabled: false } },
  // social-core sends no PKCE; a confidential client authenticates at the token endpoint, so
  // require PKCE from public clients only (oidc-provider 8 requires it from every client).
  pkce: { required: (ctx, client) => client.clientAuthMethod === 'none' },
  interactions: { url: (ctx, interaction) => `${mountPath}/interaction/${interaction.uid}` },
  // Auto-consent: the grant covers what the client asked for.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) {
      return ctx.oidc.provider.Grant.find(grantId);
    }
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope([...ctx.oidc.requestParamOIDCScopes].join(' '));
    await grant.save();
    return grant;
  },
  async findAccount(ctx, sub) {
    const account = Object.values(accounts).find((candidate) => candidate.sub === sub);
    if (!account) {
      return undefined;
    }
    return { accountId: sub, claims: async () => ({ ...account }) };
  },
});

// The provider's own account of why it refused something, for the tests' evidence.
for (const event of [
  'server_error',
  'authorization.error',
  'grant.error',
  'userinfo.error',
  'jwks.error',
  'discovery.error',
]) {
  provider.on(event, (ctx, error) => {
    const detail = error.error_description ? `: ${error.error_description}` : '';
    log(`${event} ${error.error || error.name}${detail}`);
  });
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function readForm(req) {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => resolve(new URLSearchParams(body)));
    req.on('error', reject);
  });
}

function loginForm(res, uid, status, message) {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.end(
    `<!doctype html><title>Sign in</title>${message ? `<p>${escapeHtml(message)}</p>` : ''}`
    + `<form method="post" action="${escapeHtml(`${mountPath}/interaction/${uid}`)}">`
    + '<input name="login"><button>Sign in</button></form>',
  );
}

async function interaction(req, res, uid) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) {
    loginForm(res, uid, 400, 'interaction mismatch');
    return;
  }
  if (req.method === 'GET') {
    loginForm(res, uid, 200, '');
    return;
  }
  const login = (await readForm(req)).get('login') || '';
  const account = accounts[login];
  if (!account) {
    log(`interaction: unknown login ${JSON.stringify(login)}`);
    loginForm(res, uid, 401, `unknown login ${login}`);
    return;
  }
  await provider.interactionFinished(
    req,
    res,
    { login: { accountId: account.sub } },
    { mergeWithLastSubmission: false },
  );
}

const callback = provider.callback();

function serve(label, internal) {
  return async (req, res) => {
    const { method, url } = req;
    // Logged as the status line goes out (every response passes through writeHead), so the
    // line is in the log before the client can read the answer.
    const { writeHead } = res;
    res.writeHead = function logged(statusCode, ...rest) {
      log(`${label} ${method} ${url} -> ${statusCode}`);
      return writeHead.call(this, statusCode, ...rest);
    };
    try {
      if (!req.url.startsWith(`${mountPath}/`) && req.url !== mountPath) {
        res.statusCode = 404;
        res.end('not under the issuer path');
        return;
      }
      const route = req.url.slice(mountPath.length).split('?')[0] || '/';
      if (config.jwks_unavailable && route === '/jwks') {
        res.statusCode = 503;
        res.end('JWKS unavailable (on purpose)');
        return;
      }
      if (config.server_endpoints_internal_only && !internal && SERVER_ROUTES.has(route)) {
        res.statusCode = 421;
        res.end(`${route} is served on the internal address only`);
        return;
      }
      if (internal) {
        // Seen through the internal address, the provider still speaks of its public URLs.
        req.headers.host = issuerUrl.host;
      }
      const match = route.match(/^\/interaction\/([^/]+)$/);
      if (match && (req.method === 'GET' || req.method === 'POST')) {
        await interaction(req, res, match[1]);
        return;
      }
      // Mounted below the issuer's path, as oidc-provider documents for a prefix.
      req.originalUrl = req.url;
      req.url = req.url.slice(mountPath.length) || '/';
      callback(req, res);
    } catch (error) {
      log(`${label} error: ${error.stack || error}`);
      if (!res.headersSent) {
        res.statusCode = 500;
      }
      res.end();
    }
  };
}

await Promise.all(
  config.listen.map(([host, port], index) => new Promise((resolve, reject) => {
    const server = createServer(serve(index === 0 ? 'public' : 'internal', index > 0));
    server.on('error', reject);
    server.listen(port, host, resolve);
  })),
);
process.stdout.write('READY\n');
process.on('SIGTERM', () => process.exit(0));
