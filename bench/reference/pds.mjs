// Starts the reference PDS (@atproto/pds) for bench/run.sh: hostname pds.test (not localhost, so
// devMode stays off), handles under .test, no AppView, no email, no crawlers, no invites, no rate
// limits, the PLC directory at PDS_DID_PLC_URL. Logging stays off (@atproto/common's LOG_ENABLED
// is unset), as in a default deployment. Prints "pds listening port=<port>" when ready.
//
// Environment: PDS_DATA_DIRECTORY, PDS_BLOBSTORE_DISK_LOCATION, PDS_DID_PLC_URL (required),
// PDS_PORT (default 0: a free port).
import crypto from 'node:crypto'
import { PDS, envToCfg, envToSecrets } from '@atproto/pds'

const need = (name) => {
  const v = process.env[name]
  if (!v) {
    console.error(`pds.mjs: ${name} is not set`)
    process.exit(2)
  }
  return v
}

const env = {
  port: Number(process.env.PDS_PORT ?? 0),
  hostname: 'pds.test',
  dataDirectory: need('PDS_DATA_DIRECTORY'),
  blobstoreDiskLocation: need('PDS_BLOBSTORE_DISK_LOCATION'),
  didPlcUrl: need('PDS_DID_PLC_URL'),
  serviceHandleDomains: ['.test'],
  devMode: false,
  inviteRequired: false,
  rateLimitsEnabled: false,
  crawlers: [],
  // Only the PLC directory on loopback is fetched; SSRF protection would refuse 127.0.0.1.
  disableSsrfProtection: true,
  jwtSecret: crypto.randomBytes(16).toString('hex'),
  adminPassword: crypto.randomBytes(16).toString('hex'),
  plcRotationKeyK256PrivateKeyHex: crypto.randomBytes(32).toString('hex'),
}

const pds = await PDS.create(envToCfg(env), envToSecrets(env))
// PDS.start() listens on every interface; keep it on loopback.
const listen = pds.app.listen.bind(pds.app)
pds.app.listen = (port) => listen(port, '127.0.0.1')
const server = await pds.start()
console.log(`pds listening port=${server.address().port}`)

const stop = async () => {
  await pds.destroy()
  process.exit(0)
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
