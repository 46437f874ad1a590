// Calls com.atproto.server.describeServer through the official client and prints its output.
//   PDS_URL=http://127.0.0.1:PORT node describe-server.mjs
// Prints {"ok":true,"server":{did, availableUserDomains, inviteCodeRequired, ...}}.
// The client validates the response against the lexicon, so a malformed answer fails here.
import { AtpAgent } from '@atproto/api'
import { check, deadline, pdsUrl, step, succeed } from './lib.mjs'

deadline()
const agent = new AtpAgent({ service: pdsUrl() })

const server = await step('describeServer', async () => {
  const res = await agent.com.atproto.server.describeServer()
  check(res.success, 'describeServer did not succeed', res)
  const d = res.data
  check(typeof d.did === 'string' && d.did.startsWith('did:'), 'did is not a DID', d)
  check(Array.isArray(d.availableUserDomains), 'availableUserDomains is not an array', d)
  return d
})

succeed({ server })
