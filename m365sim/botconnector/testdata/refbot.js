// Reference Bot Framework peer for the botconnector simulator's tests: an
// echo bot on Microsoft's botbuilder CloudAdapter. Inbound activities are
// authenticated by botframework-connector against the simulator's OpenID
// metadata (endorsements, issuer, audience, serviceurl checked as against
// login.botframework.com); outbound replies carry a client-credentials token
// obtained with MSAL from the test's token endpoint.
//
// Environment: BOT_APP_ID, BOT_APP_PASSWORD, BOT_TENANT_ID,
// OPENID_METADATA_URL (the simulator's), LOGIN_URL (https, trailing slash;
// the authority is LOGIN_URL + tenant). Listens on 127.0.0.1, port 0, and
// prints "listening <port>".
'use strict';

const http = require('node:http');
const { ActivityHandler, CloudAdapter, ConfigurationBotFrameworkAuthentication } = require('botbuilder');
const { MsalServiceClientCredentialsFactory } = require('botframework-connector');
const { ConfidentialClientApplication } = require('@azure/msal-node');

const env = (name) => {
  const v = process.env[name];
  if (!v) {
    console.error(`refbot: ${name} is required`);
    process.exit(2);
  }
  return v;
};
const appId = env('BOT_APP_ID');
const tenantId = env('BOT_TENANT_ID');
const loginUrl = env('LOGIN_URL');
const authority = loginUrl + tenantId;

// MSAL only trusts authorities it knows; knownAuthorities names the test's
// token server so MSAL skips Microsoft's instance discovery.
const msal = new ConfidentialClientApplication({
  auth: {
    clientId: appId,
    clientSecret: env('BOT_APP_PASSWORD'),
    authority,
    knownAuthorities: [new URL(loginUrl).host],
  },
});

const auth = new ConfigurationBotFrameworkAuthentication(
  {
    MicrosoftAppId: appId,
    MicrosoftAppTenantId: tenantId,
    MicrosoftAppType: 'SingleTenant',
    // Inbound: channel tokens are checked against the simulator's metadata.
    ToBotFromChannelOpenIdMetadataUrl: env('OPENID_METADATA_URL'),
    ToBotFromChannelTokenIssuer: 'https://api.botframework.com',
    ToBotFromEmulatorOpenIdMetadataUrl: env('OPENID_METADATA_URL'),
    // Outbound: client credentials for https://api.botframework.com/.default.
    ToChannelFromBotLoginUrl: authority,
    ToChannelFromBotOAuthScope: 'https://api.botframework.com',
    OAuthUrl: 'https://token.botframework.com',
    CallerId: 'urn:botframework:azure',
    ValidateAuthority: true,
  },
  new MsalServiceClientCredentialsFactory(appId, msal),
);
const adapter = new CloudAdapter(auth);
adapter.onTurnError = async (context, error) => {
  console.error('refbot: turn error:', error);
  throw error;
};

class EchoBot extends ActivityHandler {
  constructor() {
    super();
    this.onMessage(async (context, next) => {
      await context.sendActivity(`echo: ${context.activity.text}`);
      await next();
    });
  }
}
const bot = new EchoBot();

// A minimal Express-like request/response over node:http.
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    try {
      req.body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
    } catch {
      req.body = undefined;
    }
    let status = 200;
    const shim = {
      socket: req.socket,
      status(code) { status = code; },
      header(name, value) { res.setHeader(name, value); },
      send(body) {
        res.statusCode = status;
        if (typeof body === 'string') {
          res.setHeader('Content-Type', 'text/plain; charset=utf-8');
          res.write(body);
        } else if (body !== undefined) {
          res.setHeader('Content-Type', 'application/json');
          res.write(JSON.stringify(body));
        }
      },
      end() {
        res.statusCode = status;
        res.end();
      },
    };
    try {
      await adapter.process(req, shim, (context) => bot.run(context));
    } catch (err) {
      console.error('refbot:', err);
      if (!res.writableEnded) {
        res.statusCode = 500;
        res.end();
      }
    }
  });
});
server.listen(0, '127.0.0.1', () => {
  console.log(`listening ${server.address().port}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
