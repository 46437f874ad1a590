// Shared helpers for the end-to-end scripts in this folder.
//
// Contract of every script (so a Rust test, a shell or CI can drive it the same way):
//   - input from the environment: PDS_URL (required), plus script-specific variables;
//   - on success: exit 0 and print exactly one JSON line on stdout, with "ok": true;
//   - on failure: exit 1 and print one JSON line on stdout with "ok": false, the step that
//     failed and the XRPC error (HTTP status, error name, message); a human-readable line also
//     goes to stderr;
//   - a whole-script deadline (TIMEOUT_MS, default 30000) so a hung server cannot hang a test:
//     exit 2 with "ok": false, "error": "Timeout".
import { randomBytes } from 'node:crypto'

export function pdsUrl() {
  const url = process.env.PDS_URL
  if (!url) {
    fail('config', new Error('PDS_URL is not set (for example PDS_URL=http://127.0.0.1:2583)'))
  }
  return url.replace(/\/+$/, '')
}

export function env(name, fallback = '') {
  const v = process.env[name]
  return v === undefined ? fallback : v
}

/** Lowercase letters and digits, safe inside a handle label. */
export function randomName(prefix = 'e2e', bytes = 5) {
  return prefix + randomBytes(bytes).toString('hex')
}

let currentStep = 'start'

/** Runs `fn` as a named step; a failure reports the step's name. */
export async function step(name, fn) {
  currentStep = name
  try {
    return await fn()
  } catch (err) {
    fail(name, err)
  }
}

/** Throws (inside a step) when `cond` is false. */
export function check(cond, message, details) {
  if (!cond) {
    const err = new Error(message)
    err.details = details
    throw err
  }
}

export function describeError(err) {
  // XRPCError keeps name "Error"; its class name says more.
  let name = err?.name ?? typeof err
  if (name === 'Error' && err?.constructor?.name) name = err.constructor.name
  const out = { name, message: err?.message ?? String(err) }
  // XRPCError: `status` is the HTTP status, `error` the XRPC error name from the body.
  if (err?.status !== undefined) out.status = err.status
  if (err?.error !== undefined) out.error = err.error
  if (err?.details !== undefined) out.details = redact(err.details)
  // fetch failures nest the useful part (ECONNREFUSED, ...) a cause or two deep.
  const causes = []
  for (let c = err?.cause, i = 0; c && i < 4; c = c.cause, i++) {
    causes.push({ name: c.name, message: c.message, code: c.code })
  }
  if (causes.length) out.causes = causes
  return out
}

// Session tokens stay out of test output even on a throwaway server.
function redact(value) {
  return JSON.parse(
    JSON.stringify(value ?? null, (k, v) => (/^(accessJwt|refreshJwt|password)$/.test(k) ? '<redacted>' : v)),
  )
}

export function fail(stepName, err, exitCode = 1) {
  const e = describeError(err)
  const line = { ok: false, step: stepName, ...e }
  process.stdout.write(JSON.stringify(line) + '\n')
  const status = e.status !== undefined ? ` status=${e.status}` : ''
  const name = e.error !== undefined ? ` error=${e.error}` : ''
  process.stderr.write(`FAILED at step "${stepName}":${status}${name} ${e.message}\n`)
  process.exit(exitCode)
}

export function succeed(fields) {
  process.stdout.write(JSON.stringify({ ok: true, ...fields }) + '\n')
  process.exit(0)
}

/** Arms the whole-script deadline. */
export function deadline(ms = Number(env('TIMEOUT_MS', '30000'))) {
  const t = setTimeout(() => {
    const err = new Error(`no result within ${ms} ms (last step: ${currentStep})`)
    err.name = 'Timeout'
    err.error = 'Timeout'
    fail(currentStep, err, 2)
  }, ms)
  t.unref()
}
