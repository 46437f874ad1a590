// Verifies a repository CAR file written by `pdsctl repo export` with the official
// @atproto/repo code: every block matches its CID (readCarWithRoot), the root commit names the
// DID and is signed by its key and every record the MST points to is present (verifyRepo), and
// the MST is canonical (rebuilt from its leaves, it has the commit's `data` root).
//
// The tests feed this file to `node --input-type=module` on stdin with tests/js as the working
// directory, so the packages tests/js/setup.sh installed there resolve.
//
//   CAR=/path/repo.car DID=did:plc:... SIGNING_KEY=did:key:... node --input-type=module - < verify-car.mjs
//
// Prints one JSON line: {"ok":true,"did":...,"commit":...,"rev":...,"records":N,"collections":{...}}
// or {"ok":false,"error":...} (exit 1).
import { readFileSync } from 'node:fs'
import { MST, MemoryBlockstore, def, readCarWithRoot, verifyRepo } from '@atproto/repo'

const fail = (error) => {
  console.log(JSON.stringify({ ok: false, error: String(error?.stack ?? error) }))
  process.exit(1)
}

try {
  const { CAR, DID, SIGNING_KEY } = process.env
  if (!CAR || !DID || !SIGNING_KEY) fail('CAR, DID and SIGNING_KEY must be set')
  const { root, blocks } = await readCarWithRoot(readFileSync(CAR))
  const verified = await verifyRepo(blocks, root, DID, SIGNING_KEY)
  const storage = new MemoryBlockstore(blocks)
  const commit = await storage.readObj(root, def.commit)
  if (commit.version !== 3) fail(`commit version ${commit.version}`)
  const leaves = await MST.load(storage, commit.data).list()
  let rebuilt = await MST.create(new MemoryBlockstore())
  for (const leaf of leaves) rebuilt = await rebuilt.add(leaf.key, leaf.value)
  const rebuiltRoot = (await rebuilt.getPointer()).toString()
  if (rebuiltRoot !== commit.data.toString()) {
    fail(`the MST is not canonical: rebuilt ${rebuiltRoot}, commit has ${commit.data}`)
  }
  if (verified.creates.length !== leaves.length) {
    fail(`verifyRepo listed ${verified.creates.length} records, the MST has ${leaves.length}`)
  }
  const collections = {}
  for (const c of verified.creates) collections[c.collection] = (collections[c.collection] ?? 0) + 1
  console.log(
    JSON.stringify({
      ok: true,
      did: DID,
      commit: verified.commit.cid.toString(),
      rev: verified.commit.rev,
      records: verified.creates.length,
      collections,
    }),
  )
} catch (err) {
  fail(err)
}
