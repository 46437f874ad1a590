// Follows com.atproto.sync.subscribeRepos with the official consumer (@atproto/sync Firehose)
// and verifies every event, in order:
//   - the Firehose checks each message against the lexicon and, for commits, the commit
//     signature (the key from the DID document in pdsd's PLC directory) and an MST proof for
//     every op (verifyProofs); an op whose proof fails is silently dropped there, so this
//     script also checks that every op came through;
//   - sync 1.1 (inductive firehose), checked here with @atproto/repo's MST: the CAR's root is
//     the commit, the commit names the repo and rev and is signed, `since` and `prevData` are
//     the previous commit's rev and data for the same repo, and applying the inverse of the
//     ops to the new tree (using only the blocks in the event) gives `prevData`;
//   - sequence numbers have no gap and no duplicate (starting after CURSOR when given).
//
//   PDS_URL=http://127.0.0.1:PORT COMMITS=10 CURSOR=0 node firehose-verify.mjs
//
// Environment:
//   PDS_URL     required (http or https; the socket uses ws or wss)
//   COMMITS     required: stop after this many #commit events (a new account's empty
//               genesis commit counts)
//   CURSOR      optional: replay from the event after this seq (none: live only)
//   PLC_URL     optional PLC directory (default <PDS_URL>/plc)
//   TIMEOUT_MS  optional, whole-script deadline (default 30000)
//
// Writes "ready seq=<n>" to stderr when the first event arrives (the connection is up), so a
// driver can start writing. Prints {"ok":true,"events":[...]} with, per event, its seq and
// type, and for commits repo, rev, since, ops [{action,path,cid,prev}] and "verified": true.
// On any verification or stream error exits 1 with {"ok":false,...,"errors":[...],"events":[...]}.
import { Firehose } from '@atproto/sync'
import { MST, MemoryBlockstore, def, readCarWithRoot, verifyCommitSig } from '@atproto/repo'
import { deadline, env, fail, pdsUrl, succeed } from './lib.mjs'
import { idResolver } from './plc.mjs'

deadline()
const service = pdsUrl()
const wanted = Number(env('COMMITS'))
if (!Number.isInteger(wanted) || wanted < 1) fail('config', new Error('COMMITS must be a positive integer'))
const cursorText = env('CURSOR')
const cursor = cursorText === '' ? undefined : Number(cursorText)
const resolver = idResolver(env('PLC_URL', `${service}/plc`))

const events = []
const errors = []
/** Per repo: the rev and MST root of the last commit (or #sync) seen. */
const heads = new Map()
let commits = 0
let lastSeq = cursor
let finish
const finished = new Promise((resolve) => (finish = resolve))

const cidStr = (c) => (c ? c.toString() : null)

/** The sync 1.1 checks of one #commit; returns the problems found. */
async function checkCommit(evt) {
  const problems = []
  const { root, blocks } = await readCarWithRoot(evt.blocks)
  if (!root.equals(evt.commit)) problems.push(`CAR root ${root} is not the commit ${evt.commit}`)
  const storage = new MemoryBlockstore(blocks)
  const commit = await storage.readObj(evt.commit, def.commit)
  if (commit.did !== evt.repo) problems.push(`commit names ${commit.did}, event repo ${evt.repo}`)
  if (commit.rev !== evt.rev) problems.push(`commit rev ${commit.rev}, event rev ${evt.rev}`)
  if (commit.version !== 3) problems.push(`commit version ${commit.version}`)
  const key = await resolver.did.resolveAtprotoKey(evt.repo)
  if (!(await verifyCommitSig(commit, key))) problems.push('bad commit signature')
  if (evt.rebase !== false || evt.tooBig !== false) problems.push('rebase/tooBig set')

  const head = heads.get(evt.repo)
  if (head) {
    if (evt.since !== head.rev) problems.push(`since ${evt.since}, previous rev ${head.rev}`)
    if (cidStr(evt.prevData) !== head.data) problems.push(`prevData ${evt.prevData}, previous data ${head.data}`)
    if (!(evt.rev > head.rev)) problems.push(`rev ${evt.rev} does not follow ${head.rev}`)
  }
  if (evt.ops.length > 0 && !evt.prevData) problems.push('ops without prevData')

  // Invert the ops on the new tree; only the blocks carried by the event may be needed.
  if (evt.prevData) {
    let mst = MST.load(storage, commit.data)
    for (const op of evt.ops) {
      const current = cidStr(await mst.get(op.path))
      if (current !== cidStr(op.cid)) problems.push(`${op.path} is ${current} in the new tree, op says ${op.cid}`)
      if (op.action === 'create') {
        if (op.prev) problems.push(`create of ${op.path} has a prev`)
        mst = await mst.delete(op.path)
      } else if (op.action === 'update') {
        if (!op.prev) problems.push(`update of ${op.path} has no prev`)
        else mst = await mst.update(op.path, op.prev)
      } else if (op.action === 'delete') {
        if (!op.prev) problems.push(`delete of ${op.path} has no prev`)
        else mst = await mst.add(op.path, op.prev)
      } else {
        problems.push(`unknown action ${op.action}`)
      }
      if (op.action !== 'delete' && op.cid && !blocks.has(op.cid)) problems.push(`record ${op.cid} missing from blocks`)
    }
    const inverted = cidStr(await mst.getPointer())
    if (inverted !== cidStr(evt.prevData)) problems.push(`ops invert to ${inverted}, prevData is ${evt.prevData}`)
  }
  heads.set(evt.repo, { rev: evt.rev, data: cidStr(commit.data) })
  return problems
}

/** Taps each lexicon-validated message before the official parser authenticates it. */
class VerifyingFirehose extends Firehose {
  async parseEvt(evt) {
    const before = errors.length
    const type = (evt.$type ?? '').split('#')[1] ?? 'unknown'
    const record = { seq: evt.seq, type }
    if (events.length === 0) process.stderr.write(`ready seq=${evt.seq}\n`)
    if (lastSeq !== undefined && evt.seq !== lastSeq + 1) {
      errors.push({ seq: evt.seq, error: `seq ${evt.seq} after ${lastSeq}` })
    }
    lastSeq = evt.seq
    events.push(record)

    const parsed = await super.parseEvt(evt)
    try {
      if (type === 'commit') {
        Object.assign(record, {
          repo: evt.repo,
          rev: evt.rev,
          since: evt.since ?? null,
          commit: cidStr(evt.commit),
          prevData: cidStr(evt.prevData),
          ops: evt.ops.map((op) => ({ action: op.action, path: op.path, cid: cidStr(op.cid), prev: cidStr(op.prev) })),
        })
        // The official parse: one verified event per op, with the op's CID.
        if (parsed.length !== evt.ops.length) {
          errors.push({ seq: evt.seq, error: `the official parser verified ${parsed.length} of ${evt.ops.length} ops` })
        }
        for (const [i, p] of parsed.entries()) {
          const op = evt.ops[i]
          if (!op || `${p.collection}/${p.rkey}` !== op.path || p.event !== op.action || cidStr(p.cid ?? null) !== cidStr(op.cid)) {
            errors.push({ seq: evt.seq, error: `parsed op ${i} differs from the event's op` })
          }
        }
        for (const problem of await checkCommit(evt)) errors.push({ seq: evt.seq, error: problem })
        commits++
      } else if (type === 'sync') {
        const { root, blocks } = await readCarWithRoot(evt.blocks)
        const commit = await new MemoryBlockstore(blocks).readObj(root, def.commit)
        const key = await resolver.did.resolveAtprotoKey(evt.did)
        if (!(await verifyCommitSig(commit, key))) errors.push({ seq: evt.seq, error: 'bad #sync commit signature' })
        if (commit.rev !== evt.rev) errors.push({ seq: evt.seq, error: `#sync rev ${evt.rev}, commit rev ${commit.rev}` })
        Object.assign(record, { did: evt.did, rev: evt.rev })
        heads.set(evt.did, { rev: evt.rev, data: cidStr(commit.data) })
      } else if (type === 'identity' || type === 'account') {
        Object.assign(record, { did: evt.did })
        if (type === 'account') Object.assign(record, { active: evt.active, status: evt.status })
        if (parsed.length !== 1) errors.push({ seq: evt.seq, error: `the official parser rejected the #${type} event` })
      }
    } catch (err) {
      errors.push({ seq: evt.seq, error: `${err?.name ?? 'Error'}: ${err?.message ?? err}` })
    }
    if (type === 'commit') record.verified = errors.length === before
    if (commits >= wanted) finish()
    return parsed
  }
}

const firehose = new VerifyingFirehose({
  service: service.replace(/^http/, 'ws'),
  idResolver: resolver,
  // Handles are verified by DNS or https on the handle's domain: not available to tests.
  unauthenticatedHandles: true,
  getCursor: () => lastSeq,
  // A reconnect is a failure here, not something to wait out.
  subscriptionReconnectDelay: 60_000,
  handleEvent: () => {},
  onError: (err) => {
    const causes = []
    for (let c = err?.cause, i = 0; c && i < 3; c = c.cause, i++) causes.push(`${c.name}: ${c.message}`)
    errors.push({ seq: lastSeq ?? null, error: `${err.name}: ${err.message}`, causes })
    finish()
  },
})
firehose.start()
await finished

if (errors.length > 0) {
  const err = new Error(`${errors.length} verification error(s); first: ${errors[0].error}`)
  err.details = { errors: errors.slice(0, 50), events }
  fail('verify', err)
}
succeed({ commits, events })
