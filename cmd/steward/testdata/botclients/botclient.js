// A Bot Framework client built on Microsoft's botbuilder packages, talking
// to Steward's bot the way Teams' Bot Connector does, with real tokens both
// ways:
//
//   - channel -> bot: the simulator signs a Teams activity ("help") as the
//     Bot Connector does (POST /admin/bots/{appId}/activities) and delivers
//     it here (/api/messages); botbuilder's channel validation checks the
//     token against the simulator's Bot Framework OpenID metadata (issuer,
//     audience = Steward's app id, endorsement, serviceurl), and this
//     script forwards the request — same body, same Authorization header —
//     to Steward's /api/messages, which validates it again.
//   - bot -> channel: the activity's serviceUrl is this script's
//     /connector/, served by botbuilder's ChannelServiceRoutes and a
//     ChannelServiceHandlerBase whose BotFrameworkAuthentication validates
//     the bearer token Steward sends with its replies as the Bot Connector
//     does: issued by Entra (the simulator's, via its OpenID metadata),
//     audience https://api.botframework.com, azp = Steward's app id, tid =
//     Steward's tenant.
//
// Environment: BOT_APP_ID (Steward's), TENANT_ID, CHANNEL_METADATA_URL,
// ENTRA_METADATA_URL, ENTRA_ISSUER. Listens on 127.0.0.1, port 0, and prints
// "listening <port>"; then reads one JSON line on stdin:
// {"adminUrl", "stewardEndpoint", "activity"}. Prints "result <json>" and
// exits 0 once a reply with an Adaptive Card arrived; exits 1 on failure or
// after 40 s.
'use strict';

const http = require('node:http');
const readline = require('node:readline');
const {
  ChannelServiceHandlerBase,
  ChannelServiceRoutes,
  ConfigurationBotFrameworkAuthentication,
} = require('botbuilder');
const {
  AuthenticationConfiguration,
  PasswordServiceClientCredentialFactory,
  ServiceClientCredentialsFactory,
} = require('botframework-connector');

const env = (name) => {
  const v = process.env[name];
  if (!v) {
    fail(`${name} is required`);
  }
  return v;
};
function fail(msg) {
  console.error(`botclient: ${msg}`);
  process.exit(1);
}
setTimeout(() => fail('no reply with an Adaptive Card within 40 s'), 40_000).unref();

const appId = env('BOT_APP_ID');
const tenantId = env('TENANT_ID');
const botConnectorAudience = 'https://api.botframework.com';

// Inbound to a bot: what CloudAdapter would check, here for Steward's app id.
const channelAuth = new ConfigurationBotFrameworkAuthentication(
  {
    MicrosoftAppId: appId,
    MicrosoftAppTenantId: tenantId,
    MicrosoftAppType: 'SingleTenant',
    ToBotFromChannelOpenIdMetadataUrl: env('CHANNEL_METADATA_URL'),
    ToBotFromChannelTokenIssuer: 'https://api.botframework.com',
    ToBotFromEmulatorOpenIdMetadataUrl: env('CHANNEL_METADATA_URL'),
    ToChannelFromBotLoginUrl: 'https://login.microsoftonline.com/' + tenantId,
    ToChannelFromBotOAuthScope: botConnectorAudience,
    OAuthUrl: 'https://token.botframework.com',
    CallerId: 'urn:botframework:azure',
    ValidateAuthority: true,
  },
  // Validation only: no token is ever requested with this (empty) secret.
  new PasswordServiceClientCredentialFactory(appId, '', tenantId),
);

// The Bot Connector's side: the audience it accepts is its own API, never a
// bot's app id, so the credentials factory says which "app ids" are valid.
class BotConnectorAudience extends ServiceClientCredentialsFactory {
  async isValidAppId(id) {
    return id === botConnectorAudience;
  }
  async isAuthenticationDisabled() {
    return false;
  }
  async createCredentials() {
    throw new Error('the connector side never calls out');
  }
}
const connectorAuth = new ConfigurationBotFrameworkAuthentication(
  {
    // Tokens Steward sends are Entra's: the "channel" issuer and metadata
    // of this authentication are Entra's for Steward's tenant.
    ToBotFromChannelOpenIdMetadataUrl: env('ENTRA_METADATA_URL'),
    ToBotFromChannelTokenIssuer: env('ENTRA_ISSUER'),
    ToBotFromEmulatorOpenIdMetadataUrl: env('ENTRA_METADATA_URL'),
    ToChannelFromBotLoginUrl: 'https://login.microsoftonline.com/' + tenantId,
    ToChannelFromBotOAuthScope: botConnectorAudience,
    OAuthUrl: 'https://token.botframework.com',
    CallerId: 'urn:botframework:azure',
    ValidateAuthority: true,
  },
  new BotConnectorAudience(),
  new AuthenticationConfiguration([], async (claims) => {
    const claim = (type) => (claims.find((c) => c.type === type) || {}).value;
    if (claim('azp') !== appId) {
      throw Object.assign(new Error(`token issued to ${claim('azp')}, not to Steward's bot ${appId}`), { statusCode: 401 });
    }
    if (claim('tid') !== tenantId) {
      throw Object.assign(new Error(`token of tenant ${claim('tid')}, not ${tenantId}`), { statusCode: 401 });
    }
  }),
);

const result = { channelToken: null, stewardStatus: null, replies: [], refused: {} };
let relayedToken = '';

class Connector extends ChannelServiceHandlerBase {
  async authenticate(authHeader) {
    return connectorAuth.authenticateChannelRequest(authHeader);
  }
  record(kind, identity, conversationId, activityId, activity) {
    const claim = (type) => identity.getClaimValue(type);
    result.replies.push({
      kind,
      conversationId,
      activityId,
      token: { iss: claim('iss'), aud: claim('aud'), azp: claim('azp'), tid: claim('tid') },
      activity,
    });
    const card = (activity.attachments || []).find((a) => a.contentType === 'application/vnd.microsoft.card.adaptive');
    if (card) {
      done();
    }
    return { id: `reply-${result.replies.length}` };
  }
  async onReplyToActivity(identity, conversationId, activityId, activity) {
    return this.record('replyToActivity', identity, conversationId, activityId, activity);
  }
  async onSendToConversation(identity, conversationId, activity) {
    return this.record('sendToConversation', identity, conversationId, '', activity);
  }
  async onUpdateActivity(identity, conversationId, activityId, activity) {
    return this.record('updateActivity', identity, conversationId, activityId, activity);
  }
}

// A minimal restify/express-like router for ChannelServiceRoutes.
const routes = [];
const route = (method) => (pattern, handler) => {
  const names = [];
  const re = new RegExp('^' + pattern.replace(/:(\w+)/g, (_, n) => (names.push(n), '([^/]+)')) + '$');
  routes.push({ method, re, names, handler });
};
const webServer = { get: route('GET'), post: route('POST'), put: route('PUT'), del: route('DELETE') };
new ChannelServiceRoutes(new Connector()).register(webServer, '/connector');

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

let stewardEndpoint = '';

// The channel's delivery, validated and relayed to Steward unchanged.
async function relay(req, res) {
  const body = await readBody(req);
  const authHeader = req.headers.authorization || '';
  try {
    const activity = JSON.parse(body);
    const auth = await channelAuth.authenticateRequest(activity, authHeader);
    result.channelToken = {
      aud: auth.claimsIdentity.getClaimValue('aud'),
      iss: auth.claimsIdentity.getClaimValue('iss'),
      serviceurl: auth.claimsIdentity.getClaimValue('serviceurl'),
    };
  } catch (err) {
    res.writeHead(err.statusCode || 401).end(String(err.message || err));
    fail(`botbuilder refused the channel's token: ${err.message || err}`);
    return;
  }
  relayedToken = authHeader;
  const answer = await fetch(stewardEndpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json; charset=utf-8', Authorization: authHeader },
    body,
  });
  result.stewardStatus = answer.status;
  const text = await answer.text();
  res.writeHead(answer.status, { 'Content-Type': answer.headers.get('content-type') || 'text/plain' }).end(text);
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://127.0.0.1');
  try {
    if (req.method === 'POST' && url.pathname === '/api/messages') {
      await relay(req, res);
      return;
    }
    for (const r of routes) {
      const m = r.method === req.method && r.re.exec(url.pathname);
      if (!m) {
        continue;
      }
      req.params = Object.fromEntries(r.names.map((n, i) => [n, decodeURIComponent(m[i + 1])]));
      req.body = JSON.parse((await readBody(req)) || 'null') || undefined;
      let status = 200;
      const shim = {
        status(code) {
          status = code;
        },
        send(b) {
          res.statusCode = status;
          if (typeof b === 'string') {
            res.setHeader('Content-Type', 'text/plain; charset=utf-8');
            res.write(b);
          } else if (b !== undefined) {
            res.setHeader('Content-Type', 'application/json');
            res.write(JSON.stringify(b));
          }
        },
        end() {
          res.statusCode = status;
          res.end();
        },
      };
      r.handler(req, shim, () => {});
      return;
    }
    res.writeHead(404).end(`botclient: no route for ${req.method} ${url.pathname}`);
  } catch (err) {
    console.error('botclient:', err);
    if (!res.writableEnded) {
      res.writeHead(500).end();
    }
  }
});

// Tokens the Bot Connector must refuse: none, and the channel's own token
// (issued by the Bot Framework to the bot, not by Entra to the bot).
async function refusals() {
  const base = `http://127.0.0.1:${server.address().port}/connector/v3/conversations/x/activities`;
  for (const [name, header] of [['no token', ''], ['channel token', relayedToken]]) {
    const headers = { 'Content-Type': 'application/json' };
    if (header) {
      headers.Authorization = header;
    }
    const r = await fetch(base, { method: 'POST', headers, body: JSON.stringify({ type: 'message', text: 'forged' }) });
    result.refused[name] = r.status;
  }
}

let finished = false;
function done() {
  if (finished) {
    return;
  }
  finished = true;
  setImmediate(async () => {
    try {
      await refusals();
    } catch (err) {
      fail(`refusal checks: ${err.message}`);
    }
    console.log('result ' + JSON.stringify(result));
    server.close();
    process.exit(0);
  });
}

server.listen(0, '127.0.0.1', () => {
  console.log(`listening ${server.address().port}`);
  const rl = readline.createInterface({ input: process.stdin });
  rl.once('line', async (line) => {
    const input = JSON.parse(line);
    stewardEndpoint = input.stewardEndpoint;
    const r = await fetch(input.adminUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ tenantId, activity: input.activity }),
    });
    const answer = await r.text();
    if (r.status !== 200 || JSON.parse(answer).status >= 300) {
      fail(`delivery of "${input.activity.text}" failed: ${r.status} ${answer}`);
    }
    console.error(`botclient: Steward answered the delivery: ${answer}`);
  });
});
