// An account's session lifecycle through the official client (@atproto/api AtpAgent):
// createAccount -> login -> refreshSession -> getSession -> resumeSession (new agent) -> getSession.
//
//   PDS_URL=http://127.0.0.1:PORT INVITE_CODE=... node account-lifecycle.mjs
//
// Environment:
//   PDS_URL        required
//   INVITE_CODE    optional (empty: no inviteCode is sent)
//   HANDLE_DOMAIN  optional, e.g. ".test"; default: the first of describeServer's
//                  availableUserDomains, else ".test"
//   TIMEOUT_MS     optional, whole-script deadline (default 30000)
//
// Prints {"ok":true,"did":...,"handle":...} on success. On failure exits 1 and prints
// {"ok":false,"step":...,"status":<HTTP>,"error":<XRPC error name>,"message":...}.
import { AtpAgent } from '@atproto/api'
import { check, deadline, env, pdsUrl, randomName, step, succeed } from './lib.mjs'

deadline()
const service = pdsUrl()
const inviteCode = env('INVITE_CODE')

// The session methods follow the PDS endpoint in the returned DID document. A test server on a
// random port whose DID document names another endpoint would silently send later calls
// elsewhere; report that explicitly.
function checkEndpoint(agent, where) {
  const pds = agent.pdsUrl?.toString().replace(/\/+$/, '')
  if (pds && pds !== service) {
    process.stderr.write(`note: after ${where} the agent follows the DID document's PDS ${pds} (PDS_URL is ${service})\n`)
  }
}

const domain = await step('describeServer', async () => {
  const configured = env('HANDLE_DOMAIN')
  if (configured) return configured.startsWith('.') ? configured : `.${configured}`
  const res = await new AtpAgent({ service }).com.atproto.server.describeServer()
  return res.data.availableUserDomains[0] ?? '.test'
})

const name = randomName()
const handle = `${name}${domain}`
const email = `${name}@example.com`
const password = `pw-${randomName('', 12)}`

// 1. createAccount: the agent keeps the returned session.
const agent = new AtpAgent({ service })
const created = await step('createAccount', async () => {
  const input = { email, handle, password }
  if (inviteCode) input.inviteCode = inviteCode
  const res = await agent.createAccount(input)
  const d = res.data
  check(typeof d.did === 'string' && d.did.startsWith('did:'), 'createAccount returned no DID', d)
  check(d.handle === handle, `createAccount returned handle ${d.handle}, asked for ${handle}`, d)
  check(typeof d.accessJwt === 'string' && typeof d.refreshJwt === 'string', 'createAccount returned no tokens', d)
  check(agent.session?.did === d.did, 'the agent holds no session after createAccount')
  checkEndpoint(agent, 'createAccount')
  return d
})
const did = created.did

// 2. login with the handle and password, on a fresh agent.
const agent2 = new AtpAgent({ service })
await step('login', async () => {
  const res = await agent2.login({ identifier: handle, password })
  const d = res.data
  check(d.did === did, `login returned DID ${d.did}, expected ${did}`, d)
  check(d.handle === handle, `login returned handle ${d.handle}, expected ${handle}`, d)
  check(d.active !== false, 'login says the account is not active', d)
  checkEndpoint(agent2, 'login')
  return d
})

// 3. refreshSession, as the agent does it (Bearer refreshJwt on
//    com.atproto.server.refreshSession, then getSession if fields are missing).
await step('refreshSession', async () => {
  const before = agent2.session
  const res = await agent2.sessionManager.refreshSession()
  const d = res.data
  check(d.did === did, `refreshSession returned DID ${d.did}, expected ${did}`, d)
  check(d.handle === handle, `refreshSession returned handle ${d.handle}, expected ${handle}`, d)
  check(typeof d.accessJwt === 'string' && typeof d.refreshJwt === 'string', 'refreshSession returned no tokens', d)
  check(d.refreshJwt !== before.refreshJwt, 'refreshSession did not rotate the refresh token')
  check(agent2.session.refreshJwt === d.refreshJwt, 'the agent did not take the new tokens')
  checkEndpoint(agent2, 'refreshSession')
})

// 4. getSession with the refreshed access token.
await step('getSession', async () => {
  const res = await agent2.com.atproto.server.getSession()
  const d = res.data
  check(d.did === did, `getSession returned DID ${d.did}, expected ${did}`, d)
  check(d.handle === handle, `getSession returned handle ${d.handle}, expected ${handle}`, d)
  check(d.email === undefined || d.email === email, `getSession returned email ${d.email}, expected ${email}`, d)
})

// 5. resumeSession on a third agent from the stored session data (what an app does at start-up);
//    it forces another refresh, then getSession with the new access token.
const agent3 = new AtpAgent({ service })
await step('resumeSession', async () => {
  await agent3.resumeSession({ ...agent2.session })
  check(agent3.session?.did === did, 'resumeSession left no session for the DID')
  checkEndpoint(agent3, 'resumeSession')
})
await step('getSession after resume', async () => {
  const res = await agent3.com.atproto.server.getSession()
  check(res.data.did === did, `getSession returned DID ${res.data.did}, expected ${did}`, res.data)
})

succeed({ did, handle })
