// Verifies one account's repository with the official @atproto/repo code:
//   1. com.atproto.sync.getRepo (through @atproto/api), then verifyRepo: the CAR's blocks match
//      their CIDs, the root commit is signed by the account's key and names the DID, and every
//      record the MST points to is in the CAR;
//   2. the MST is canonical: rebuilding it from the records gives the commit's `data` root;
//   3. the records (paths and CIDs, and values where given) are exactly the expected ones;
//   4. getLatestCommit names the same commit;
//   5. com.atproto.sync.getRecord proofs, verified with verifyProofs (the CID claim, or a
//      claim of absence) and verifyRecords (the record value).
//
//   PDS_URL=http://127.0.0.1:PORT DID=did:plc:... EXPECT='{"count":3}' node repo-verify.mjs
//
// Environment:
//   PDS_URL      required
//   DID          required, the repository
//   SIGNING_KEY  optional did:key; default: the #atproto key of the DID document at
//                <PDS_URL>/plc/<did> (pdsd's embedded PLC directory)
//   PLC_URL      optional PLC directory for the DID document (default <PDS_URL>/plc)
//   EXPECT       optional JSON (or EXPECT_FILE, a path to it):
//                  {"count": N,                  the number of records
//                   "records": {"<collection>/<rkey>": {"cid": "...", "value": {...}}, ...}}
//                When "records" is given the repository must hold exactly those records
//                ("value" is optional and compared as JSON).
//   PROOFS       optional JSON list of "<collection>/<rkey>" paths to fetch sync.getRecord
//                for. A path in EXPECT.records must be proven present with that CID and
//                value, any other path absent (without EXPECT.records: present with the CID
//                getRepo has for it, or absent when getRepo has none).
//   TIMEOUT_MS   optional, whole-script deadline (default 30000)
//
// Prints {"ok":true,"did":...,"commit":...,"rev":...,"records":N,"collections":{...},
// "proofs":{"present":N,"absent":M}}; on failure exits 1 with {"ok":false,"step":...}.
import { readFileSync } from 'node:fs'
import { AtpAgent } from '@atproto/api'
import { lexToJson, parseCid } from '@atproto/lex'
import {
  MST,
  MemoryBlockstore,
  def,
  readCarWithRoot,
  verifyProofs,
  verifyRecords,
  verifyRepo,
} from '@atproto/repo'
import { check, deadline, env, fail, pdsUrl, step, succeed } from './lib.mjs'
import { idResolver } from './plc.mjs'

deadline()
const service = pdsUrl()
const did = env('DID')
if (!did) fail('config', new Error('DID is not set'))

function parseJson(name, text, fallback) {
  if (!text) return fallback
  try {
    return JSON.parse(text)
  } catch (err) {
    fail('config', new Error(`${name} is not JSON: ${err.message}`))
  }
}
const expectText = env('EXPECT_FILE') ? readFileSync(env('EXPECT_FILE'), 'utf8') : env('EXPECT')
const expect = parseJson('EXPECT', expectText, {})
const proofPaths = parseJson('PROOFS', env('PROOFS'), [])

/** Key-order-insensitive JSON equality. */
function jsonEqual(a, b) {
  if (a === b) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  if (Array.isArray(a) !== Array.isArray(b)) return false
  const ka = Object.keys(a)
  const kb = Object.keys(b)
  if (ka.length !== kb.length) return false
  return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && jsonEqual(a[k], b[k]))
}

const agent = new AtpAgent({ service })

const signingKey = await step('resolveSigningKey', async () => {
  if (env('SIGNING_KEY')) return env('SIGNING_KEY')
  const key = await idResolver(env('PLC_URL', `${service}/plc`)).did.resolveAtprotoKey(did)
  check(key.startsWith('did:key:'), `the DID document's key is not a did:key: ${key}`)
  return key
})

// 1. The whole repository, verified by the official consumer code.
const repo = await step('getRepo', async () => {
  const res = await agent.com.atproto.sync.getRepo({ did })
  const car = res.data
  check(car instanceof Uint8Array && car.length > 0, 'getRepo returned no bytes')
  // readCarWithRoot checks every block against its CID.
  const { root, blocks } = await readCarWithRoot(car)
  const verified = await verifyRepo(blocks, root, did, signingKey)
  return { root, blocks, verified }
})
const commit = repo.verified.commit

// 2. The MST is the canonical tree of its records.
const records = await step('canonicalMst', async () => {
  const storage = new MemoryBlockstore(repo.blocks)
  const commitObj = await storage.readObj(repo.root, def.commit)
  check(commitObj.version === 3, `commit version ${commitObj.version}, expected 3`)
  check(commitObj.rev === commit.rev, 'verifyRepo and the commit disagree on rev')
  const leaves = await MST.load(storage, commitObj.data).list()
  let rebuilt = await MST.create(new MemoryBlockstore())
  for (const leaf of leaves) rebuilt = await rebuilt.add(leaf.key, leaf.value)
  const rebuiltRoot = (await rebuilt.getPointer()).toString()
  check(
    rebuiltRoot === commitObj.data.toString(),
    `the MST is not canonical: rebuilt root ${rebuiltRoot}, commit data ${commitObj.data}`,
  )
  const out = new Map()
  for (const create of repo.verified.creates) {
    out.set(`${create.collection}/${create.rkey}`, create.cid.toString())
  }
  check(out.size === leaves.length, `verifyRepo listed ${out.size} records, the MST has ${leaves.length}`)
  return out
})

// 3. The records are the expected ones.
await step('records', async () => {
  if (expect.count !== undefined) {
    check(records.size === expect.count, `the repository holds ${records.size} records, expected ${expect.count}`)
  }
  if (expect.records) {
    const want = Object.keys(expect.records)
    const missing = want.filter((p) => !records.has(p))
    const extra = [...records.keys()].filter((p) => !(p in expect.records))
    check(missing.length === 0 && extra.length === 0, 'the repository holds other records than expected', {
      missing: missing.slice(0, 20),
      extra: extra.slice(0, 20),
    })
    const storage = new MemoryBlockstore(repo.blocks)
    for (const [path, e] of Object.entries(expect.records)) {
      if (e.cid !== undefined) {
        check(records.get(path) === e.cid, `${path} has CID ${records.get(path)}, expected ${e.cid}`)
      }
      if (e.value !== undefined) {
        const value = lexToJson(await storage.readRecord(parseCid(records.get(path))))
        check(jsonEqual(value, e.value), `${path} does not hold the expected value`, { got: value, expected: e.value })
      }
    }
  }
})

// 4. getLatestCommit agrees with getRepo.
await step('getLatestCommit', async () => {
  const res = await agent.com.atproto.sync.getLatestCommit({ did })
  check(res.data.cid === commit.cid.toString(), `getLatestCommit cid ${res.data.cid}, getRepo root ${commit.cid}`)
  check(res.data.rev === commit.rev, `getLatestCommit rev ${res.data.rev}, getRepo rev ${commit.rev}`)
})

// 5. Record proofs, present and absent.
const proofs = { present: 0, absent: 0 }
for (const path of proofPaths) {
  await step(`getRecord ${path}`, async () => {
    const slash = path.indexOf('/')
    const collection = path.slice(0, slash)
    const rkey = path.slice(slash + 1)
    const res = await agent.com.atproto.sync.getRecord({ did, collection, rkey })
    const car = res.data
    const expected = expect.records?.[path]
    const cid = expected?.cid ?? records.get(path) ?? null
    const claim = { collection, rkey, cid: cid === null ? null : parseCid(cid) }
    const { verified, unverified } = await verifyProofs(car, [claim], did, signingKey)
    check(verified.length === 1 && unverified.length === 0, `the proof for ${path} does not prove ${cid ?? 'its absence'}`)
    const proven = (await verifyRecords(car, did, signingKey)).filter((r) => `${r.collection}/${r.rkey}` === path)
    if (cid === null) {
      check(proven.length === 0, `the absence proof for ${path} carries the record`)
      proofs.absent++
    } else {
      check(proven.length === 1, `the proof for ${path} does not carry the record`)
      if (expected?.value !== undefined) {
        const value = lexToJson(proven[0].record)
        check(jsonEqual(value, expected.value), `the proven ${path} differs from the expected value`, {
          got: value,
          expected: expected.value,
        })
      }
      proofs.present++
    }
  })
}

const collections = {}
for (const path of records.keys()) {
  const c = path.slice(0, path.indexOf('/'))
  collections[c] = (collections[c] ?? 0) + 1
}
succeed({
  did,
  commit: commit.cid.toString(),
  rev: commit.rev,
  records: records.size,
  collections,
  proofs,
})
